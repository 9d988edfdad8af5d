"""Contract tests: LlmClient, through the real `openai` SDK, against the LLM sandbox.

The sandbox runs once per module in a ServerThread on loopback and is reset before every
test. Every client test runs for both Chat Completions and the Responses API. The
sandbox's admin API (``/_sandbox/llm/``) scripts the next behaviours and lists the
requests received, which the tests use to see what left the client.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from richpanel_middleware.classify.llm_client import (
    LlmClient,
    LlmFailure,
    LlmFailureKind,
    first_schema_violation,
)
from richpanel_middleware.configuration import load_app_config
from richpanel_middleware.domain.decision import (
    DECISION_SCHEMA_VERSION,
    VERIFIER_SCHEMA_VERSION,
    Decision,
    Tier2Verdict,
    strict_json_schema,
)
from richpanel_middleware.domain.intents import Intent
from richpanel_middleware.runtime.local.server_thread import ServerThread
from richpanel_middleware.sandbox.llm_app import create_llm_sandbox, matched_intents
from richpanel_middleware.sandbox.llm_state import LlmSandboxSettings

API_KEY = "sk-sandbox-test-4f1d0c9a7e"
SYSTEM = "Classify the customer message into the decision schema."
# Customer text that must never reach a log line.
USER_TEXT = "Where is my order? Jordan Example, 42 Privet Drive"
APIS = ["chat", "responses"]


@dataclass
class Sandbox:
    server: ServerThread
    admin: httpx.Client

    @property
    def base_url(self) -> str:
        return f"{self.server.base_url}/v1"

    def script(self, *behaviours: str | dict[str, Any]) -> None:
        response = self.admin.post("/_sandbox/llm/script", json={"behaviours": list(behaviours)})
        response.raise_for_status()

    def requests(self) -> list[dict[str, Any]]:
        return list(self.admin.get("/_sandbox/llm/requests").json()["requests"])

    def behaviours(self) -> list[str | None]:
        return [entry["behaviour"] for entry in self.requests()]


@dataclass
class RecordingSleep:
    waits: list[float]

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture(scope="module")
def decision_schema() -> dict[str, Any]:
    """The decision schema as the service sends it, with team and template enums from config."""
    config = load_app_config()
    return strict_json_schema(
        Decision,
        teams=sorted(config.policy.routing.team_names),
        template_ids=config.policy.catalog.template_ids,
    )


@pytest.fixture(scope="module")
def verifier_schema() -> dict[str, Any]:
    return strict_json_schema(Tier2Verdict)


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[Sandbox]:
    settings = LlmSandboxSettings(api_key=API_KEY, slow_response_s=3.0)
    app, _state = create_llm_sandbox(settings)
    with ServerThread(app) as server, httpx.Client(base_url=server.base_url, timeout=30) as admin:
        yield Sandbox(server, admin)


@pytest.fixture
def sandbox(sandbox_server: Sandbox) -> Sandbox:
    sandbox_server.admin.post("/_sandbox/llm/reset").raise_for_status()
    return sandbox_server


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep([])


@pytest.fixture(params=APIS)
def api(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_client(
    sandbox: Sandbox, sleep: RecordingSleep, api: str
) -> Iterator[Callable[..., LlmClient]]:
    clients: list[LlmClient] = []

    def make(**overrides: Any) -> LlmClient:
        options: dict[str, Any] = {
            "base_url": sandbox.base_url,
            "api_key": API_KEY,
            "model": "sandbox-model",
            "api": api,
            "timeout_s": 5.0,
            "sleep": sleep,
        }
        options.update(overrides)
        client = LlmClient(**options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def complete(client: LlmClient, schema: dict[str, Any], user: str = USER_TEXT) -> Any:
    return client.complete_json(
        schema_name=DECISION_SCHEMA_VERSION, schema=schema, system=SYSTEM, user=user
    )


def expect_failure(client: LlmClient, schema: dict[str, Any], user: str = USER_TEXT) -> LlmFailure:
    with pytest.raises(LlmFailure) as caught:
        complete(client, schema, user)
    return caught.value


def wait_for_statuses(sandbox: Sandbox, expected: list[int], timeout_s: float = 5.0) -> list[int]:
    """Poll the request log until its statuses equal `expected` or `timeout_s` passes."""
    deadline = time.monotonic() + timeout_s
    statuses = [entry["status"] for entry in sandbox.requests()]
    while statuses != expected and time.monotonic() < deadline:
        time.sleep(0.05)
        statuses = [entry["status"] for entry in sandbox.requests()]
    return statuses


def free_loopback_port() -> int:
    """Return a loopback port that nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# Valid replies


