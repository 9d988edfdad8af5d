"""Ingress over real HTTP: authentication, strict validation, durable enqueue and probes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from richpanel_middleware.pipeline.webhook_auth import TOKEN_HEADER
from richpanel_middleware.runtime.local.http_app import create_app
from richpanel_middleware.runtime.local.server_thread import ServerThread
from richpanel_middleware.runtime.local.stack import LocalStack, build_stack
from richpanel_middleware.settings import Settings

TOKEN_A = "tok-a"
TOKEN_B = "tok-b"
MAX_BODY_BYTES = 32 * 1024
VALID_BODY = {"ticket_id": "conv-1", "event_type": "customer_message", "message_id": "msg-1"}


@dataclass
class Ingress:
    stack: LocalStack
    client: httpx.Client

    def post(
        self,
        body: Any = None,
        *,
        token: str | None = TOKEN_A,
        raw: bytes | None = None,
        content_type: str | None = "application/json",
    ) -> httpx.Response:
        headers = {}
        if token is not None:
            headers[TOKEN_HEADER] = token
        if content_type is not None:
            headers["content-type"] = content_type
        content = raw if raw is not None else json.dumps(body).encode("utf-8")
        return self.client.post("/webhook", content=content, headers=headers)

    def pending(self) -> int:
        return self.stack.queue.stats().pending


@contextmanager
def running_ingress(data_dir: Path) -> Iterator[Ingress]:
    """Build the embedded stack in `data_dir` and serve its HTTP app on a loopback port."""
    settings = Settings(
        data_dir=data_dir,
        config_dir=None,
        webhook_tokens=[SecretStr(TOKEN_A), SecretStr(TOKEN_B)],
        max_body_bytes=MAX_BODY_BYTES,
    )
    stack = build_stack(settings)
    app = create_app(
        stack.ingress(), readiness_check=stack.readiness_check, registry=stack.metrics.registry
    )
    try:
        with (
            ServerThread(app) as server,
            httpx.Client(base_url=server.base_url, trust_env=False, timeout=10.0) as client,
        ):
            yield Ingress(stack, client)
    finally:
        stack.close()


@pytest.fixture(scope="module")
def shared_ingress(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ingress]:
    # One server for the whole module keeps the suite fast. `ingress` empties the queue per test.
    with running_ingress(tmp_path_factory.mktemp("ingress")) as running:
        yield running


@pytest.fixture
def ingress(shared_ingress: Ingress) -> Ingress:
    with shared_ingress.stack.database.transaction() as connection:
        for table in ("queue_messages", "queue_dedup", "queue_dead_letters"):
            connection.execute(f"DELETE FROM {table}")
    assert shared_ingress.pending() == 0
    return shared_ingress


@pytest.fixture
def isolated_ingress(tmp_path: Path) -> Iterator[Ingress]:
    """A server of its own, for tests that break the database."""
    with running_ingress(tmp_path) as running:
        yield running


def body_of_size(size: int) -> bytes:
    """A valid webhook body padded with an ignored field to exactly `size` bytes."""
    empty = json.dumps({**VALID_BODY, "padding": ""}).encode("utf-8")
    padded = {**VALID_BODY, "padding": "x" * (size - len(empty))}
    raw = json.dumps(padded).encode("utf-8")
    assert len(raw) == size
    return raw


def error_text(response: httpx.Response) -> str:
    return json.dumps(response.json())


# --- accepted deliveries -----------------------------------------------------------------------


def test_valid_body_is_accepted(ingress: Ingress) -> None:
    response = ingress.post(VALID_BODY)

    assert response.status_code == 202
    assert response.json()["status"] == "accepted"
    assert ingress.pending() == 1


def test_accepted_event_is_queued_by_conversation(ingress: Ingress) -> None:
    ingress.post({**VALID_BODY, "channel": "Email", "ticket_url": "https://app.example/t/1"})

    (message,) = ingress.stack.queue.receive(max_messages=5, visibility_timeout_s=30)
    event = json.loads(message.body)

    assert message.group_id == "conv-1"
    assert event["conversation_id"] == "conv-1"
    assert event["message_id"] == "msg-1"
    assert event["channel"] == "email"
    assert event["ticket_url"] == "https://app.example/t/1"


def test_both_active_tokens_accepted(ingress: Ingress) -> None:
    first = ingress.post(VALID_BODY, token=TOKEN_A)
    second = ingress.post({**VALID_BODY, "message_id": "msg-2"}, token=TOKEN_B)

    assert first.status_code == 202
    assert second.status_code == 202
    assert ingress.pending() == 2


def test_minimal_body_is_accepted(ingress: Ingress) -> None:
    response = ingress.post({"ticket_id": "conv-1", "event_type": "customer_message"})

    assert response.status_code == 202
    assert ingress.pending() == 1


def test_unknown_fields_are_ignored(ingress: Ingress) -> None:
    response = ingress.post({**VALID_BODY, "customer_email": "a@example.com", "extra": [1, 2]})

    assert response.status_code == 202
    (message,) = ingress.stack.queue.receive(max_messages=5, visibility_timeout_s=30)
    assert "customer_email" not in message.body
    assert "a@example.com" not in message.body


def test_conversation_id_alias_is_accepted(ingress: Ingress) -> None:
    response = ingress.post({"conversation_id": "conv-9", "event_type": "customer_message"})

    assert response.status_code == 202
    (message,) = ingress.stack.queue.receive(max_messages=5, visibility_timeout_s=30)
    assert message.group_id == "conv-9"


def test_json_with_charset_is_accepted(ingress: Ingress) -> None:
    response = ingress.post(VALID_BODY, content_type="application/json; charset=utf-8")

    assert response.status_code == 202


def test_body_at_limit_is_accepted(ingress: Ingress) -> None:
    response = ingress.post(raw=body_of_size(MAX_BODY_BYTES))

    assert response.status_code == 202
    assert ingress.pending() == 1


# --- duplicates --------------------------------------------------------------------------------


def test_duplicate_delivery_is_stored_once(ingress: Ingress) -> None:
    first = ingress.post(VALID_BODY)
    second = ingress.post(VALID_BODY)

    assert first.status_code == 202
    assert second.status_code == 200
    assert second.json()["status"] == "duplicate"
    assert second.json()["event_key"] == first.json()["event_key"]
    assert ingress.pending() == 1


def test_alias_delivery_is_duplicate(ingress: Ingress) -> None:
    ingress.post(VALID_BODY)
    alias = {"conversation_id": "conv-1", "event_type": "customer_message", "message_id": "msg-1"}

    response = ingress.post(alias)

    assert response.json()["status"] == "duplicate"
    assert ingress.pending() == 1


def test_new_message_id_is_not_duplicate(ingress: Ingress) -> None:
    ingress.post(VALID_BODY)

    response = ingress.post({**VALID_BODY, "message_id": "msg-2"})

    assert response.status_code == 202
    assert ingress.pending() == 2


# --- authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [None, "", "tok-c", "tok-ab", "TOK-A"],
    ids=["missing", "empty", "wrong", "prefix_match", "upper_case"],
)
def test_bad_token_is_unauthorized(ingress: Ingress, token: str | None) -> None:
    response = ingress.post(VALID_BODY, token=token)

    assert response.status_code == 401
    assert response.json() == {"error": "unauthorized"}
    assert ingress.pending() == 0


def test_unauthorized_bodies_are_identical(ingress: Ingress) -> None:
    missing = ingress.post(VALID_BODY, token=None)
    wrong = ingress.post(VALID_BODY, token="tok-c")

    assert missing.content == wrong.content
    assert "token" not in missing.text.lower()


def test_auth_checked_before_body(ingress: Ingress) -> None:
    response = ingress.post(raw=b"not json", token="tok-c")

    assert response.status_code == 401
    assert response.json() == {"error": "unauthorized"}


# --- rejected bodies ---------------------------------------------------------------------------


def test_body_over_limit_is_too_large(ingress: Ingress) -> None:
    response = ingress.post(raw=body_of_size(MAX_BODY_BYTES + 1))

    assert response.status_code == 413
    assert str(MAX_BODY_BYTES) in response.json()["error"]
    assert ingress.pending() == 0


def test_chunked_body_over_limit_is_too_large(ingress: Ingress) -> None:
    raw = body_of_size(MAX_BODY_BYTES + 4096)
    chunks = (raw[i : i + 4096] for i in range(0, len(raw), 4096))

    response = ingress.client.post(
        "/webhook",
        content=chunks,
        headers={TOKEN_HEADER: TOKEN_A, "content-type": "application/json"},
    )

    assert response.status_code == 413
    assert ingress.pending() == 0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"{not json", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b'["conv-1", "customer_message"]', "must be a JSON object"),
        (b'"conv-1"', "must be a JSON object"),
        (b'{"ticket_id": "conv-1", "event_type": "customer_message", "score": NaN}', "NaN"),
        (
            b'{"ticket_id": "conv-1", "event_type": "customer_message", "score": Infinity}',
            "Infinity",
        ),
        (
            b'{"ticket_id": "a", "ticket_id": "b", "event_type": "customer_message"}',
            "duplicate key",
        ),
    ],
    ids=["syntax", "empty", "not_utf8", "array", "string", "nan", "infinity", "duplicate_key"],
)
def test_malformed_json_is_bad_request(ingress: Ingress, raw: bytes, expected: str) -> None:
    response = ingress.post(raw=raw)

    assert response.status_code == 400
    assert expected in response.json()["error"]
    assert ingress.pending() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ticket_id": 12345, "event_type": "customer_message"}, "ticket_id"),
        ({"ticket_id": "", "event_type": "customer_message"}, "ticket_id"),
        ({"event_type": "customer_message", "message_id": "msg-1"}, "ticket_id"),
        ({"ticket_id": "conv-1", "event_type": "other"}, "event_type"),
        ({"ticket_id": "conv-1"}, "event_type"),
        ({"ticket_id": "conv-1", "event_type": "customer_message", "message_id": 7}, "message_id"),
        ({"ticket_id": "conv-1", "event_type": "customer_message", "channel": "fax"}, "channel"),
        (
            {"ticket_id": "a", "conversation_id": "b", "event_type": "customer_message"},
            "conversation_id",
        ),
    ],
    ids=[
        "numeric_ticket_id",
        "empty_ticket_id",
        "missing_ticket_id",
        "other_event_type",
        "missing_event_type",
        "numeric_message_id",
        "unknown_channel",
        "conflicting_ids",
    ],
)
def test_invalid_field_is_bad_request(ingress: Ingress, body: dict[str, Any], field: str) -> None:
    response = ingress.post(body)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid webhook body"
    assert field in error_text(response)
    assert ingress.pending() == 0


def test_numeric_ticket_id_names_field(ingress: Ingress) -> None:
    response = ingress.post({"ticket_id": 12345, "event_type": "customer_message"})

    fields = [detail["field"] for detail in response.json()["details"]]
    assert fields == ["ticket_id"]


def test_text_plain_is_unsupported(ingress: Ingress) -> None:
    response = ingress.post(VALID_BODY, content_type="text/plain")

    assert response.status_code == 415
    assert "application/json" in response.json()["error"]
    assert ingress.pending() == 0


def test_rejections_leave_queue_empty(ingress: Ingress) -> None:
    rejected = [
        ingress.post(VALID_BODY, token=None),
        ingress.post(VALID_BODY, content_type="text/plain"),
        ingress.post(raw=b"[]"),
        ingress.post({"ticket_id": 1, "event_type": "customer_message"}),
        ingress.post(raw=body_of_size(MAX_BODY_BYTES + 1)),
    ]

    assert [response.status_code for response in rejected] == [401, 415, 400, 400, 413]
    stats = ingress.stack.queue.stats()
    assert stats.pending == 0
    assert stats.in_flight == 0
    assert stats.dead_lettered == 0


def test_failed_enqueue_is_unavailable(isolated_ingress: Ingress) -> None:
    isolated_ingress.stack.database.connection().execute("DROP TABLE queue_messages")

    response = isolated_ingress.post(VALID_BODY)

    assert response.status_code == 503
    assert "retry" in response.json()["error"]


def test_get_webhook_is_not_allowed(ingress: Ingress) -> None:
    assert ingress.client.get("/webhook").status_code == 405


# --- probes ------------------------------------------------------------------------------------


def test_health_is_ok(ingress: Ingress) -> None:
    response = ingress.client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_is_ok(ingress: Ingress) -> None:
    response = ingress.client.get("/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


def test_ready_fails_without_queue_table(isolated_ingress: Ingress) -> None:
    isolated_ingress.stack.database.connection().execute("DROP TABLE queue_messages")

    response = isolated_ingress.client.get("/ready")

    assert response.status_code == 503
    assert response.json()["status"] == "not_ready"


def test_metrics_are_exposed(ingress: Ingress) -> None:
    ingress.stack.metrics.increment("mw_test_events_total")

    response = ingress.client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "mw_test_events_total" in response.text


def test_correlation_id_is_echoed(ingress: Ingress) -> None:
    response = ingress.client.post(
        "/webhook",
        content=json.dumps(VALID_BODY),
        headers={
            TOKEN_HEADER: TOKEN_A,
            "content-type": "application/json",
            "x-correlation-id": "corr-123",
        },
    )

    assert response.status_code == 202
    assert response.headers["x-correlation-id"] == "corr-123"
