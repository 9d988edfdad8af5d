"""Decision and verifier schemas: strict JSON Schema export and model validation."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from richpanel_middleware.classify.local_model import decision_from_scores
from richpanel_middleware.domain.decision import (
    Decision,
    Tier2Verdict,
    strict_json_schema,
    strict_schema_violations,
)
from richpanel_middleware.domain.intents import Intent

TEAMS = ["Email Support Team", "Returns Admin", "Leadership Team"]
TEMPLATE_IDS = ["t_order_status_ask_order_number", "t_cancel_order_ack_intake"]


def all_nodes(node: Any, path: str = "$") -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield every mapping in a JSON Schema, with a readable path."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from all_nodes(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from all_nodes(item, f"{path}[{index}]")


def object_nodes(node: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield every JSON Schema node of type object, with a readable path."""
    for path, mapping in all_nodes(node):
        if mapping.get("type") == "object":
            yield path, mapping


def valid_decision_document() -> dict[str, Any]:
    decision = decision_from_scores(
        {Intent.CANCEL_ORDER: 0.8, Intent.BILLING_ISSUE: 0.15},
        rule_intents=[],
        language="en",
        secondary_min=0.25,
    )
    return decision.model_dump(mode="json")


def valid_verdict_document() -> dict[str, Any]:
    return {
        "schema_version": "mw_tier2_verifier_v1",
        "allow_tier2": True,
        "confidence": 0.9,
        "downgrade_to_tier": "TIER_1_SAFE_ASSIST",
        "reason_code": "OK",
        "notes": "",
    }


@pytest.fixture
def decision_schema() -> dict[str, Any]:
    return strict_json_schema(Decision, teams=TEAMS, template_ids=TEMPLATE_IDS)


# --- strict export -----------------------------------------------------------------------


def test_strict_decision_schema_has_no_violations(decision_schema: dict[str, Any]) -> None:
    assert strict_schema_violations(decision_schema) == []


def test_strict_verdict_schema_has_no_violations() -> None:
    assert strict_schema_violations(strict_json_schema(Tier2Verdict)) == []


@pytest.mark.parametrize("model", [Decision, Tier2Verdict])
def test_every_object_forbids_extra_properties(model: type[BaseModel]) -> None:
    schema = strict_json_schema(model, teams=TEAMS, template_ids=TEMPLATE_IDS)
    objects = list(object_nodes(schema))

    assert objects, "the schema has no object nodes to check"
    for path, node in objects:
        assert node.get("additionalProperties") is False, path


@pytest.mark.parametrize("model", [Decision, Tier2Verdict])
def test_every_property_is_required(model: type[BaseModel]) -> None:
    schema = strict_json_schema(model, teams=TEAMS, template_ids=TEMPLATE_IDS)

    for path, node in object_nodes(schema):
        assert sorted(node["required"]) == sorted(node["properties"]), path


def test_strict_schema_contains_no_defaults(decision_schema: dict[str, Any]) -> None:
    for path, node in all_nodes(decision_schema):
        assert "default" not in node, path


@pytest.mark.parametrize("model", [Decision, Tier2Verdict])
def test_strict_schema_sends_no_bounds(model: type[BaseModel]) -> None:
    bounds = {"minimum", "maximum", "minItems", "maxItems", "minLength", "maxLength"}
    for path, node in all_nodes(strict_json_schema(model)):
        if "type" in node or "anyOf" in node:
            assert not bounds & node.keys(), path


def test_bound_the_schema_leaves_out_is_still_checked() -> None:
    verdict = {
        "schema_version": "mw_tier2_verifier_v1",
        "allow_tier2": True,
        "confidence": 1.5,
        "downgrade_to_tier": "ROUTE_ONLY",
        "reason_code": "OK",
        "notes": "",
    }

    with pytest.raises(ValidationError):
        Tier2Verdict.model_validate(verdict)


def test_team_enum_is_injected(decision_schema: dict[str, Any]) -> None:
    team_field = decision_schema["$defs"]["Routing"]["properties"]["destination_team"]

    assert team_field["type"] == "string"
    assert team_field["enum"] == TEAMS


def test_template_enum_is_injected_and_nullable(decision_schema: dict[str, Any]) -> None:
    template_field = decision_schema["$defs"]["Automation"]["properties"]["template_id"]
    choices = template_field["anyOf"]

    assert {"type": "string", "enum": TEMPLATE_IDS} in choices
    assert {"type": "null"} in choices
    assert len(choices) == 2


def test_enums_absent_without_configuration() -> None:
    schema = strict_json_schema(Decision)
    team_field = schema["$defs"]["Routing"]["properties"]["destination_team"]

    assert "enum" not in team_field
    assert team_field["type"] == "string"


def test_strict_export_leaves_model_schema_untouched() -> None:
    before = copy.deepcopy(Decision.model_json_schema())

    strict_json_schema(Decision, teams=TEAMS, template_ids=TEMPLATE_IDS)

    assert Decision.model_json_schema() == before


