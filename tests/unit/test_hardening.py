"""Input hardening: nested JSON, log redaction, demo input files and runtime flag values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from richpanel_middleware.demo.messages import DemoInputError, load_messages
from richpanel_middleware.observability.redaction import redact_text
from richpanel_middleware.pipeline.ingress import IngressService
from richpanel_middleware.pipeline.ports import EnqueueOutcome
from richpanel_middleware.policy.config import Flags
from richpanel_middleware.runtime.local.sqlite_db import Database
from richpanel_middleware.runtime.local.sqlite_stores import SqliteFlagSource


class _CountingQueue:
    def __init__(self) -> None:
        self.enqueued = 0

    def enqueue(self, *, group_id: str, dedup_key: str, body: str) -> EnqueueOutcome:
        self.enqueued += 1
        return EnqueueOutcome.ENQUEUED


def test_deeply_nested_body_is_400() -> None:
    queue = _CountingQueue()
    service = IngressService(queue=queue, tokens=["tok"], max_body_bytes=10**6)  # type: ignore[arg-type]
    body = (
        b'{"ticket_id": "a", "event_type": "customer_message", "x": '
        + b"[" * 50_000
        + b"]" * 50_000
        + b"}"
    )
    result = service.handle(token="tok", raw_body=body)
    assert result.status_code == 400
    assert "nested" in result.body["error"]
    assert queue.enqueued == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call 555-0142", "call [phone]"),
        ("or +1 (555) 010-4477", "or [phone]"),
        ("mail jo@example.com", "mail [email]"),
        ("running on http://127.0.0.1:8080", "running on http://127.0.0.1:8080"),
        ("on 2026-12-04", "on 2026-12-04"),
        (
            "reason superseded_by_newer_customer_message",
            "reason superseded_by_newer_customer_message",
        ),
        ("order 1001", "order 1001"),
    ],
)
def test_redaction_cases(text: str, expected: str) -> None:
    assert redact_text(text) == expected


def test_redaction_hides_token_like_string() -> None:
    # Letters and digits mixed, as API keys and URL-safe tokens usually are.
    token = "k3yVa1ue-9xYzAbCdEfGh12"
    assert token not in redact_text(f"token {token}")


def test_demo_input_folder_rejected(tmp_path: Path) -> None:
    with pytest.raises(DemoInputError, match="is a folder"):
        load_messages(tmp_path)


def test_demo_input_surrogate_rejected(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text('{"text": "ok"}\n{"text": "bad \\ud800"}\n', encoding="utf-8")
    with pytest.raises(DemoInputError, match=r"m\.jsonl:2"):
        load_messages(path)


def test_demo_input_accepts_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps({"text": "hola"}) + "\n", encoding="utf-8-sig")
    assert [message.text for message in load_messages(path)] == ["hola"]


def _flag_source(tmp_path: Path) -> SqliteFlagSource:
    return SqliteFlagSource(
        Database(tmp_path / "f.sqlite3"), defaults=Flags(), known_templates=frozenset({"t_a"})
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("automation_channels", ["fax"], "unknown channel 'fax'"),
        ("template_enabled", {"t_nope": True}, "no template named 't_nope'"),
        ("safe_mode", 1, "valid boolean"),
        ("tier2_rollout_percent", 150, "less than or equal to 100"),
    ],
)
def test_flag_values_rejected(tmp_path: Path, name: str, value: object, message: str) -> None:
    source = _flag_source(tmp_path)
    with pytest.raises(ValueError, match=message):
        source.set(name, value)
    assert source.load() == Flags()


def test_flag_error_hides_pydantic_link(tmp_path: Path) -> None:
    with pytest.raises(ValueError) as caught:
        _flag_source(tmp_path).set("safe_mode", 1)
    assert "errors.pydantic.dev" not in str(caught.value)


def test_cli_schema_is_strict() -> None:
    from typer.testing import CliRunner

    from richpanel_middleware.cli import app
    from richpanel_middleware.domain.decision import strict_schema_violations

    result = CliRunner().invoke(app, ["schema", "decision"])
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert strict_schema_violations(document) == []
    teams = document["$defs"]["Routing"]["properties"]["destination_team"]["enum"]
    assert "Chargebacks / Disputes Team" in teams


@pytest.mark.parametrize("timestamp", ["nan", "inf", "1e9", "0x10", "-1", " 1700000000", ""])
def test_hmac_rejects_malformed_timestamps(timestamp: str) -> None:
    from richpanel_middleware.pipeline.webhook_auth import WebhookAuthenticator, sign

    auth = WebhookAuthenticator(tokens=[], hmac_secrets=["s"], clock=lambda: 1_700_000_000.0)
    body = b"{}"
    assert auth.signature_valid(sign("s", timestamp, body), timestamp, body) is False


def test_hmac_accepts_fresh_signature() -> None:
    from richpanel_middleware.pipeline.webhook_auth import WebhookAuthenticator, sign

    auth = WebhookAuthenticator(tokens=[], hmac_secrets=["s"], clock=lambda: 1_700_000_000.0)
    assert auth.signature_valid(sign("s", "1700000100", b"{}"), "1700000100", b"{}") is True


@pytest.mark.parametrize("channel", ["tiktok", "social", "phone"])
def test_route_only_channels_cannot_be_enabled(tmp_path: Path, channel: str) -> None:
    with pytest.raises(ValueError, match="route-only"):
        _flag_source(tmp_path).set("automation_channels", ["email", channel])


@pytest.mark.parametrize(
    "text",
    [
        "Quiero devolver este producto. Mi banco está revirtiendo el pago.",
        "Can I exchange for a larger size? My credit union is handling the dispute already",
        "Ch@rgeback incoming",
        "c h a r g e b a c k",
        "Where is my refund?\n> Thanks for contacting us\nI am filing a chargeback with my bank today.",
    ],
)
def test_rules_catch_obfuscated_and_buried_chargebacks(text: str) -> None:
    from richpanel_middleware.classify.tier0_rules import match_tier0

    assert [hit.rule_id for hit in match_tier0(text)] == ["chargeback"]


def test_dead_letters_can_be_redriven(tmp_path: Path) -> None:
    from richpanel_middleware.runtime.local.sqlite_queue import SqliteQueue
    from richpanel_middleware.runtime.local.sqlite_stores import SqliteIdempotencyStore

    database = Database(tmp_path / "q.sqlite3")
    queue = SqliteQueue(database, max_receives=1)
    events = SqliteIdempotencyStore(database)
    queue.enqueue(group_id="c-1", dedup_key="k-1", body="{}")
    message = queue.receive(max_messages=1, visibility_timeout_s=30)[0]
    events.claim("k-1", lease_s=30)
    events.complete("k-1", result="failed")
    assert queue.dead_letter(message.receipt, reason="RichpanelNotFound")

    assert queue.redrive() == ["k-1"]
    assert events.forget_failure("k-1") is True
    assert queue.stats().dead_lettered == 0
    assert queue.stats().pending == 1
    assert events.status("k-1") is None


def test_transient_release_keeps_receive_budget(tmp_path: Path) -> None:
    from richpanel_middleware.runtime.local.sqlite_queue import SqliteQueue

    queue = SqliteQueue(Database(tmp_path / "q.sqlite3"), max_receives=2)
    queue.enqueue(group_id="c-1", dedup_key="k-1", body="{}")
    for attempt in range(5):
        message = queue.receive(max_messages=1, visibility_timeout_s=30)[0]
        assert message.transient_failures == attempt
        queue.release(message.receipt, transient=True)
    assert queue.stats().dead_lettered == 0
    assert queue.stats().pending == 1


def test_pending_turn_stops_at_last_reply() -> None:
    from datetime import UTC, datetime, timedelta

    from richpanel_middleware.configuration import load_app_config
    from richpanel_middleware.helpdesk.model import Comment, Ticket
    from richpanel_middleware.policy.loop_guard import evaluate_loop_guard

    start = datetime(2026, 1, 1, tzinfo=UTC)

    def comment(number: int, *, operator: bool | None, author: str = "customer") -> Comment:
        return Comment(
            f"c{number}", author, f"text {number}", start + timedelta(minutes=number), operator
        )

    ticket = Ticket(
        ticket_id="t",
        status="OPEN",
        channel="email",
        tags=(),
        assignee_id=None,
        comments=(
            comment(1, operator=False),
            comment(2, operator=True, author="mw-bot"),
            comment(3, operator=False),
            comment(4, operator=None, author="note-writer"),
            comment(5, operator=False),
        ),
    )
    verdict = evaluate_loop_guard(
        ticket,
        event_message_id=None,
        state=None,
        bot_author_id="mw-bot",
        guards=load_app_config().guards,
        now=start + timedelta(hours=1),
    )
    assert [c.comment_id for c in verdict.pending] == ["c3", "c5"]


def test_intent_from_tag_round_trip() -> None:
    from richpanel_middleware.domain.intents import Intent
    from richpanel_middleware.domain.tags import intent_from_tag, intent_tag

    assert intent_from_tag(intent_tag(Intent.CHARGEBACK_DISPUTE)) is Intent.CHARGEBACK_DISPUTE
    assert intent_from_tag("mw-intent-not-a-thing") is None
    assert intent_from_tag("route-leadership-team") is None


@pytest.mark.parametrize(
    "text",
    ["I filed a charge\u200bback", "my la\u200dwyer will be in touch", "contra\u2060cargo ya"],
)
def test_rules_ignore_zero_width_characters(text: str) -> None:
    from richpanel_middleware.classify.tier0_rules import match_tier0

    assert match_tier0(text) != ()


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Don't make me call my lawyer.", "legal_threat"),
        ("I won't hesitate to contact my lawyer.", "legal_threat"),
        ("ch\u0430rgeback incoming", "chargeback"),
        ("I'll have my l4wyer call you.", "legal_threat"),
        ("I'll c-h-a-r-g-e-b-a-c-k.", "chargeback"),
        ("I'll reverse teh charge.", "chargeback"),
        ("I've already told Visa.", "chargeback"),
        ("my bank's fraud team is already on it", "chargeback"),
        ("PS: I know your home address.", "harassment_threats"),
        ("Ya puse la queja en mi banco.", "chargeback"),
        ("Rückbuchung kommt.", "chargeback"),
        ("Je vais contacter mon avocat.", "legal_threat"),
        ("Don't make me sue.", "legal_threat"),
        ("I'll sue you", "legal_threat"),
        ("los llevo a juicio si no me responden", "legal_threat"),
        ("We think his card was skimmed", "fraud_suspected"),
        ("I've already reversed the payment with my bank", "chargeback"),
    ],
)
def test_rules_catch_disguised_threats(text: str, rule: str) -> None:
    from richpanel_middleware.classify.tier0_rules import match_tier0

    assert [hit.rule_id for hit in match_tier0(text)] == [rule]


@pytest.mark.parametrize(
    "text",
    [
        "I don't want to sue anyone, just send the right size",
        "Hi, this is Sue, where is my order?",
        "my email is sue.smith@example.com, please update it",
        "A mi juicio el producto es excelente",
        "ship it to my lawyer's office please",
        "I want to know which charger works with my phone",
        "Will this cleaner harm them? I have cats",
        "The skimmed milk arrived spoiled",
        "My gift card was used for half of order 1234",
        "This is not me in the photo you sent",
        "The courier left it without my permission at the neighbour",
        "Can you tell me who placed the order? My husband or me",
        "Can I get my money back on my credit card please?",
        "I was charged twice, can you reverse the charge?",
        "Please stop the payment on my subscription renewal",
        "I already told my bank I changed cards, stop the renewals",
        "order 1001 came in 3 boxes",
        "my mp3 player stopped working",
    ],
)
def test_rules_stay_quiet_on_ordinary_text(text: str) -> None:
    from richpanel_middleware.classify.tier0_rules import match_tier0

    assert match_tier0(text) == ()


def test_language_without_evidence_is_unknown() -> None:
    from richpanel_middleware.classify.language import detect_language

    assert detect_language("Je vais contacter mon avocat") == "fr"
    assert detect_language("Merci") == "unknown"
    assert detect_language("Where is my order?") == "en"
    assert detect_language("¿Dónde está mi pedido?") == "es"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Olá, onde está o meu pedido 9302? Ainda não recebi nada.", "pt"),
        ("Hola, ¿dónde está mi pedido? Ya pasaron varios días y no sé nada.", "es"),
        ("Bonjour, où est ma commande ? Je ne l'ai toujours pas reçue.", "fr"),
    ],
)
def test_neighbouring_languages_are_not_spanish(text: str, language: str) -> None:
    from richpanel_middleware.classify.language import detect_language

    assert detect_language(text) == language


def _config_copy(tmp_path: Path) -> Path:
    import shutil

    from richpanel_middleware.configuration import default_config_dir

    target = tmp_path / "config"
    shutil.copytree(default_config_dir(), target)
    return target


def test_config_rejects_intake_template_for_tier0(tmp_path: Path) -> None:
    from richpanel_middleware.configuration import ConfigError, load_app_config

    folder = _config_copy(tmp_path)
    routing = folder / "routing.yaml"
    routing.write_text(
        routing.read_text(encoding="utf-8").replace(
            "template: t_chargeback_neutral_ack}", "template: t_order_status_ask_order_number}"
        ),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"intents\.chargeback_dispute\.template"):
        load_app_config(folder)


def test_config_rejects_duplicate_yaml_keys(tmp_path: Path) -> None:
    from richpanel_middleware.configuration import ConfigError, load_app_config

    folder = _config_copy(tmp_path)
    guards = folder / "guards.yaml"
    guards.write_text(
        guards.read_text(encoding="utf-8") + "max_auto_replies_per_24h: 5\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"guards\.yaml: invalid YAML at line \d+: duplicate key"):
        load_app_config(folder)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ana", "Ana"),
        ("  Ana María ", "Ana"),
        ("\u3164", None),
        ("<b>Ana</b>", None),
        ("An\u0303a", "A\u00f1a"),
        ("x" * 60, None),
        (None, None),
    ],
)
def test_first_name_sanitising(raw: str | None, expected: str | None) -> None:
    from richpanel_middleware.pipeline.worker import _safe_first_name

    assert _safe_first_name(raw) == expected


def test_minimal_bodies_are_never_merged(tmp_path: Path) -> None:
    from richpanel_middleware.runtime.local.sqlite_queue import SqliteQueue

    queue = SqliteQueue(Database(tmp_path / "q.sqlite3"))
    service = IngressService(queue=queue, tokens=["tok"])
    body = b'{"ticket_id": "t-1", "event_type": "customer_message"}'
    first = service.handle(token="tok", raw_body=body)
    second = service.handle(token="tok", raw_body=body)
    assert first.status_code == 202
    assert second.status_code == 202
    assert queue.stats().pending == 2


def test_constant_extra_field_is_not_merged(tmp_path: Path) -> None:
    from richpanel_middleware.runtime.local.sqlite_queue import SqliteQueue

    queue = SqliteQueue(Database(tmp_path / "q.sqlite3"))
    service = IngressService(queue=queue, tokens=["tok"])
    body = b'{"ticket_id": "t-1", "event_type": "customer_message", "brand": "acme"}'
    assert service.handle(token="tok", raw_body=body).status_code == 202
    assert service.handle(token="tok", raw_body=body).status_code == 202
    assert queue.stats().pending == 2


def test_lease_keeper_keeps_event_held(tmp_path: Path) -> None:
    import time

    from richpanel_middleware.pipeline.leases import LeaseKeeper
    from richpanel_middleware.pipeline.ports import ClaimOutcome
    from richpanel_middleware.runtime.local.sqlite_queue import SqliteQueue
    from richpanel_middleware.runtime.local.sqlite_stores import SqliteIdempotencyStore

    database = Database(tmp_path / "q.sqlite3")
    queue = SqliteQueue(database)
    keys = SqliteIdempotencyStore(database)
    queue.enqueue(group_id="c-1", dedup_key="k-1", body="{}")
    message = queue.receive(max_messages=1, visibility_timeout_s=0.3)[0]
    assert keys.claim("k-1", lease_s=0.3) is ClaimOutcome.CLAIMED

    with LeaseKeeper(
        queue=queue, event_keys=keys, receipt=message.receipt, event_key="k-1", timeout_s=0.3
    ):
        time.sleep(1.0)
        assert queue.receive(max_messages=1, visibility_timeout_s=0.3) == []
        assert keys.claim("k-1", lease_s=0.3) is ClaimOutcome.IN_PROGRESS

    time.sleep(0.5)
    assert len(queue.receive(max_messages=1, visibility_timeout_s=0.3)) == 1


def test_chargeback_after_many_messages_still_escalates() -> None:
    from datetime import UTC, datetime, timedelta

    from richpanel_middleware.configuration import load_app_config
    from richpanel_middleware.helpdesk.model import Comment, Ticket
    from richpanel_middleware.policy.loop_guard import evaluate_loop_guard

    start = datetime(2026, 1, 1, tzinfo=UTC)
    texts = ["I am filing a chargeback with my bank", *(f"hello {n}?" for n in range(8))]
    comments = tuple(
        Comment(f"c{n}", "customer", text, start + timedelta(minutes=n), False)
        for n, text in enumerate(texts)
    )
    ticket = Ticket("t", "OPEN", "email", (), None, comments)
    verdict = evaluate_loop_guard(
        ticket,
        event_message_id=None,
        state=None,
        bot_author_id="mw-bot",
        guards=load_app_config().guards,
        now=start + timedelta(hours=1),
    )
    assert verdict.pending[0].comment_id == "c0"
    assert len(verdict.pending) == len(texts)


def test_existing_database_gains_new_columns(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE queue_messages (id INTEGER PRIMARY KEY AUTOINCREMENT, group_id TEXT "
            "NOT NULL, dedup_key TEXT NOT NULL, body TEXT NOT NULL, enqueued_at REAL NOT NULL, "
            "visible_at REAL NOT NULL, receive_count INTEGER NOT NULL DEFAULT 0, receipt TEXT, "
            "in_flight_until REAL)"
        )
    from richpanel_middleware.runtime.local.sqlite_queue import SqliteQueue

    queue = SqliteQueue(Database(path))
    queue.enqueue(group_id="c", dedup_key="k", body="{}")
    assert queue.receive(max_messages=1, visibility_timeout_s=5)[0].transient_failures == 0


def test_runner_unhealthy_after_receive_failure(tmp_path: Path) -> None:
    import time

    from richpanel_middleware.runtime.local.sqlite_queue import SqliteQueue
    from richpanel_middleware.runtime.local.worker_runner import WorkerRunner

    queue = SqliteQueue(Database(tmp_path / "q.sqlite3"))
    runner = WorkerRunner(None, queue, concurrency=1, visibility_timeout_s=5)  # type: ignore[arg-type]
    runner.check_healthy()
    runner.last_receive_failure = time.monotonic()
    with pytest.raises(RuntimeError, match="cannot receive"):
        runner.check_healthy()