def test_valid_reply_parsed_with_usage(
    sandbox: Sandbox, make_client: Callable[..., LlmClient], decision_schema: dict[str, Any]
) -> None:
    client = make_client()

    response = complete(client, decision_schema)

    decision = Decision.model_validate(response.data)
    assert decision.primary_intent is Intent.ORDER_STATUS_TRACKING
    assert decision.automation.template_id == "t_order_status_verified"
    assert response.usage.input_tokens > 0
    assert response.usage.output_tokens > 0
    assert response.model == "sandbox-model"
    assert response.attempts == 1
    assert response.latency_ms > 0


def test_request_carries_messages_and_schema(
    sandbox: Sandbox,
    make_client: Callable[..., LlmClient],
    decision_schema: dict[str, Any],
    api: str,
) -> None:
    complete(make_client(), decision_schema)

    [request] = sandbox.requests()
    expected_messages = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": USER_TEXT},
    ]
    assert request["path"] == ("/v1/chat/completions" if api == "chat" else "/v1/responses")
    assert request["model"] == "sandbox-model"
    assert request["schema_name"] == DECISION_SCHEMA_VERSION
    assert request["behaviour"] == "valid"
    assert request["status"] == 200
    if api == "chat":
        assert request["messages"] == expected_messages
    else:
        assert request["input"] == expected_messages
    assert API_KEY not in str(request)


def test_model_override_sent(
    sandbox: Sandbox, make_client: Callable[..., LlmClient], decision_schema: dict[str, Any]
) -> None:
    client = make_client()

    response = client.complete_json(
        schema_name=DECISION_SCHEMA_VERSION,
        schema=decision_schema,
        system=SYSTEM,
        user=USER_TEXT,
        model="verifier-model",
    )

    assert response.model == "verifier-model"
    assert sandbox.requests()[0]["model"] == "verifier-model"


def test_spanish_chargeback_escalates(
    sandbox: Sandbox, make_client: Callable[..., LlmClient], decision_schema: dict[str, Any]
) -> None:
    response = complete(make_client(), decision_schema, "Voy a abrir una disputa con mi banco")

    decision = Decision.model_validate(response.data)
    assert decision.primary_intent is Intent.CHARGEBACK_DISPUTE
    assert decision.language == "es"
    assert decision.automation.tier.value == "TIER_0_ESCALATION"
    assert [flag.value for flag in decision.risk.flags] == ["CHARGEBACK_DISPUTE"]
    assert decision.risk.force_human is True
    assert decision.routing.destination_team == "Chargebacks / Disputes Team"


def test_propose_tier2_ignores_chargeback(
    sandbox: Sandbox, make_client: Callable[..., LlmClient], decision_schema: dict[str, Any]
) -> None:
    sandbox.script("propose_tier2")

    response = complete(make_client(), decision_schema, "I will file a chargeback today")

    decision = Decision.model_validate(response.data)
    assert decision.primary_intent is Intent.ORDER_STATUS_TRACKING
    assert decision.automation.tier.value == "TIER_2_VERIFIED"
    assert decision.automation.action.value == "SEND_TEMPLATE"
    assert decision.automation.template_id == "t_order_status_verified"
    assert decision.risk.flags == []
    assert decision.risk.force_human is False


