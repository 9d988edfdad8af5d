"""The LLM classifier end to end: the real openai SDK over HTTP against the sandbox LLM.

Each failure mode of the model ends the same way in the Richpanel sandbox: the
conversation is routed to triage with `mw-model-failure` and gets no reply.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from richpanel_middleware.runtime.local.server_thread import ServerThread
from richpanel_middleware.sandbox.llm_app import create_llm_sandbox
from richpanel_middleware.sandbox.llm_state import LlmSandboxSettings
from tests.conftest import Pipeline, Sandbox

pytestmark = pytest.mark.timeout(120)


@dataclass
class Llm:
    server: ServerThread
    key: str
    admin: httpx.Client

    def requests(self) -> list[dict[str, Any]]:
        return list(self.admin.get("/_sandbox/llm/requests").json()["requests"])


@pytest.fixture
def llm() -> Iterator[Llm]:
    key = secrets.token_urlsafe(16)
    app, _ = create_llm_sandbox(LlmSandboxSettings(api_key=key, slow_response_s=3.0))
    with ServerThread(app) as server, httpx.Client(base_url=server.base_url, timeout=30) as admin:
        yield Llm(server, key, admin)


def start(
    start_pipeline: Callable[..., Pipeline], llm: Llm, classifier: str = "llm", api: str = "chat"
) -> Pipeline:
    return start_pipeline(
        classifier=classifier,
        llm_api=api,
        llm_base_url=f"{llm.server.base_url}/v1",
        llm_api_key=SecretStr(llm.key),
        llm_model="sandbox-model",
        llm_timeout_s=1.0,
        llm_max_attempts=2,
        retry_base_delay_s=0.05,
    )


def run(sandbox: Sandbox, pipeline: Pipeline, text: str, **extra: Any) -> dict[str, Any]:
    conversation = sandbox.create(text, **extra)
    assert pipeline.drain(timeout_s=60)
    summary = sandbox.summary(conversation["ticket_id"])
    summary["record"] = pipeline.stack.decisions.latest_for(conversation["ticket_id"]) or {}
    return summary


@pytest.mark.parametrize(
    "behaviour",
    [
        "invalid_json",
        "refusal",
        "truncation",
        "wrong_enum",
        "rate_limit",
        "insufficient_quota",
        "server_error",
        "bad_request",
        "slow",
    ],
)
def test_model_failure_routes_to_triage_without_reply(
    sandbox: Sandbox,
    llm: Llm,
    start_pipeline: Callable[..., Pipeline],
    behaviour: str,
) -> None:
    pipeline = start(start_pipeline, llm)

    result = run(sandbox, pipeline, f"Hi, where is my order? sandbox-llm:{behaviour}")

    assert result["replies"] == 0
    assert "mw-model-failure" in result["tags"]
    assert "mw-needs-manual-triage" in result["tags"]
    assert result["record"]["model_failure"] is True
    assert any(entry["behaviour"] == behaviour for entry in llm.requests())
    if behaviour in ("invalid_json", "refusal", "truncation", "wrong_enum"):
        # The provider returned a reply and bills it, so the call is counted.
        assert result["record"]["llm_calls"] == 1
        assert result["record"]["tokens_in"] > 0


def test_model_proposing_tier2_for_a_chargeback_escalates(
    sandbox: Sandbox, llm: Llm, start_pipeline: Callable[..., Pipeline]
) -> None:
    pipeline = start(start_pipeline, llm)
    pipeline.stack.flags.set("tier2_rollout_percent", 100)

    result = run(
        sandbox,
        pipeline,
        "I already filed a chargeback with my bank. Where is my order #1001? "
        "sandbox-llm:propose_tier2",
    )

    assert result["replies"] == 0
    assert "mw-tier-0" in result["tags"]
    assert "route-chargebacks-disputes-team" in result["tags"]
    assert result["record"]["plan"]["tier"] == 0


def test_chargeback_named_without_a_flag_escalates(
    sandbox: Sandbox, llm: Llm, start_pipeline: Callable[..., Pipeline]
) -> None:
    pipeline = start(start_pipeline, llm)

    result = run(
        sandbox,
        pipeline,
        # No Tier 0 rule fires on this text: only the model names the chargeback.
        "Please refund me for order #1001, it never fit. sandbox-llm:unflagged_risk",
    )

    assert result["replies"] == 0
    assert "route-chargebacks-disputes-team" in result["tags"]
    assert result["record"]["plan"]["tier"] == 0


def test_language_the_detector_cannot_place_gets_no_reply(
    sandbox: Sandbox, llm: Llm, start_pipeline: Callable[..., Pipeline]
) -> None:
    pipeline = start(start_pipeline, llm)

    # The scripted model returns English whatever the message's language.
    result = run(
        sandbox,
        pipeline,
        "Waar is mijn bestelling? Ik wacht al een week op het pakket. sandbox-llm:propose_tier2",
    )

    assert result["replies"] == 0
    assert result["record"]["language"] == "unknown"


def test_personal_data_never_reaches_the_model(
    sandbox: Sandbox, llm: Llm, start_pipeline: Callable[..., Pipeline]
) -> None:
    pipeline = start(start_pipeline, llm)

    run(
        sandbox,
        pipeline,
        "Hi, this is Dana Fields. My email is dana.fields@example.com, my phone is "
        "+1 305 555 0187 and I live at 12 Oak Street. My card 4111 1111 1111 1111 was "
        "charged. Where is my order #1001?",
        customer={
            "first_name": "Dana",
            "last_name": "Fields",
            "email": "dana.fields@example.com",
        },
    )

    [request] = [entry for entry in llm.requests() if entry.get("schema_name") == "mw_decision_v1"]
    sent = str(request.get("messages") or request.get("input"))
    for secret in ("dana.fields@example.com", "555 0187", "Oak Street", "4111", "Dana", "Fields"):
        assert secret not in sent
    assert "#1001" in sent
    assert "[EMAIL]" in sent


def test_valid_decision_routes_and_counts_cost(
    sandbox: Sandbox, llm: Llm, start_pipeline: Callable[..., Pipeline]
) -> None:
    pipeline = start(start_pipeline, llm)

    result = run(sandbox, pipeline, "Hello, where is my order? It has been a week.")

    record = result["record"]
    assert record["model_failure"] is False
    assert record["plan"]["primary_intent"] == "order_status_tracking"
    assert record["llm_calls"] == 1
    assert record["tokens_in"] > 0
    assert record["cost_usd"] > 0
    assert "mw-model-failure" not in result["tags"]


def test_safe_mode_makes_no_model_calls(
    sandbox: Sandbox, llm: Llm, start_pipeline: Callable[..., Pipeline]
) -> None:
    pipeline = start(start_pipeline, llm)
    pipeline.stack.flags.set("safe_mode", True)

    result = run(sandbox, pipeline, "Hello, where is my order? It has been a week.")

    assert llm.requests() == []
    assert result["replies"] == 0
    assert any(tag.startswith("route-") for tag in result["tags"])


def test_cascade_asks_the_model_only_when_unsure(
    sandbox: Sandbox, llm: Llm, start_pipeline: Callable[..., Pipeline]
) -> None:
    pipeline = start(start_pipeline, llm, classifier="cascade")

    confident = run(
        sandbox,
        pipeline,
        "Can you tell me how to reset my password? The login page keeps saying it is wrong.",
    )
    unsure = run(sandbox, pipeline, "So about that, can someone look at it?")

    assert confident["record"]["llm_calls"] == 0
    assert confident["record"]["classifier_version"].startswith("cascade:local")
    assert unsure["record"]["llm_calls"] == 1
    assert unsure["record"]["classifier_version"].startswith("cascade:llm")


@pytest.mark.parametrize("behaviour", ["refusal", "truncation", "valid"])
def test_responses_api_end_to_end(
    sandbox: Sandbox, llm: Llm, start_pipeline: Callable[..., Pipeline], behaviour: str
) -> None:
    pipeline = start(start_pipeline, llm, api="responses")

    result = run(sandbox, pipeline, f"Hi, where is my order? sandbox-llm:{behaviour}")

    assert [entry["path"] for entry in llm.requests()] == ["/v1/responses"]
    assert result["record"]["model_failure"] is (behaviour != "valid")
    assert ("mw-model-failure" in result["tags"]) is (behaviour != "valid")
