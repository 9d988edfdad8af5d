"""Contract tests: RichpanelClient against the Richpanel sandbox over real HTTP on loopback.

The sandbox runs once per module in a ServerThread and is reset before every test.
Its admin API (``/_sandbox/``) creates conversations, injects faults and exposes the
request log and the journal of writes, which the tests use to see what arrived.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from richpanel_middleware.helpdesk.errors import (
    RichpanelBadRequest,
    RichpanelConflict,
    RichpanelError,
    RichpanelNotFound,
    RichpanelPayloadTooLarge,
    RichpanelPermanentError,
    RichpanelRateLimited,
    RichpanelServerError,
    RichpanelTransportError,
    RichpanelUnauthorized,
    RichpanelWriteNotApplied,
)
from richpanel_middleware.helpdesk.rate_gate import RateGate
from richpanel_middleware.helpdesk.richpanel import (
    MAX_RETRY_AFTER_S,
    RichpanelClient,
    conversation_ref,
    encode_path_segment,
    parse_retry_after,
)
from richpanel_middleware.runtime.local.server_thread import ServerThread
from richpanel_middleware.sandbox import RichpanelSandboxSettings, create_richpanel_sandbox
from richpanel_middleware.sandbox.state import TEAM_NAMES, RichpanelSandboxState

API_KEY = "rp-test-key-5b1f0c9e"
BOT_AUTHOR_ID = "mw-bot"
RATE_LIMIT_WINDOW_S = 2.0
MESSAGE_ID_LIKE = "<abc+1@mail.example.com>"

AWKWARD_IDS = [
    MESSAGE_ID_LIKE,
    "<part/of/path@mail.example.com>",
    "space ?query#frag&x=1 100%",
    "plain-ticket-123",
    "..",
    ".",
]


class SandboxAdmin:
    """Calls the sandbox admin API over HTTP. Every call asserts a 2xx response."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._http = httpx.Client(base_url=base_url, timeout=10.0)

    def close(self) -> None:
        self._http.close()

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self._http.post(path, json=body)
        assert response.is_success, response.text
        result: dict[str, Any] = response.json()
        return result

    def _get(self, path: str) -> dict[str, Any]:
        response = self._http.get(path)
        assert response.is_success, response.text
        result: dict[str, Any] = response.json()
        return result

    def reset(self) -> None:
        self._post("/_sandbox/reset", {})

    def create_conversation(self, **body: Any) -> dict[str, Any]:
        body.setdefault("text", "Where is my order?")
        return self._post("/_sandbox/conversations", body)

    def add_message(self, ticket_id: str, **body: Any) -> dict[str, Any]:
        return self._post(
            f"/_sandbox/conversations/{encode_path_segment(ticket_id)}/messages", body
        )

    def fire_webhook(self, ticket_id: str) -> dict[str, Any]:
        return self._post(
            f"/_sandbox/conversations/{encode_path_segment(ticket_id)}/fire-webhook", {}
        )

    def summary(self, ticket_id: str) -> dict[str, Any]:
        return self._get(f"/_sandbox/conversations/{encode_path_segment(ticket_id)}")

    def journal(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self._get("/_sandbox/journal")["journal"]
        return entries

    def requests(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self._get("/_sandbox/requests")["requests"]
        return entries

    def faults(self, **body: Any) -> None:
        self._post("/_sandbox/faults", body)

    def config(self, **body: Any) -> dict[str, Any]:
        return self._post("/_sandbox/config", body)

    def seed_order(self, **body: Any) -> None:
        self._post("/_sandbox/orders", body)

    def wait_for_requests(self, count: int, timeout_s: float = 5.0) -> list[dict[str, Any]]:
        """Poll the request log until it contains `count` entries, for requests still in flight."""
        deadline = time.monotonic() + timeout_s
        while True:
            entries = self.requests()
            if len(entries) >= count or time.monotonic() > deadline:
                return entries
            time.sleep(0.05)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[tuple[ServerThread, RichpanelSandboxState]]:
    settings = RichpanelSandboxSettings(
        api_key=API_KEY, bot_author_id=BOT_AUTHOR_ID, rate_limit_window_s=RATE_LIMIT_WINDOW_S
    )
    app, state = create_richpanel_sandbox(settings)
    with ServerThread(app) as server:
        yield server, state


@pytest.fixture
def sandbox_server(sandbox: tuple[ServerThread, RichpanelSandboxState]) -> ServerThread:
    return sandbox[0]


@pytest.fixture
def admin(sandbox: tuple[ServerThread, RichpanelSandboxState]) -> Iterator[SandboxAdmin]:
    server, state = sandbox
    # An in-process reset does the same as POST /_sandbox/reset, which a test below covers.
    state.reset()
    sandbox_admin = SandboxAdmin(server.base_url)
    yield sandbox_admin
    sandbox_admin.close()


@pytest.fixture
def make_client(sandbox_server: ServerThread) -> Iterator[Callable[..., RichpanelClient]]:
    """Build clients for the sandbox with fast backoff. All are closed after the test."""
    clients: list[RichpanelClient] = []

    def build(**overrides: Any) -> RichpanelClient:
        options: dict[str, Any] = {
            "base_url": sandbox_server.base_url,
            "api_key": API_KEY,
            "timeout_s": 5.0,
            "backoff_base_s": 0.01,
            "backoff_max_s": 0.05,
        }
        options.update(overrides)
        client = RichpanelClient(**options)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def client(admin: SandboxAdmin, make_client: Callable[..., RichpanelClient]) -> RichpanelClient:
    return make_client()


@pytest.fixture
def raw_http(sandbox_server: ServerThread) -> Iterator[httpx.Client]:
    """A plain httpx client with the API key, for requests the RichpanelClient never sends."""
    with httpx.Client(
        base_url=sandbox_server.base_url, headers={"x-richpanel-key": API_KEY}, timeout=10.0
    ) as http:
        yield http


def api_requests(admin: SandboxAdmin, endpoint: str) -> list[dict[str, Any]]:
    return [entry for entry in admin.requests() if entry["endpoint"] == endpoint]


def closed_port() -> int:
    """Return a loopback port that nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# Reading tickets


def test_get_ticket_parses_shape(client: RichpanelClient, admin: SandboxAdmin) -> None:
    created = admin.create_conversation(
        text="Where is my order #1234?",
        subject="Order status",
        channel="email",
        customer={"email": "pat@example.com", "phone": "+15550100", "first_name": "Pat"},
    )
    before = datetime.now(UTC)

    ticket = client.get_ticket(created["ticket_id"])

    assert ticket.ticket_id == created["ticket_id"]
    assert ticket.conversation_no == created["conversation_no"]
    assert ticket.status == "OPEN"
    assert not ticket.is_closed
    assert ticket.channel == "email"
    assert ticket.subject == "Order status"
    assert ticket.tags == ()
    assert ticket.assignee_id is None
    assert ticket.customer_email == "pat@example.com"
    assert ticket.customer_phone == "+15550100"
    assert ticket.customer_first_name == "Pat"
    assert len(ticket.comments) == 1
    comment = ticket.comments[0]
    assert comment.comment_id == created["message_id"]
    assert comment.plain_body == "Where is my order #1234?"
    assert comment.is_operator is False
    assert comment.is_customer
    assert comment.channel == "email"
    assert comment.created_at.tzinfo is not None
    assert abs(comment.created_at - before) < timedelta(minutes=1)
    assert isinstance(ticket.extra["created_at"], datetime)
    assert ticket.extra["created_at"].utcoffset() == timedelta(0)


def test_timestamps_parse_iso_and_epoch_ms(
    client: RichpanelClient, admin: SandboxAdmin, raw_http: httpx.Client
) -> None:
    created = admin.create_conversation()
    ticket_id = created["ticket_id"]
    wire = raw_http.get(f"/v1/tickets/{encode_path_segment(ticket_id)}").json()["ticket"]

    ticket = client.get_ticket(ticket_id)

    # The sandbox sends ticket times as ISO 8601 strings and comment times as epoch ms.
    assert isinstance(wire["created_at"], str)
    assert isinstance(wire["comments"][0]["created_at"], int)
    epoch_ms = wire["comments"][0]["created_at"]
    assert ticket.comments[0].created_at == datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    iso_text = wire["created_at"].replace("Z", "+00:00")
    assert ticket.extra["created_at"] == datetime.fromisoformat(iso_text)


def test_html_only_comment_falls_back_to_text(client: RichpanelClient, admin: SandboxAdmin) -> None:
    created = admin.create_conversation(
        text=None,
        html=(
            "<div>Hi&nbsp;there,<br>where is <b>my</b> order?</div>"
            "<style>p { color: red }</style><p>Fish &amp; chips &lt;3</p>"
        ),
    )

    ticket = client.get_ticket(created["ticket_id"])

    assert ticket.comments[0].plain_body == "Hi there,\nwhere is my order?\nFish & chips <3"


def test_comments_sorted_oldest_first(client: RichpanelClient, admin: SandboxAdmin) -> None:
    created = admin.create_conversation(text="first")
    admin.add_message(created["ticket_id"], text="agent answer", author="agent")
    admin.add_message(created["ticket_id"], text="second", author="customer")

    ticket = client.get_ticket(created["ticket_id"])

    assert [comment.plain_body for comment in ticket.comments] == [
        "first",
        "agent answer",
        "second",
    ]
    assert [comment.is_operator for comment in ticket.comments] == [False, True, False]


def test_get_ticket_by_number(client: RichpanelClient, admin: SandboxAdmin) -> None:
    admin.create_conversation()
    created = admin.create_conversation()

    ticket = client.get_ticket_by_number(created["conversation_no"])

    assert ticket.ticket_id == created["ticket_id"]


def test_write_by_number_returns_404(admin: SandboxAdmin, raw_http: httpx.Client) -> None:
    created = admin.create_conversation()
    number = created["conversation_no"]

    response = raw_http.put(f"/v1/tickets/number/{number}", json={"ticket": {"status": "CLOSED"}})

    assert response.status_code == 404
    assert "error" in response.json()
    assert admin.summary(created["ticket_id"])["closed"] is False


def test_unknown_ticket_raises_not_found(client: RichpanelClient, admin: SandboxAdmin) -> None:
    missing_id = "<missing-7@mail.example.com>"

    with pytest.raises(RichpanelNotFound) as caught:
        client.get_ticket(missing_id)

    assert caught.value.status_code == 404
    assert caught.value.conversation_ref == conversation_ref(missing_id)
    assert conversation_ref(missing_id) in str(caught.value)
    assert missing_id not in str(caught.value)
    assert quote(missing_id, safe="") not in str(caught.value)
    assert len(admin.requests()) == 1


# Ticket ids and percent-encoding


@pytest.mark.parametrize("ticket_id", AWKWARD_IDS)
def test_awkward_ids_round_trip_and_writes_apply(
    client: RichpanelClient, admin: SandboxAdmin, ticket_id: str
) -> None:
    admin.create_conversation(ticket_id=ticket_id)

    assert client.get_ticket(ticket_id).ticket_id == ticket_id
    client.add_tags(ticket_id, ["mw-routed", "mw-intent-order-status"])
    client.remove_tags(ticket_id, ["mw-intent-order-status"])
    client.assign(ticket_id, assignee_id="agent-sam")
    client.add_internal_note(ticket_id, body="Routed to Email Support Team")
    client.send_message(ticket_id, body="<p>Thanks, we are on it.</p>", author_id=BOT_AUTHOR_ID)
    client.close_ticket(ticket_id)

    summary = admin.summary(ticket_id)
    assert summary["tags"] == ["mw-routed"]
    assert summary["ticket"]["assignee_id"] == "agent-sam"
    assert summary["internal_notes"] == 1
    assert summary["replies"] == 1
    assert summary["closed"] is True
    writes = [entry for entry in admin.journal() if entry["kind"] == "api_write"]
    assert len(writes) == 6
    assert all(entry["applied"] for entry in writes), writes
    assert all(entry["ticket_id"] == ticket_id for entry in writes)


@pytest.mark.parametrize("ticket_id", AWKWARD_IDS)
def test_sandbox_receives_encoded_raw_path(
    client: RichpanelClient, admin: SandboxAdmin, ticket_id: str
) -> None:
    admin.create_conversation(ticket_id=ticket_id)
    encoded = encode_path_segment(ticket_id)

    client.get_ticket(ticket_id)
    client.add_tags(ticket_id, ["mw-routed"])

    raw_paths = [entry["raw_path"] for entry in admin.requests()]
    assert raw_paths == [f"/v1/tickets/{encoded}", f"/v1/tickets/{encoded}/add-tags"]


def test_unencoded_write_returns_200_without_change(
    admin: SandboxAdmin, raw_http: httpx.Client
) -> None:
    admin.create_conversation(ticket_id=MESSAGE_ID_LIKE)

    # httpx encodes "<" and ">" but leaves "+" and "@" alone, as many clients do.
    response = raw_http.put(f"/v1/tickets/{MESSAGE_ID_LIKE}/add-tags", json={"tags": ["vip"]})

    assert response.status_code == 200
    assert admin.summary(MESSAGE_ID_LIKE)["tags"] == []
    received = admin.requests()[-1]["raw_path"]
    assert received != f"/v1/tickets/{quote(MESSAGE_ID_LIKE, safe='')}/add-tags"
    last_write = admin.journal()[-1]
    assert last_write["applied"] is False
    assert "percent-encoded" in last_write["reason"]


def test_unencoded_read_returns_404(admin: SandboxAdmin, raw_http: httpx.Client) -> None:
    admin.create_conversation(ticket_id=MESSAGE_ID_LIKE)

    response = raw_http.get(f"/v1/tickets/{MESSAGE_ID_LIKE}")

    assert response.status_code == 404
    assert "error" in response.json()


# Closing, notes and replies


@pytest.mark.parametrize("status", ["closed", "Closed", "RESOLVED", "SOLVED"])
def test_close_with_wrong_status_spelling_raises_bad_request(
    client: RichpanelClient, admin: SandboxAdmin, status: str
) -> None:
    ticket_id = admin.create_conversation()["ticket_id"]

    with pytest.raises(RichpanelBadRequest) as caught:
        client.update_ticket(ticket_id, {"status": status})

    assert caught.value.status_code == 400
    assert caught.value.error_text is not None
    assert "OPEN or CLOSED" in caught.value.error_text
    assert admin.summary(ticket_id)["closed"] is False
    assert len(admin.requests()) == 1


def test_unwrapped_close_changes_nothing(admin: SandboxAdmin, raw_http: httpx.Client) -> None:
    ticket_id = admin.create_conversation()["ticket_id"]

    response = raw_http.put(
        f"/v1/tickets/{encode_path_segment(ticket_id)}", json={"state": "closed"}
    )

    assert response.status_code == 200
    assert admin.summary(ticket_id)["closed"] is False
    assert admin.journal()[-1]["applied"] is False


def test_close_ticket_applies_and_verifies(client: RichpanelClient, admin: SandboxAdmin) -> None:
    ticket_id = admin.create_conversation()["ticket_id"]

    client.close_ticket(ticket_id)

    assert admin.summary(ticket_id)["closed"] is True
    calls = [(entry["method"], entry["endpoint"]) for entry in admin.requests()]
    assert calls == [("PUT", "/v1/tickets/{id}"), ("GET", "/v1/tickets/{id}")]
    assert admin.journal()[-1]["body"] == {"ticket": {"state": "closed", "status": "CLOSED"}}


def test_close_ignored_by_server_raises_write_not_applied(
    client: RichpanelClient, admin: SandboxAdmin
) -> None:
    ticket_id = admin.create_conversation(ticket_id=MESSAGE_ID_LIKE)["ticket_id"]
    admin.faults(ignore_next_writes={"path_contains": "/v1/tickets/", "count": 1})

    with pytest.raises(RichpanelWriteNotApplied) as caught:
        client.close_ticket(ticket_id)

    assert caught.value.conversation_ref == conversation_ref(ticket_id)
    assert ticket_id not in str(caught.value)
    assert admin.summary(ticket_id)["closed"] is False


def test_send_message_counts_as_reply(client: RichpanelClient, admin: SandboxAdmin) -> None:
    ticket_id = admin.create_conversation()["ticket_id"]

    client.send_message(ticket_id, body="<p>Your order shipped.</p>", author_id=BOT_AUTHOR_ID)

    summary = admin.summary(ticket_id)
    assert summary["replies"] == 1
    assert summary["internal_notes"] == 0
    reply = client.get_ticket(ticket_id).comments[-1]
    assert reply.is_operator is True
    assert reply.author_id == BOT_AUTHOR_ID
    assert reply.plain_body == "Your order shipped."


def test_send_message_unknown_author_raises_bad_request(
    client: RichpanelClient, admin: SandboxAdmin
) -> None:
    ticket_id = admin.create_conversation()["ticket_id"]

    with pytest.raises(RichpanelBadRequest):
        client.send_message(ticket_id, body="Hello", author_id="no-such-agent")

    assert admin.summary(ticket_id)["replies"] == 0


def test_internal_note_is_not_reply(client: RichpanelClient, admin: SandboxAdmin) -> None:
    ticket_id = admin.create_conversation()["ticket_id"]

    client.add_internal_note(ticket_id, body="Routed to Returns Admin")

    summary = admin.summary(ticket_id)
    assert summary["replies"] == 0
    assert summary["internal_notes"] == 1
    note_wire = summary["ticket"]["comments"][-1]
    assert "isOperator" not in note_wire["via"]
    note = client.get_ticket(ticket_id).comments[-1]
    assert note.is_operator is None
    assert note.is_customer is False
    assert note.plain_body == "Routed to Returns Admin"
    assert admin.journal()[-1]["body"] == {
        "ticket": {"comment": {"body": "Routed to Returns Admin", "sender_type": "operator"}}
    }


def test_invalid_write_bodies_return_400(admin: SandboxAdmin, raw_http: httpx.Client) -> None:
    ticket_path = f"/v1/tickets/{quote(admin.create_conversation()['ticket_id'], safe='')}"

    not_json = raw_http.put(
        f"{ticket_path}/add-tags", content=b"tags=vip", headers={"content-type": "application/json"}
    )
    tags_not_list = raw_http.put(f"{ticket_path}/add-tags", json={"tags": "vip"})
    missing_body = raw_http.put(f"{ticket_path}/send-message", json={"author_id": BOT_AUTHOR_ID})

    for response in (not_json, tags_not_list, missing_body):
        assert response.status_code == 400
        assert isinstance(response.json()["error"], str)
    assert "body" in missing_body.json()["error"]


# Orders, users, teams and tags


def test_linked_order_empty_until_seeded(client: RichpanelClient, admin: SandboxAdmin) -> None:
    ticket_id = admin.create_conversation(ticket_id=MESSAGE_ID_LIKE)["ticket_id"]
    assert client.get_linked_order(ticket_id) == {}

    order = {"orderId": "1001", "orderName": "#1001", "status": "paid"}
    admin.seed_order(
        app_client_id="shop-1", order_id="1001", order=order, conversation_id=ticket_id
    )

    assert client.get_linked_order(ticket_id) == {"orderId": "1001", "appClientId": "shop-1"}
    assert client.get_order("shop-1", "1001") == order
    with pytest.raises(RichpanelNotFound):
        client.get_order("shop-1", "9999")


def test_directory_lists_seeded_users_and_teams(
    client: RichpanelClient, admin: SandboxAdmin
) -> None:
    user_ids = [user["id"] for user in client.list_users()]
    team_names = [team["name"] for team in client.list_teams()]

    assert BOT_AUTHOR_ID in user_ids
    assert len(user_ids) == 3
    assert team_names == list(TEAM_NAMES)


def test_create_tag_then_duplicate_conflicts(client: RichpanelClient, admin: SandboxAdmin) -> None:
    tag = client.create_tag("mw-auto-replied")

    assert tag["name"] == "mw-auto-replied"
    assert [item["name"] for item in client.list_tags()] == ["mw-auto-replied"]
    with pytest.raises(RichpanelConflict):
        client.create_tag("mw-auto-replied")


def test_list_tags_follows_pages(
    client: RichpanelClient, admin: SandboxAdmin, raw_http: httpx.Client
) -> None:
    ticket_id = admin.create_conversation()["ticket_id"]
    names = [f"tag-{index:03d}" for index in range(130)]
    client.add_tags(ticket_id, names)

    listed = [tag["name"] for tag in client.list_tags()]

    assert listed == names
    assert len(api_requests(admin, "/v1/tags")) == 2
    first_page = raw_http.get("/v1/tags", params={"page": 1, "per_page": 100}).json()
    assert first_page["count"] == 130
    assert first_page["next_page"] == 2
    assert first_page["previous_page"] is None
    assert len(first_page["tag"]) == 100
    too_big = raw_http.get("/v1/tags", params={"per_page": 101})
    assert too_big.status_code == 400


# Authentication and error mapping


def test_wrong_key_raises_unauthorized_without_retry(
    admin: SandboxAdmin, make_client: Callable[..., RichpanelClient]
) -> None:
    ticket_id = admin.create_conversation()["ticket_id"]
    wrong_key = "rp-wrong-key-000"
    client = make_client(api_key=wrong_key, max_attempts=4)

    with pytest.raises(RichpanelUnauthorized) as caught:
        client.get_ticket(ticket_id)

    assert caught.value.status_code == 401
    assert wrong_key not in str(caught.value)
    assert API_KEY not in str(caught.value)
    assert "x-richpanel-key" in str(caught.value)
    assert len(admin.requests()) == 1


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, RichpanelBadRequest),
        (401, RichpanelUnauthorized),
        (403, RichpanelPermanentError),
        (404, RichpanelNotFound),
        (409, RichpanelConflict),
        (413, RichpanelPayloadTooLarge),
        (422, RichpanelPermanentError),
        (429, RichpanelRateLimited),
        (500, RichpanelServerError),
        (502, RichpanelServerError),
        (503, RichpanelServerError),
    ],
)
def test_status_maps_to_error_class(
    admin: SandboxAdmin,
    make_client: Callable[..., RichpanelClient],
    status: int,
    error_class: type[RichpanelError],
) -> None:
    ticket_id = admin.create_conversation()["ticket_id"]
    admin.faults(fail_next={"path_contains": "/v1/tickets/", "status": status, "count": 1})
    client = make_client(max_attempts=1)

    with pytest.raises(RichpanelError) as caught:
        client.get_ticket(ticket_id)

    assert type(caught.value) is error_class
    assert caught.value.status_code == status
    assert caught.value.endpoint == "/v1/tickets/{id}"
    if isinstance(caught.value, RichpanelRateLimited):
        assert caught.value.retry_after_s == 1.0


# Retries


def test_server_error_twice_then_success(client: RichpanelClient, admin: SandboxAdmin) -> None:
    ticket_id = admin.create_conversation()["ticket_id"]
    admin.faults(fail_next={"path_contains": "/v1/tickets/", "status": 500, "count": 2})

    ticket = client.get_ticket(ticket_id)

    assert ticket.ticket_id == ticket_id
    assert [entry["status"] for entry in admin.requests()] == [500, 500, 200]


def test_server_errors_exhaust_max_attempts(
    admin: SandboxAdmin, make_client: Callable[..., RichpanelClient]
) -> None:
    ticket_id = admin.create_conversation()["ticket_id"]
    admin.faults(fail_next={"path_contains": "add-tags", "status": 503, "count": 10})
    client = make_client(max_attempts=3)

    with pytest.raises(RichpanelServerError) as caught:
        client.add_tags(ticket_id, ["mw-routed"])

    assert caught.value.status_code == 503
    assert [entry["status"] for entry in admin.requests()] == [503, 503, 503]


def test_rate_limit_429_then_client_waits(
    admin: SandboxAdmin,
    client: RichpanelClient,
    raw_http: httpx.Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ticket_id = admin.create_conversation()["ticket_id"]
    # Parallel requests fill the window well within its 2 s, however slow each one is.
    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(lambda _: raw_http.get("/v1/users"), range(50)))

    over_limit = raw_http.get("/v1/users")

    assert [response.status_code for response in responses] == [200] * 50
    assert {response.headers["X-RateLimit-Limit"] for response in responses} == {"50"}
    remaining = sorted(int(response.headers["X-RateLimit-Remaining"]) for response in responses)
    assert remaining == list(range(50))
    assert over_limit.status_code == 429
    retry_after = int(over_limit.headers["Retry-After"])
    assert 1 <= retry_after <= RATE_LIMIT_WINDOW_S
    assert over_limit.headers["X-RateLimit-Limit"] == "50"
    assert over_limit.headers["X-RateLimit-Remaining"] == "0"

    caplog.set_level(logging.INFO, logger="richpanel_middleware")
    started = time.monotonic()
    ticket = client.get_ticket(ticket_id)
    elapsed_s = time.monotonic() - started

    assert ticket.ticket_id == ticket_id
    assert elapsed_s >= retry_after - 0.1
    retries = [
        record for record in caplog.records if getattr(record, "event", None) == "richpanel_retry"
    ]
    assert len(retries) == 1
    assert retries[0].levelno == logging.WARNING
    assert getattr(retries[0], "wait_s", None) == retry_after
    assert getattr(retries[0], "status", None) == 429


def test_rate_gate_keeps_client_under_limit(
    admin: SandboxAdmin, make_client: Callable[..., RichpanelClient]
) -> None:
    ticket_id = admin.create_conversation()["ticket_id"]
    admin.config(rate_limit_requests=5, rate_limit_window_s=0.3)
    # A slightly longer client window absorbs the delay between sending and arrival.
    gate = RateGate(max_requests=5, window_s=0.4)
    client = make_client(rate_gate=gate)

    started = time.monotonic()
    for _ in range(11):
        client.get_ticket(ticket_id)
    elapsed_s = time.monotonic() - started

    assert [entry["status"] for entry in admin.requests()] == [200] * 11
    # Requests 6 and 11 each wait for a full client window.
    assert elapsed_s >= 0.8 - 0.05


def test_storm_retries_honour_retry_after(
    admin: SandboxAdmin, make_client: Callable[..., RichpanelClient]
) -> None:
    ticket_id = admin.create_conversation()["ticket_id"]
    client_sleeps: list[float] = []
    client = make_client(
        max_attempts=4, rate_gate=RateGate(max_requests=None), sleep=client_sleeps.append
    )
    admin.faults(rate_limit_storm_s=0.5)

    started = time.monotonic()
    ticket = client.get_ticket(ticket_id)
    elapsed_s = time.monotonic() - started

    assert ticket.ticket_id == ticket_id
    assert [entry["status"] for entry in admin.requests()] == [429, 200]
    # The 429 carried Retry-After: 1, and the shared gate did the waiting.
    assert elapsed_s >= 1.0 - 0.05
    assert client_sleeps == []


def test_429_pauses_other_clients_sharing_gate(
    admin: SandboxAdmin, make_client: Callable[..., RichpanelClient]
) -> None:
    ticket_id = admin.create_conversation()["ticket_id"]
    gate = RateGate(max_requests=None)
    first = make_client(rate_gate=gate)
    second = make_client(rate_gate=gate)
    admin.faults(fail_next={"path_contains": "/v1/tickets/", "status": 429, "count": 1})

    worker = threading.Thread(target=first.get_ticket, args=(ticket_id,))
    worker.start()
    deadline = time.monotonic() + 5.0
    while gate.pause_remaining_s() == 0.0 and time.monotonic() < deadline:
        time.sleep(0.005)
    started = time.monotonic()
    second.list_teams()
    waited_s = time.monotonic() - started
    worker.join(timeout=5.0)

    assert waited_s >= 0.8
    assert not worker.is_alive()


def test_send_message_retried_after_429(client: RichpanelClient, admin: SandboxAdmin) -> None:
    ticket_id = admin.create_conversation()["ticket_id"]
    admin.faults(fail_next={"path_contains": "send-message", "status": 429, "count": 1})

    started = time.monotonic()
    client.send_message(ticket_id, body="Thanks!", author_id=BOT_AUTHOR_ID)
    elapsed_s = time.monotonic() - started

    assert admin.summary(ticket_id)["replies"] == 1
    assert [entry["status"] for entry in admin.journal()] == [429, 200]
    # Retry-After (1 s) is honoured although it exceeds backoff_max_s (0.05 s).
    assert elapsed_s >= 1.0 - 0.05


def test_long_retry_after_capped_at_120s(
    admin: SandboxAdmin, make_client: Callable[..., RichpanelClient]
) -> None:
    ticket_id = admin.create_conversation()["ticket_id"]
    admin.faults(fail_next={"path_contains": "/v1/tickets/", "status": 429, "retry_after_s": 600})
    sleeps: list[float] = []
    client = make_client(sleep=sleeps.append)

    client.get_ticket(ticket_id)

    assert sleeps == [MAX_RETRY_AFTER_S]
    assert MAX_RETRY_AFTER_S == 120.0


def test_retry_after_parses_seconds_and_dates() -> None:
    now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)

    assert parse_retry_after("7", now=now) == 7.0
    assert parse_retry_after(" 2.5 ", now=now) == 2.5
    assert parse_retry_after("Wed, 01 May 2024 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Wed, 01 May 2024 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None, now=now) is None


def test_send_message_not_retried_after_timeout(
    admin: SandboxAdmin, make_client: Callable[..., RichpanelClient]
) -> None:
    ticket_id = admin.create_conversation()["ticket_id"]
    admin.faults(latency_ms=600)
    client = make_client(timeout_s=0.2, max_attempts=4)

    started = time.monotonic()
    with pytest.raises(RichpanelTransportError) as caught:
        client.send_message(ticket_id, body="Thanks!", author_id=BOT_AUTHOR_ID)
    elapsed_s = time.monotonic() - started

    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert elapsed_s < 0.5
    # The sandbox finishes the request after the client gave up, as a real server may.
    entries = admin.wait_for_requests(1)
    time.sleep(0.3)
    assert len(admin.requests()) == len(entries) == 1
    assert admin.summary(ticket_id)["replies"] == 1


def test_read_retried_after_timeout(
    admin: SandboxAdmin, make_client: Callable[..., RichpanelClient]
) -> None:
    ticket_id = admin.create_conversation()["ticket_id"]
    admin.faults(latency_ms=300)
    client = make_client(timeout_s=0.1, max_attempts=2)

    with pytest.raises(RichpanelTransportError) as caught:
        client.get_ticket(ticket_id)

    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert len(admin.wait_for_requests(2)) == 2


def test_send_message_retried_after_connect_error(
    make_client: Callable[..., RichpanelClient],
) -> None:
    sleeps: list[float] = []
    client = make_client(
        base_url=f"http://127.0.0.1:{closed_port()}", max_attempts=3, sleep=sleeps.append
    )

    with pytest.raises(RichpanelTransportError) as caught:
        client.send_message("<abc@mail.example.com>", body="Hi", author_id=BOT_AUTHOR_ID)

    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert len(sleeps) == 2
    assert all(0.0 <= wait_s <= 0.05 for wait_s in sleeps)


# Logging and secrets


def test_logs_hold_no_key_or_raw_id(
    client: RichpanelClient, admin: SandboxAdmin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    ticket_id = "<order-question+42@mail.example.com>"
    admin.create_conversation(ticket_id=ticket_id)
    admin.faults(fail_next={"path_contains": "add-tags", "status": 500, "count": 1})

    client.get_ticket(ticket_id)
    client.add_tags(ticket_id, ["mw-routed"])
    client.send_message(ticket_id, body="Hi", author_id=BOT_AUTHOR_ID)
    with pytest.raises(RichpanelNotFound):
        client.get_ticket("<other+1@mail.example.com>")

    for record in caplog.records:
        text = record.getMessage() + repr(record.__dict__)
        assert API_KEY not in text
        assert ticket_id not in text
    ours = [record for record in caplog.records if record.name.startswith("richpanel_middleware")]
    for record in ours:
        assert quote(ticket_id, safe="") not in record.getMessage() + repr(record.__dict__)
    calls = [record for record in ours if getattr(record, "event", None) == "richpanel_call"]
    assert [getattr(record, "endpoint", None) for record in calls] == [
        "/v1/tickets/{id}",
        "/v1/tickets/{id}/add-tags",
        "/v1/tickets/{id}/add-tags",
        "/v1/tickets/{id}/send-message",
        "/v1/tickets/{id}",
    ]
    assert [getattr(record, "status", None) for record in calls] == [200, 500, 200, 200, 404]
    assert [getattr(record, "attempt", None) for record in calls] == [1, 1, 2, 1, 1]
    assert all(getattr(record, "conversation_ref", None) for record in calls)
    assert getattr(calls[0], "conversation_ref", None) == conversation_ref(ticket_id)
    assert all(isinstance(getattr(record, "duration_ms", None), int) for record in calls)
    retries = [record for record in ours if getattr(record, "event", None) == "richpanel_retry"]
    assert len(retries) == 1
    assert retries[0].levelno == logging.WARNING


def test_repr_masks_api_key(client: RichpanelClient) -> None:
    assert API_KEY not in repr(client)
    assert "***" in repr(client)


# Webhooks


@pytest.fixture
def webhook_receiver() -> Iterator[tuple[ServerThread, list[tuple[dict[str, str], Any]]]]:
    """A tiny Starlette app that records each webhook's headers and JSON body."""
    received: list[tuple[dict[str, str], Any]] = []

    async def receive(request: Request) -> Response:
        received.append((dict(request.headers), await request.json()))
        return JSONResponse({"status": "queued"}, status_code=202)

    app = Starlette(routes=[Route("/webhook", receive, methods=["POST"])])
    with ServerThread(app) as server:
        yield server, received


def test_webhook_reaches_receiver_with_token(
    admin: SandboxAdmin,
    webhook_receiver: tuple[ServerThread, list[tuple[dict[str, str], Any]]],
) -> None:
    receiver, received = webhook_receiver
    admin.config(webhook_url=f"{receiver.base_url}/webhook", webhook_token="wh-token-1")

    created = admin.create_conversation(ticket_id=MESSAGE_ID_LIKE, fire_webhook=True)

    assert created["webhook_status"] == 202
    assert len(received) == 1
    headers, body = received[0]
    assert headers["x-richpanel-webhook-token"] == "wh-token-1"
    assert body == {
        "ticket_id": MESSAGE_ID_LIKE,
        "event_type": "customer_message",
        "message_id": created["message_id"],
        "channel": "email",
    }
    webhook_entries = [entry for entry in admin.journal() if entry["kind"] == "webhook"]
    assert [entry["status"] for entry in webhook_entries] == [202]


def test_fire_webhook_targets_newest_customer_message(
    admin: SandboxAdmin,
    webhook_receiver: tuple[ServerThread, list[tuple[dict[str, str], Any]]],
) -> None:
    receiver, received = webhook_receiver
    admin.config(webhook_url=f"{receiver.base_url}/webhook", webhook_token="wh-token-1")
    ticket_id = admin.create_conversation()["ticket_id"]
    newest = admin.add_message(ticket_id, text="Any update?", author="customer")
    admin.add_message(ticket_id, text="Looking into it", author="agent")

    fired = admin.fire_webhook(ticket_id)

    assert fired["webhook_status"] == 202
    assert fired["message_id"] == newest["message_id"]
    assert received[-1][1]["message_id"] == newest["message_id"]


def test_webhook_failure_is_recorded(admin: SandboxAdmin) -> None:
    admin.config(webhook_url=f"http://127.0.0.1:{closed_port()}/webhook")

    created = admin.create_conversation(fire_webhook=True)

    assert created["webhook_status"] is None
    assert "ConnectError" in created["webhook_error"]
    assert admin.journal()[-1]["applied"] is False


# Admin API


def test_reset_drops_tickets_and_faults(admin: SandboxAdmin, client: RichpanelClient) -> None:
    ticket_id = admin.create_conversation()["ticket_id"]
    admin.faults(fail_next={"path_contains": "/v1/", "status": 500, "count": 5})

    admin.reset()

    with pytest.raises(RichpanelNotFound):
        client.get_ticket(ticket_id)
    assert admin.journal() == []
    assert [entry["status"] for entry in admin.requests()] == [404]