def test_verifier_allows_then_denies(
    sandbox: Sandbox, make_client: Callable[..., LlmClient], verifier_schema: dict[str, Any]
) -> None:
    client = make_client()
    sandbox.script("valid", "deny")

    allowed = client.complete_json(
        schema_name=VERIFIER_SCHEMA_VERSION, schema=verifier_schema, system=SYSTEM, user=USER_TEXT
    )
    denied = client.complete_json(
        schema_name=VERIFIER_SCHEMA_VERSION, schema=verifier_schema, system=SYSTEM, user=USER_TEXT
    )

    allow_verdict = Tier2Verdict.model_validate(allowed.data)
    deny_verdict = Tier2Verdict.model_validate(denied.data)
    assert allow_verdict.allow_tier2 is True
    assert allow_verdict.confidence == 0.95
    assert allow_verdict.reason_code.value == "OK"
    assert deny_verdict.allow_tier2 is False
    assert deny_verdict.reason_code.value == "CONFLICTING_INTENT"


def test_marker_selects_behaviour(
    sandbox: Sandbox, make_client: Callable[..., LlmClient], decision_schema: dict[str, Any]
) -> None:
    failure = expect_failure(make_client(), decision_schema, "Hi there sandbox-llm:refusal")

    assert failure.kind is LlmFailureKind.REFUSAL
    assert sandbox.behaviours() == ["refusal"]


def test_script_wins_over_marker(
    sandbox: Sandbox, make_client: Callable[..., LlmClient], decision_schema: dict[str, Any]
) -> None:
    sandbox.script("valid")

    response = complete(make_client(), decision_schema, "Where is my order? sandbox-llm:refusal")

    assert response.data["primary_intent"] == "order_status_tracking"
    assert sandbox.behaviours() == ["valid"]


# Failures


FAILURE_KINDS = [
    ("invalid_json", LlmFailureKind.INVALID_JSON, 200),
    ("refusal", LlmFailureKind.REFUSAL, 200),
    ("truncation", LlmFailureKind.TRUNCATED, 200),
    ("wrong_enum", LlmFailureKind.SCHEMA_MISMATCH, 200),
    ("insufficient_quota", LlmFailureKind.QUOTA_EXCEEDED, 429),
    ("bad_request", LlmFailureKind.BAD_REQUEST, 400),
]


@pytest.mark.parametrize(("behaviour", "kind", "status"), FAILURE_KINDS)
def test_failure_behaviour_maps_to_kind(
    sandbox: Sandbox,
    make_client: Callable[..., LlmClient],
    decision_schema: dict[str, Any],
    sleep: RecordingSleep,
    behaviour: str,
    kind: LlmFailureKind,
    status: int,
) -> None:
    sandbox.script(behaviour, "valid")

    failure = expect_failure(make_client(), decision_schema)

    assert failure.kind is kind
    assert failure.attempts == 1
    assert failure.retryable is False
    # The server bills a reply that arrived, even a refused or invalid one.
    assert (failure.usage.output_tokens > 0) == (status == 200)
    assert sandbox.behaviours() == [behaviour]
    assert sandbox.requests()[0]["status"] == status
    assert sleep.waits == []


def test_wrong_enum_names_the_field(
    sandbox: Sandbox, make_client: Callable[..., LlmClient], decision_schema: dict[str, Any]
) -> None:
    sandbox.script("wrong_enum")

    failure = expect_failure(make_client(), decision_schema)

    assert "$.primary_intent" in str(failure)
    assert "not_an_intent" not in str(failure)


def test_rate_limit_retried_then_success(
    sandbox: Sandbox,
    make_client: Callable[..., LlmClient],
    decision_schema: dict[str, Any],
    sleep: RecordingSleep,
) -> None:
    sandbox.script("rate_limit", "valid")

    response = complete(make_client(), decision_schema)

    assert response.attempts == 2
    assert sleep.waits == [1.0]
    assert sandbox.behaviours() == ["rate_limit", "valid"]


def test_retry_after_ms_wins_over_seconds(
    sandbox: Sandbox,
    make_client: Callable[..., LlmClient],
    decision_schema: dict[str, Any],
    sleep: RecordingSleep,
) -> None:
    sandbox.script({"behaviour": "rate_limit", "retry_after_ms": 250}, "valid")

    response = complete(make_client(), decision_schema)

    assert response.attempts == 2
    assert sleep.waits == [0.25]


