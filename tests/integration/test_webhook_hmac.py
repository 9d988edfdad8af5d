"""HMAC signature mode of the webhook ingress, over real HTTP."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from richpanel_middleware.pipeline.webhook_auth import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    TOKEN_HEADER,
    sign,
)
from richpanel_middleware.runtime.local.http_app import create_app
from richpanel_middleware.runtime.local.server_thread import ServerThread
from richpanel_middleware.runtime.local.stack import LocalStack, build_stack
from richpanel_middleware.settings import Settings

SECRET = "hmac-secret-for-tests"
TOKEN = "token-for-tests"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, LocalStack]]:
    stack = build_stack(
        Settings(
            data_dir=tmp_path,
            webhook_tokens=[SecretStr(TOKEN)],
            webhook_hmac_secrets=[SecretStr(SECRET)],
        )
    )
    app = create_app(stack.ingress(), readiness_check=stack.readiness_check)
    with ServerThread(app) as server:
        yield server.base_url, stack
    stack.close()


def _body(message_id: str = "m-1") -> bytes:
    return json.dumps(
        {"ticket_id": "t-1", "event_type": "customer_message", "message_id": message_id}
    ).encode()


def _post(base_url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(
        f"{base_url}/webhook",
        content=body,
        headers={"content-type": "application/json", **headers},
    )


def test_signed_request_accepted(served: tuple[str, LocalStack]) -> None:
    base_url, stack = served
    body = _body()
    timestamp = str(int(time.time()))
    response = _post(
        base_url,
        body,
        {SIGNATURE_HEADER: sign(SECRET, timestamp, body), TIMESTAMP_HEADER: timestamp},
    )
    assert response.status_code == 202
    assert stack.queue.stats().pending == 1


def test_wrong_signature_rejected_despite_token(served: tuple[str, LocalStack]) -> None:
    base_url, stack = served
    body = _body()
    timestamp = str(int(time.time()))
    response = _post(
        base_url,
        body,
        {
            SIGNATURE_HEADER: sign("another-secret", timestamp, body),
            TIMESTAMP_HEADER: timestamp,
            TOKEN_HEADER: TOKEN,
        },
    )
    assert response.status_code == 401
    assert response.json() == {"error": "unauthorized"}
    assert stack.queue.stats().pending == 0


def test_stale_timestamp_rejected(served: tuple[str, LocalStack]) -> None:
    base_url, stack = served
    body = _body()
    timestamp = str(int(time.time()) - 301)
    response = _post(
        base_url,
        body,
        {SIGNATURE_HEADER: sign(SECRET, timestamp, body), TIMESTAMP_HEADER: timestamp},
    )
    assert response.status_code == 401
    assert stack.queue.stats().pending == 0


def test_tampered_body_rejected(served: tuple[str, LocalStack]) -> None:
    base_url, stack = served
    timestamp = str(int(time.time()))
    signature = sign(SECRET, timestamp, _body("m-1"))
    response = _post(
        base_url, _body("m-2"), {SIGNATURE_HEADER: signature, TIMESTAMP_HEADER: timestamp}
    )
    assert response.status_code == 401
    assert stack.queue.stats().pending == 0


def test_missing_timestamp_rejected(served: tuple[str, LocalStack]) -> None:
    base_url, _ = served
    body = _body()
    response = _post(base_url, body, {SIGNATURE_HEADER: sign(SECRET, "0", body)})
    assert response.status_code == 401


def test_token_still_works_unsigned(served: tuple[str, LocalStack]) -> None:
    base_url, stack = served
    response = _post(base_url, _body(), {TOKEN_HEADER: TOKEN})
    assert response.status_code == 202
    assert stack.queue.stats().pending == 1
