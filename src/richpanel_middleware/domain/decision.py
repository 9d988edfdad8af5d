"""Schemas a classifier or verifier returns: `mw_decision_v1` and `mw_tier2_verifier_v1`.

Both models forbid extra fields and list every field as required, so their JSON Schema can
be sent as an OpenAI strict structured-output schema. Team and template enums come from
configuration and are injected by `strict_json_schema`.
"""

from __future__ import annotations

import copy
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from richpanel_middleware.domain.intents import Intent, Tier

DECISION_SCHEMA_VERSION = "mw_decision_v1"
VERIFIER_SCHEMA_VERSION = "mw_tier2_verifier_v1"


class TierName(StrEnum):
    TIER_0_ESCALATION = "TIER_0_ESCALATION"
    TIER_1_SAFE_ASSIST = "TIER_1_SAFE_ASSIST"
    TIER_2_VERIFIED = "TIER_2_VERIFIED"
    TIER_3_AUTO_ACTION = "TIER_3_AUTO_ACTION"

    @property
    def tier(self) -> Tier:
        return Tier(int(self.value.split("_")[1]))

    @classmethod
    def of(cls, tier: Tier) -> TierName:
        return next(name for name in cls if name.tier is tier)


class ReplyAction(StrEnum):
    ROUTE_ONLY = "ROUTE_ONLY"
    SEND_TEMPLATE = "SEND_TEMPLATE"
    ACK_ONLY = "ACK_ONLY"


class RiskFlag(StrEnum):
    CHARGEBACK_DISPUTE = "CHARGEBACK_DISPUTE"
    LEGAL_THREAT = "LEGAL_THREAT"
    HARASSMENT_THREATS = "HARASSMENT_THREATS"
    FRAUD_SUSPECTED = "FRAUD_SUSPECTED"
    OTHER_HIGH_RISK = "OTHER_HIGH_RISK"


RISK_FLAG_INTENTS: dict[RiskFlag, Intent] = {
    RiskFlag.CHARGEBACK_DISPUTE: Intent.CHARGEBACK_DISPUTE,
    RiskFlag.LEGAL_THREAT: Intent.LEGAL_THREAT,
    RiskFlag.HARASSMENT_THREATS: Intent.HARASSMENT_THREATS,
    RiskFlag.FRAUD_SUSPECTED: Intent.FRAUD_SUSPECTED,
}
INTENT_RISK_FLAGS: dict[Intent, RiskFlag] = {v: k for k, v in RISK_FLAG_INTENTS.items()}


class ClarifyingQuestion(StrEnum):
    ASK_ORDER_NUMBER = "ASK_ORDER_NUMBER"
    ASK_EMAIL_OR_PHONE = "ASK_EMAIL_OR_PHONE"
    ASK_SHIPPING_ZIP = "ASK_SHIPPING_ZIP"
    ASK_PHOTO_OR_VIDEO = "ASK_PHOTO_OR_VIDEO"
    ASK_PRODUCT_MODEL = "ASK_PRODUCT_MODEL"
    ASK_TROUBLESHOOTING_DETAILS = "ASK_TROUBLESHOOTING_DETAILS"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Routing(_Strict):
    destination_team: str
    confidence: float = Field(ge=0.0, le=1.0)
    needs_manual_triage: bool
    tags: list[str] = Field(max_length=12)


class Automation(_Strict):
    tier: TierName
    action: ReplyAction
    template_id: str | None
    confidence: float = Field(ge=0.0, le=1.0)
    requires_deterministic_match: bool


class Risk(_Strict):
    flags: list[RiskFlag] = Field(max_length=3)
    force_human: bool


class Decision(_Strict):
    """A classifier's proposal. Policy recomputes the primary intent and grants permissions."""

    schema_version: Literal["mw_decision_v1"]
    language: str = Field(min_length=2, max_length=16)
    primary_intent: Intent
    secondary_intents: list[Intent] = Field(max_length=2)
    routing: Routing
    automation: Automation
    risk: Risk
    clarifying_questions: list[ClarifyingQuestion] = Field(max_length=3)
    notes_for_agent: str = Field(max_length=500)


class DowngradeTier(StrEnum):
    TIER_1_SAFE_ASSIST = "TIER_1_SAFE_ASSIST"
    ROUTE_ONLY = "ROUTE_ONLY"
    TIER_0_ESCALATION = "TIER_0_ESCALATION"