def test_retry_after_capped_by_max_wait(
    sandbox: Sandbox,
    make_client: Callable[..., LlmClient],
    decision_schema: dict[str, Any],
    sleep: RecordingSleep,
) -> None:
    sandbox.script({"behaviour": "rate_limit", "retry_after_s": 30}, "valid")

    complete(make_client(max_wait_s=0.5), decision_schema)

    assert sleep.waits == [0.5]


def test_rate_limit_exhausts_attempts(
    sandbox: Sandbox,
    make_client: Callable[..., LlmClient],
    decision_schema: dict[str, Any],
    sleep: RecordingSleep,
) -> None:
    sandbox.script("rate_limit", "rate_limit", "rate_limit", "valid")

    failure = expect_failure(make_client(max_attempts=3), decision_schema)

    assert failure.kind is LlmFailureKind.RATE_LIMITED
    assert failure.attempts == 3
    assert failure.status_code == 429
    assert failure.error_code == "rate_limit_exceeded"
    assert failure.retryable is True
    assert sleep.waits == [1.0, 1.0]
    assert sandbox.behaviours() == ["rate_limit"] * 3


def test_server_error_retried_up_to_max_attempts(
    sandbox: Sandbox,
    make_client: Callable[..., LlmClient],
    decision_schema: dict[str, Any],
    sleep: RecordingSleep,
) -> None:
    sandbox.script(*["server_error"] * 5)

    failure = expect_failure(make_client(max_attempts=3, max_wait_s=0.8), decision_schema)

    assert failure.kind is LlmFailureKind.SERVER_ERROR
    assert failure.attempts == 3
    assert failure.status_code == 500
    assert len(sandbox.requests()) == 3
    assert len(sleep.waits) == 2
    # Equal jitter: attempt n waits between half and all of min(max_wait_s, 0.5 * 2 ** (n - 1)).
    assert 0.25 <= sleep.waits[0] <= 0.5
    assert 0.4 <= sleep.waits[1] <= 0.8


def test_server_error_then_success(
    sandbox: Sandbox, make_client: Callable[..., LlmClient], decision_schema: dict[str, Any]
) -> None:
    sandbox.script("server_error", "valid")

    response = complete(make_client(), decision_schema)

    assert response.attempts == 2
    assert sandbox.behaviours() == ["server_error", "valid"]


def test_slow_reply_times_out(
    sandbox: Sandbox,
    make_client: Callable[..., LlmClient],
    decision_schema: dict[str, Any],
    sleep: RecordingSleep,
) -> None:
    sandbox.script("slow", "slow")

    failure = expect_failure(make_client(timeout_s=0.5, max_attempts=2), decision_schema)

    assert failure.kind is LlmFailureKind.TIMEOUT
    assert failure.attempts == 2
    assert failure.status_code is None
    assert len(sleep.waits) == 1
    # The sandbox stops waiting once the client has gone, and logs 499 (client closed
    # request). Waiting for both entries also keeps them out of the next test's log.
    assert wait_for_statuses(sandbox, [499, 499]) == [499, 499]


def test_unreachable_server_is_connection(
    make_client: Callable[..., LlmClient], decision_schema: dict[str, Any]
) -> None:
    client = make_client(base_url=f"http://127.0.0.1:{free_loopback_port()}/v1", max_attempts=2)

    failure = expect_failure(client, decision_schema)

    assert failure.kind is LlmFailureKind.CONNECTION
    assert failure.attempts == 2


def test_wrong_key_is_auth_failure(
    sandbox: Sandbox,
    make_client: Callable[..., LlmClient],
    decision_schema: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="richpanel_middleware.classify.llm_client")

    failure = expect_failure(make_client(api_key="sk-wrong-key-0000"), decision_schema)

    assert failure.kind is LlmFailureKind.AUTH
    assert failure.attempts == 1
    assert failure.status_code == 401
    assert [entry["status"] for entry in sandbox.requests()] == [401]
    [record] = [r for r in caplog.records if getattr(r, "event", None) == "llm_call"]
    assert record.levelno == logging.ERROR
    assert getattr(record, "alert", None) is True
    assert getattr(record, "kind", None) == "auth"


