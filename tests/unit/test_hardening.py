"""Input hardening: nested JSON, log redaction, demo input files and runtime flag values."""

from __future__ import annotations

import json
import secrets
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


def test_redaction_hides_random_token() -> None:
    token = secrets.token_urlsafe(16)
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