# --- the violation check itself must be able to fail -----------------------------------------


class _WithDefault(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    note: str = ""


class _OpenModel(BaseModel):
    name: str


def test_plain_schema_with_default_has_violations() -> None:
    problems = strict_schema_violations(_WithDefault.model_json_schema())

    assert any("required" in problem for problem in problems)
    assert any("'default'" in problem for problem in problems)


def test_plain_schema_of_open_model_has_violations() -> None:
    problems = strict_schema_violations(_OpenModel.model_json_schema())

    assert any("additionalProperties" in problem for problem in problems)


def test_strict_pass_repairs_default_field() -> None:
    assert strict_schema_violations(strict_json_schema(_WithDefault)) == []


def test_missing_additional_properties_is_reported(decision_schema: dict[str, Any]) -> None:
    del decision_schema["$defs"]["Routing"]["additionalProperties"]

    problems = strict_schema_violations(decision_schema)

    assert problems == ["$.$defs.Routing: object must set additionalProperties to false"]


def test_optional_property_is_reported(decision_schema: dict[str, Any]) -> None:
    decision_schema["$defs"]["Automation"]["required"].remove("confidence")

    problems = strict_schema_violations(decision_schema)

    assert problems == ["$.$defs.Automation: every property must be listed in required"]


def test_unsupported_keyword_is_reported(decision_schema: dict[str, Any]) -> None:
    decision_schema["$defs"]["Routing"]["properties"]["tags"]["uniqueItems"] = True

    problems = strict_schema_violations(decision_schema)

    assert problems == [
        "$.$defs.Routing.properties.tags: keyword 'uniqueItems' is not allowed in strict mode"
    ]


# --- model validation --------------------------------------------------------------------------


def test_valid_decision_round_trips() -> None:
    document = valid_decision_document()

    decision = Decision.model_validate(document)

    assert decision.model_dump(mode="json") == document


def test_decision_rejects_extra_top_level_field() -> None:
    document = valid_decision_document()
    document["reply_text"] = "Hello"

    with pytest.raises(ValidationError, match="reply_text"):
        Decision.model_validate(document)


def test_decision_rejects_extra_nested_field() -> None:
    document = valid_decision_document()
    document["routing"]["priority"] = "high"

    with pytest.raises(ValidationError, match="priority"):
        Decision.model_validate(document)


def test_decision_rejects_three_secondary_intents() -> None:
    document = valid_decision_document()
    document["secondary_intents"] = ["billing_issue", "refund_request", "return_request"]

    with pytest.raises(ValidationError, match="secondary_intents"):
        Decision.model_validate(document)


def test_decision_accepts_two_secondary_intents() -> None:
    document = valid_decision_document()
    document["secondary_intents"] = ["billing_issue", "refund_request"]

    decision = Decision.model_validate(document)

    assert decision.secondary_intents == [Intent.BILLING_ISSUE, Intent.REFUND_REQUEST]


def test_decision_rejects_missing_field() -> None:
    document = valid_decision_document()
    del document["notes_for_agent"]

    with pytest.raises(ValidationError, match="notes_for_agent"):
        Decision.model_validate(document)


def test_decision_rejects_wrong_schema_version() -> None:
    document = valid_decision_document()
    document["schema_version"] = "mw_decision_v2"

    with pytest.raises(ValidationError, match="schema_version"):
        Decision.model_validate(document)


def test_decision_rejects_confidence_above_one() -> None:
    document = valid_decision_document()
    document["routing"]["confidence"] = 1.2

    with pytest.raises(ValidationError, match="confidence"):
        Decision.model_validate(document)


def test_decision_rejects_four_risk_flags() -> None:
    document = valid_decision_document()
    document["risk"]["flags"] = [
        "CHARGEBACK_DISPUTE",
        "LEGAL_THREAT",
        "HARASSMENT_THREATS",
        "FRAUD_SUSPECTED",
    ]

    with pytest.raises(ValidationError, match="flags"):
        Decision.model_validate(document)


def test_decision_rejects_unknown_intent() -> None:
    document = valid_decision_document()
    document["primary_intent"] = "free_money"

    with pytest.raises(ValidationError, match="primary_intent"):
        Decision.model_validate(document)


def test_verdict_accepts_valid_document() -> None:
    verdict = Tier2Verdict.model_validate(valid_verdict_document())

    assert verdict.allow_tier2 is True


def test_verdict_rejects_extra_field() -> None:
    document = valid_verdict_document()
    document["order_id"] = "1001"

    with pytest.raises(ValidationError, match="order_id"):
        Tier2Verdict.model_validate(document)


def test_verdict_rejects_unknown_reason_code() -> None:
    document = valid_verdict_document()
    document["reason_code"] = "LOOKS_FINE"

    with pytest.raises(ValidationError, match="reason_code"):
        Tier2Verdict.model_validate(document)