def test_bad_request_logged_as_alert(
    sandbox: Sandbox,
    make_client: Callable[..., LlmClient],
    decision_schema: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="richpanel_middleware.classify.llm_client")
    sandbox.script("bad_request")

    expect_failure(make_client(), decision_schema)

    [record] = [r for r in caplog.records if getattr(r, "event", None) == "llm_call"]
    assert record.levelno == logging.ERROR
    assert getattr(record, "alert", None) is True
    assert getattr(record, "status_code", None) == 400
    assert getattr(record, "error_code", None) == "invalid_json_schema"


def test_non_strict_schema_rejected_by_server(
    sandbox: Sandbox, make_client: Callable[..., LlmClient]
) -> None:
    # Strict mode requires additionalProperties: false and every property in required.
    loose_schema = {"type": "object", "properties": {"primary_intent": {"type": "string"}}}

    failure = expect_failure(make_client(), loose_schema)

    assert failure.kind is LlmFailureKind.BAD_REQUEST
    assert failure.error_code == "invalid_json_schema"
    assert sandbox.behaviours() == [None]


# Logs and secrets


def test_logs_hide_prompt_reply_and_key(
    sandbox: Sandbox,
    make_client: Callable[..., LlmClient],
    decision_schema: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    client = make_client()
    sandbox.script("rate_limit", "valid", "wrong_enum", "bad_request", "refusal")

    response = complete(client, decision_schema)
    for _ in range(3):
        expect_failure(client, decision_schema)
    expect_failure(make_client(api_key="sk-other-secret-1234"), decision_schema)

    llm_records = [r for r in caplog.records if getattr(r, "event", None) == "llm_call"]
    assert [getattr(r, "outcome", None) for r in llm_records] == [
        "retrying",
        "ok",
        "failed",
        "failed",
        "failed",
        "failed",
    ]
    reply_text = response.data["notes_for_agent"]
    for record in caplog.records:
        logged = f"{record.getMessage()} {record.__dict__}"
        assert USER_TEXT not in logged
        assert "Privet Drive" not in logged
        assert SYSTEM not in logged
        assert reply_text not in logged
        assert API_KEY not in logged
        assert "sk-other-secret-1234" not in logged


def test_success_log_fields(
    sandbox: Sandbox,
    make_client: Callable[..., LlmClient],
    decision_schema: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="richpanel_middleware.classify.llm_client")

    response = complete(make_client(), decision_schema)

    [record] = [r for r in caplog.records if getattr(r, "event", None) == "llm_call"]
    assert record.levelno == logging.INFO
    assert getattr(record, "kind", "missing") is None
    assert getattr(record, "attempt", None) == 1
    assert getattr(record, "input_tokens", None) == response.usage.input_tokens
    assert getattr(record, "output_tokens", None) == response.usage.output_tokens
    assert getattr(record, "latency_ms", -1.0) >= 0


def test_repr_hides_key(make_client: Callable[..., LlmClient]) -> None:
    client = make_client()

    assert API_KEY not in repr(client)
    assert "***" in repr(client)


# Construction and the schema check


@pytest.mark.parametrize(
    "overrides",
    [
        {"base_url": "127.0.0.1:8000/v1"},
        {"api_key": ""},
        {"model": ""},
        {"api": "completions"},
        {"timeout_s": 0},
        {"max_attempts": 0},
        {"max_wait_s": -1},
    ],
)
def test_invalid_options_rejected(overrides: dict[str, Any]) -> None:
    options: dict[str, Any] = {
        "base_url": "http://127.0.0.1:9/v1",
        "api_key": API_KEY,
        "model": "sandbox-model",
    }
    options.update(overrides)

    with pytest.raises(ValueError):
        LlmClient(**options)


SCHEMA_CASES = [
    ({"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}, {}, "$"),
    ({"type": "object", "properties": {"a": {"type": "integer"}}}, {"a": True}, "$.a"),
    ({"type": "array", "items": {"type": "string"}, "maxItems": 1}, ["x", "y"], "$"),
    ({"type": "array", "items": {"enum": ["x"]}}, ["x", "z"], "$[1]"),
    ({"type": "number", "minimum": 0, "maximum": 1}, 1.5, "$"),
    ({"type": "string", "maxLength": 3}, "abcd", "$"),
    ({"anyOf": [{"type": "string"}, {"type": "null"}]}, 3, "$"),
    (
        {
            "$defs": {"B": {"type": "object", "properties": {}, "additionalProperties": False}},
            "$ref": "#/$defs/B",
        },
        {"extra": 1},
        "$",
    ),
]


@pytest.mark.parametrize(("schema", "instance", "path"), SCHEMA_CASES)
def test_schema_violation_found(schema: dict[str, Any], instance: object, path: str) -> None:
    violation = first_schema_violation(instance, schema)

    assert violation is not None
    assert violation.startswith(f"{path}:")


def test_schema_check_accepts_sandbox_decisions(decision_schema: dict[str, Any]) -> None:
    from richpanel_middleware.sandbox.llm_app import keyword_decision

    for text in ["Where is my order?", "My lawyer will call", "Hola", "The app is not working"]:
        decision = keyword_decision(text, decision_schema)
        assert first_schema_violation(decision, decision_schema) is None, text
        Decision.model_validate(decision)


# Sandbox admin API and keyword table


def test_sandbox_rejects_unknown_behaviour(sandbox: Sandbox) -> None:
    response = sandbox.admin.post("/_sandbox/llm/script", json={"behaviours": ["explode"]})

    assert response.status_code == 400
    assert "explode" in response.json()["error"]
    assert "rate_limit" in response.json()["error"]


def test_sandbox_script_listed_and_reset(sandbox: Sandbox) -> None:
    sandbox.script("refusal", {"behaviour": "server_error", "retry_after_s": 2})

    queued = sandbox.admin.get("/_sandbox/llm/script").json()["behaviours"]
    health = sandbox.admin.get("/_sandbox/llm/health").json()
    sandbox.admin.post("/_sandbox/llm/reset").raise_for_status()
    after_reset = sandbox.admin.get("/_sandbox/llm/health").json()

    assert [entry["behaviour"] for entry in queued] == ["refusal", "server_error"]
    assert queued[1]["retry_after_s"] == 2
    assert health == {
        "status": "ok",
        "model": "sandbox-model",
        "decisions": "keywords",
        "queued": 2,
    }
    assert after_reset["queued"] == 0


def test_sandbox_models_needs_key(sandbox: Sandbox) -> None:
    anonymous = sandbox.admin.get("/v1/models")
    listed = sandbox.admin.get("/v1/models", headers={"Authorization": f"Bearer {API_KEY}"})

    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "invalid_api_key"
    assert [model["id"] for model in listed.json()["data"]] == ["sandbox-model"]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("I'm calling my bank to open a dispute", Intent.CHARGEBACK_DISPUTE),
        ("Mi abogado los va a demandar", Intent.LEGAL_THREAT),
        ("This is not my order, someone used a stolen card", Intent.FRAUD_SUSPECTED),
        ("Quiero cancelar mi pedido", Intent.CANCEL_ORDER),
        ("Me han cobrado dos veces", Intent.BILLING_ISSUE),
        ("It says delivered but it never arrived", Intent.DELIVERED_NOT_RECEIVED),
        ("El producto llegó dañado", Intent.DAMAGED_ITEM),
        ("¿Dónde está mi pedido?", Intent.ORDER_STATUS_TRACKING),
        ("Quiero un reembolso", Intent.REFUND_REQUEST),
        ("Soy influencer, quiero una colaboración", Intent.INFLUENCER_MARKETING_INQUIRY),
        ("Hello", Intent.UNKNOWN_OTHER),
    ],
)
def test_keyword_table_primary_intent(text: str, intent: Intent) -> None:
    assert matched_intents(text)[0] is intent