class VerifierReason(StrEnum):
    OK = "OK"
    NOT_ORDER_STATUS = "NOT_ORDER_STATUS"
    CONFLICTING_INTENT = "CONFLICTING_INTENT"
    DETERMINISTIC_MATCH_FALSE = "DETERMINISTIC_MATCH_FALSE"
    TOO_AMBIGUOUS = "TOO_AMBIGUOUS"
    ESCALATION_PRESENT = "ESCALATION_PRESENT"


class Tier2Verdict(_Strict):
    schema_version: Literal["mw_tier2_verifier_v1"]
    allow_tier2: bool
    confidence: float = Field(ge=0.0, le=1.0)
    downgrade_to_tier: DowngradeTier
    reason_code: VerifierReason
    notes: str = Field(max_length=500)


# The keywords every strict structured-output implementation accepts; anything else in an
# exported schema is a bug. Length, size and range bounds are left out of what is sent:
# OpenAI's strict mode has not accepted all of them at all times, and vLLM's and Ollama's
# grammars differ. The pydantic models check those bounds after parsing, so a value out
# of range is a schema mismatch, which fails closed.
STRICT_ALLOWED_KEYWORDS = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "enum",
        "const",
        "description",
        "title",
        "anyOf",
        "$ref",
        "$defs",
    }
)
_BOUND_KEYWORDS = frozenset(
    {
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minItems",
        "maxItems",
        "minLength",
        "maxLength",
        "pattern",
        "format",
    }
)


def strict_json_schema(
    model: type[BaseModel],
    *,
    teams: list[str] | None = None,
    template_ids: list[str] | None = None,
) -> dict[str, Any]:
    """Export a model's JSON Schema in the form strict structured outputs accept.

    Every object lists all its properties as required and sets `additionalProperties`
    to false; `default` values and length, size and range bounds are dropped (the
    pydantic model checks the bounds after parsing). With `teams` or `template_ids`, the
    destination team and template id fields become enums of those values.
    """
    schema = copy.deepcopy(model.model_json_schema())
    _make_strict(schema)
    properties = schema.get("$defs", {})
    if teams is not None and "Routing" in properties:
        properties["Routing"]["properties"]["destination_team"] = {
            "type": "string",
            "enum": list(teams),
        }
    if template_ids is not None and "Automation" in properties:
        properties["Automation"]["properties"]["template_id"] = {
            "anyOf": [{"type": "string", "enum": list(template_ids)}, {"type": "null"}]
        }
    return schema


def _make_strict(node: Any) -> None:
    if isinstance(node, dict):
        node.pop("default", None)
        is_schema_node = "type" in node or "anyOf" in node or "enum" in node
        if is_schema_node:
            for keyword in _BOUND_KEYWORDS & node.keys():
                del node[keyword]
        if node.get("type") == "object" and "properties" in node:
            node["required"] = list(node["properties"])
            node["additionalProperties"] = False
        for value in node.values():
            _make_strict(value)
    elif isinstance(node, list):
        for item in node:
            _make_strict(item)


def strict_schema_violations(schema: Any, path: str = "$") -> list[str]:
    """List every place where a schema breaks the strict structured-output rules."""
    problems: list[str] = []
    if isinstance(schema, dict):
        is_schema_node = (
            "type" in schema or "anyOf" in schema or "$ref" in schema or "enum" in schema
        )
        if is_schema_node:
            for key in schema:
                if key not in STRICT_ALLOWED_KEYWORDS:
                    problems.append(f"{path}: keyword {key!r} is not allowed in strict mode")
        if schema.get("type") == "object":
            props = schema.get("properties", {})
            if schema.get("additionalProperties") is not False:
                problems.append(f"{path}: object must set additionalProperties to false")
            if sorted(schema.get("required", [])) != sorted(props):
                problems.append(f"{path}: every property must be listed in required")
        for key, value in schema.items():
            if key in ("properties", "$defs") and isinstance(value, dict):
                for name, sub in value.items():
                    problems.extend(strict_schema_violations(sub, f"{path}.{key}.{name}"))
            elif key in ("items",):
                problems.extend(strict_schema_violations(value, f"{path}.items"))
            elif key == "anyOf" and isinstance(value, list):
                for index, sub in enumerate(value):
                    problems.extend(strict_schema_violations(sub, f"{path}.anyOf[{index}]"))
    return problems
