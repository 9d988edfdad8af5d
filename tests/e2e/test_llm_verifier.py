"""The model's second opinion on verified order replies, end to end over real HTTP.

The pipeline runs the LLM classifier against the sandbox LLM, and the order comes from
the Shopify sandbox. The verifier is asked only when a verified reply is otherwise
allowed, and its verdict can only take the reply away.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import SecretStr

from richpanel_middleware.runtime.local.clocks import ConversationClock
from tests.conftest import Pipeline, Sandbox
from tests.e2e.test_llm_pipeline import Llm, llm
from tests.e2e.test_order_status_scenarios import (
    WHERE_IS_MY_ORDER,
    Scenarios,
    Store,
    order,
    store,
    tracked,
)

pytestmark = pytest.mark.timeout(120)

__all__ = ["llm", "store"]

VERIFIER_SCHEMA = "mw_tier2_verifier_v1"


@pytest.fixture
def scenarios(
    sandbox: Sandbox, store: Store, llm: Llm, start_pipeline: Callable[..., Pipeline]
) -> Scenarios:
    pipeline = start_pipeline(
        estimate_clock=ConversationClock(),
        shopify_shop_url=store.server.base_url,
        shopify_access_token=SecretStr(store.token),
        classifier="llm",
        llm_base_url=f"{llm.server.base_url}/v1",
        llm_api_key=SecretStr(llm.key),
        llm_model="sandbox-model",
        llm_timeout_s=1.0,
        llm_max_attempts=2,
        retry_base_delay_s=0.05,
    )
    pipeline.stack.flags.set("tier2_rollout_percent", 100)
    return Scenarios(sandbox, store, pipeline)


def shipped_order(number: str) -> dict[str, Any]:
    return order(
        number,
        fulfillment_status="fulfilled",
        fulfillments=[tracked("UPS", "1Z999AA10123456784")],
    )


def script(llm: Llm, *behaviours: str) -> None:
    llm.admin.post("/_sandbox/llm/script", json={"behaviours": list(behaviours)}).raise_for_status()


def requested_schemas(llm: Llm) -> list[str]:
    return [str(request["schema_name"]) for request in llm.requests()]


def test_verifier_allows_and_the_verified_reply_goes_out(scenarios: Scenarios, llm: Llm) -> None:
    outcome = scenarios.run(WHERE_IS_MY_ORDER, orders=[shipped_order("#3101")], linked="#3101")

    assert outcome.plan["tier"] == 2, outcome.plan["gates"]
    assert len(outcome.replies) == 1
    assert requested_schemas(llm) == ["mw_decision_v1", VERIFIER_SCHEMA]
    assert outcome.record["llm_calls"] == 2


def test_verifier_denial_takes_the_reply_away(scenarios: Scenarios, llm: Llm) -> None:
    script(llm, "valid", "deny")

    outcome = scenarios.run(WHERE_IS_MY_ORDER, orders=[shipped_order("#3102")], linked="#3102")

    assert outcome.replies == []
    assert outcome.plan["tier"] != 2
    assert "mw-escalated-human" in outcome.tags
    assert "mw-model-failure" not in outcome.tags
    assert requested_schemas(llm) == ["mw_decision_v1", VERIFIER_SCHEMA]


def test_verifier_failure_routes_to_triage_without_reply(scenarios: Scenarios, llm: Llm) -> None:
    script(llm, "valid", "server_error", "server_error")

    outcome = scenarios.run(WHERE_IS_MY_ORDER, orders=[shipped_order("#3103")], linked="#3103")

    assert outcome.replies == []
    assert "mw-model-failure" in outcome.tags
    assert "mw-needs-manual-triage" in outcome.tags
    assert outcome.record["model_failure"] is True


def test_verifier_not_asked_without_a_verified_reply(scenarios: Scenarios, llm: Llm) -> None:
    outcome = scenarios.run(
        "Please cancel my order #3104, I ordered the wrong colour.",
        orders=[shipped_order("#3104")],
        linked="#3104",
    )

    assert outcome.plan["tier"] != 2
    assert VERIFIER_SCHEMA not in requested_schemas(llm)
