"""An OpenAI-compatible LLM emulator for structured outputs, served as a Starlette app.

``POST /v1/chat/completions`` and ``POST /v1/responses`` return a JSON reply shaped
by the request's JSON schema, in the body shapes of OpenAI's Chat Completions and
Responses APIs, with token usage estimated as 1.3 tokens per word. ``GET /v1/models``
lists the configured model. Every one of these routes needs ``Authorization: Bearer
<api_key>``, and a missing or wrong key gets 401 in OpenAI's error body shape.

Each generation request is answered with one `LlmBehaviour`, chosen in this order:

1. the next entry of the queue set by ``POST /_sandbox/llm/script``;
2. a marker ``sandbox-llm:<behaviour>`` anywhere in the user messages;
3. `valid`, a decision from the sandbox's decision source.

The decision source reads the customer message from the prompt's delimited block (or the
whole user text when there is none). `KeywordDecisions`, the default, matches a small
keyword table, which lets tests steer the sandbox. `ReferenceDecisions` (in
`llm_reference`) answers with the project's local classifier, so that an evaluation
against the sandbox measures what the model path loses rather than a keyword table.

A request with `strict: true` and a schema that breaks OpenAI's strict-mode rules gets
400 ``invalid_json_schema`` before any behaviour is chosen, as on OpenAI.

The admin API under ``/_sandbox/llm/`` needs no key. It sets the script queue, resets the
state, lists the requests received (with their messages exactly as sent, never the key)
and reports health.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import math
import re
import secrets
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from richpanel_middleware.classify.prompting import CUSTOMER_MESSAGE_TAG
from richpanel_middleware.domain.decision import (
    DECISION_SCHEMA_VERSION,
    INTENT_RISK_FLAGS,
    VERIFIER_SCHEMA_VERSION,
    strict_schema_violations,
)
from richpanel_middleware.domain.intents import (
    EMAIL_SUPPORT,
    INTENT_SPECS,
    ORDER_STATUS_INTENTS,
    TIER0_INTENTS,
    Intent,
    Priority,
)
from richpanel_middleware.sandbox.llm_state import (
    MAX_SCRIPT_ENTRIES,
    JsonObject,
    LlmBehaviour,
    LlmSandboxSettings,
    LlmSandboxState,
    ScriptedBehaviour,
)

Api = Literal["chat", "responses"]

CHAT_PATH: Final = "/v1/chat/completions"
RESPONSES_PATH: Final = "/v1/responses"
MODELS_PATH: Final = "/v1/models"
# A marker in user content, such as "sandbox-llm:refusal", selects a behaviour.
MARKER_PATTERN: Final = re.compile(r"sandbox-llm:([a-z0-9_]+)")
# The rough token estimate of the sandbox: 1.3 tokens per word.
TOKENS_PER_WORD: Final = 1.3
# How often the `slow` behaviour checks whether the client has gone away.
DISCONNECT_POLL_S: Final = 0.05
# The Retry-After that `rate_limit` sends when its script entry gives no hint.
DEFAULT_RATE_LIMIT_RETRY_AFTER_S: Final = 1.0
REFUSAL_TEXT: Final = "I can't help with classifying this message."

# Behaviours that return an HTTP error instead of a reply.
_ERROR_BEHAVIOURS: Final = frozenset(
    {
        LlmBehaviour.RATE_LIMIT,
        LlmBehaviour.INSUFFICIENT_QUOTA,
        LlmBehaviour.SERVER_ERROR,
        LlmBehaviour.BAD_REQUEST,
    }
)
_BEHAVIOUR_NAMES: Final = frozenset(member.value for member in LlmBehaviour)
# Behaviours whose script entry may carry retry hints.
_RETRY_HINT_BEHAVIOURS: Final = frozenset({LlmBehaviour.RATE_LIMIT, LlmBehaviour.SERVER_ERROR})


@dataclass(frozen=True, slots=True)
class SandboxLlmEndpoint:
    """Where a running sandbox LLM answers: base URL (with ``/v1``), key and model name."""

    base_url: str
    api_key: str
    model: str


class DecisionSource(Protocol):
    """The source of the `valid` behaviour's decisions.

    `decide` receives the customer message as the prompt carried it (already minimised)
    and the request's JSON schema, and returns an `mw_decision_v1` object valid against it.
    """

    name: str

    def decide(self, customer_text: str, schema: JsonObject | None) -> JsonObject: ...


class KeywordDecisions:
    """Decisions from the keyword table: predictable, so tests can steer them."""

    name = "keywords"

    def decide(self, customer_text: str, schema: JsonObject | None) -> JsonObject:
        return keyword_decision(customer_text, schema)


def start_llm_sandbox(
    exit_stack: contextlib.ExitStack, decisions: DecisionSource | None = None
) -> SandboxLlmEndpoint:
    """Serve a sandbox LLM on a free loopback port until `exit_stack` closes.

    `rpmw demo` and `rpmw eval` use it when no `RPMW_LLM_BASE_URL` is configured.
    """
    from richpanel_middleware.runtime.local.server_thread import ServerThread

    settings = LlmSandboxSettings(api_key=secrets.token_urlsafe(24))
    app, _ = create_llm_sandbox(settings, decisions)
    server = exit_stack.enter_context(ServerThread(app))
    return SandboxLlmEndpoint(f"{server.base_url}/v1", settings.api_key, settings.model)


def create_llm_sandbox(
    settings: LlmSandboxSettings, decisions: DecisionSource | None = None
) -> tuple[Starlette, LlmSandboxState]:
    """Build the sandbox app and return it with its state, which tests may inspect.

    `decisions` defaults to `KeywordDecisions`.
    """
    state = LlmSandboxState(settings)
    source = decisions or KeywordDecisions()
    api = _OpenAiApi(state, source)
    admin = _SandboxAdmin(state, source)
    routes = [
        Route(CHAT_PATH, api.chat_completions, methods=["POST"]),
        Route(RESPONSES_PATH, api.responses, methods=["POST"]),
        Route(MODELS_PATH, api.models, methods=["GET"]),
        Route("/_sandbox/llm/health", admin.health, methods=["GET"]),
        Route("/_sandbox/llm/script", admin.script, methods=["GET", "POST"]),
        Route("/_sandbox/llm/reset", admin.reset, methods=["POST"]),
        Route("/_sandbox/llm/requests", admin.requests, methods=["GET"]),
    ]
    return Starlette(routes=routes), state


# Keyword table


@dataclass(frozen=True, slots=True)
class _KeywordRule:
    intent: Intent
    pattern: re.Pattern[str]


def _rule(intent: Intent, pattern: str) -> _KeywordRule:
    return _KeywordRule(intent, re.compile(pattern, re.IGNORECASE))


# English and Spanish keywords for each intent except unknown_other, which is the fallback.
# The table is deliberately small, because it only lets demos and tests steer the sandbox.
# It is no model of how customers write.
KEYWORD_RULES: Final = (
    _rule(
        Intent.CHARGEBACK_DISPUTE,
        r"chargeback|charge back|dispute|reverse (it|the charge) with my bank|contracargo"
        r"|disputa|revertir el cargo",
    ),
    _rule(
        Intent.LEGAL_THREAT,
        r"lawyer|attorney|lawsuit|\bsue\b|legal action|small claims|abogad[oa]|demanda"
        r"|acci[oó]n(es)? legal(es)?",
    ),
    _rule(
        Intent.HARASSMENT_THREATS,
        r"\bthreat|i know where you live|you will regret|you'll regret|\bidiots?\b"
        r"|amenaza|s[eé] d[oó]nde vives|te vas a arrepentir|\bidiotas?\b",
    ),
    _rule(
        Intent.FRAUD_SUSPECTED,
        r"not my order|didn'?t (place|make) (this|that) order|stolen card|unauthori[sz]ed"
        r"|\bfraud|no es mi pedido|no hice (este|ese) pedido|tarjeta robada|fraude"
        r"|no autorizad[oa]",
    ),
    _rule(
        Intent.CANCEL_ORDER,
        r"cancel (my|the|this) order|cancel order|cancelar (mi|el) pedido|anular (mi|el) pedido",
    ),
    _rule(
        Intent.ADDRESS_CHANGE_ORDER_EDIT,
        r"change (my|the) (shipping )?address|edit (my|the) order|wrong address"
        r"|cambiar (la|mi) direcci[oó]n|modificar (mi|el) pedido",
    ),
    _rule(
        Intent.CANCEL_SUBSCRIPTION,
        r"cancel (my|the) subscription|pause (my|the) subscription|unsubscribe"
        r"|cancelar (mi|la) suscripci[oó]n|pausar (mi|la) suscripci[oó]n",
    ),
    _rule(
        Intent.BILLING_ISSUE,
        r"charged twice|double charge|wrong charge|overcharged|payment failed|invoice"
        r"|cobrado dos veces|doble cargo|cobro incorrecto|factura",
    ),
    _rule(
        Intent.DELIVERED_NOT_RECEIVED,
        r"(says|marked|shows) (as )?delivered|delivered but|never (arrived|got it)"
        r"|dice entregado|marcado como entregado|nunca lleg[oó]",
    ),
    _rule(
        Intent.MISSING_ITEMS_IN_SHIPMENT,
        r"missing items?|items? (is|are|was|were) missing|faltan? (un |algunos )?"
        r"(art[ií]culos?|productos?)|pedido incompleto",
    ),
    _rule(
        Intent.WRONG_ITEM_RECEIVED,
        r"wrong (item|size|colou?r|product)|not what i ordered|(art[ií]culo|producto|talla)"
        r" (equivocad[oa]|incorrect[oa])|no es lo que ped[ií]",
    ),
    _rule(
        Intent.DAMAGED_ITEM,
        r"damaged|broken|defective|cracked|da[ñn]ad[oa]|\brot[oa]\b|defectuos[oa]",
    ),
    _rule(
        Intent.RETURN_REQUEST,
        r"return (it|this|my|the)|want to return|send it back|devolver|devoluci[oó]n",
    ),
    _rule(
        Intent.EXCHANGE_REQUEST,
        r"exchange|swap (it|this|the)|different size|cambiar (la )?talla|cambio de talla",
    ),
    _rule(
        Intent.REFUND_REQUEST,
        r"refund|money back|reembolso|devuelvan (mi|el) dinero",
    ),
    _rule(
        Intent.ORDER_STATUS_TRACKING,
        r"where is my order|where'?s my order|tracking|track my|order status"
        r"|d[oó]nde est[aá] mi pedido|seguimiento|estado de mi pedido|cu[aá]ndo llega",
    ),
    _rule(
        Intent.SHIPPING_DELAY_NOT_SHIPPED,
        r"(hasn'?t|has not|still not|not yet) (been )?shipped|label created|no movement"
        r"|delayed|no ha sido enviado|todav[ií]a no (se ha )?enviado|retrasad[oa]|retraso",
    ),
    _rule(
        Intent.TECHNICAL_SUPPORT,
        r"not working|doesn'?t work|won'?t turn on|can'?t log ?in|error code|app crash"
        r"|no funciona|no enciende|no puedo iniciar sesi[oó]n",
    ),
    _rule(
        Intent.PHONE_SUPPORT_REQUEST,
        r"call me|phone call|give me a call|ll[aá]m[ae]me|por tel[eé]fono",
    ),
    _rule(Intent.TIKTOK_SUPPORT_REQUEST, r"tik ?tok"),
    _rule(Intent.SOCIAL_MEDIA_SUPPORT_REQUEST, r"instagram|facebook|\binsta\b"),
    _rule(
        Intent.PROMO_DISCOUNT_ISSUE,
        r"discount|promo code|coupon|descuento|cup[oó]n|c[oó]digo promocional",
    ),
    _rule(
        Intent.PRE_PURCHASE_QUESTION,
        r"before (i )?(buy|order|purchase)|do you ship to|is it compatible|what size should"
        r"|antes de comprar|hacen env[ií]os a|qu[eé] talla",
    ),
    _rule(
        Intent.INFLUENCER_MARKETING_INQUIRY,
        r"influencer|collab|partnership|sponsor|colaboraci[oó]n|patrocin",
    ),
)

# Letters and common words that mark a message as Spanish for the `language` field. Words
# that are also English (me, no, a) are left out.
_SPANISH_HINT: Final = re.compile(
    r"[ñáéíóú¿¡]|\b(el|la|los|las|mi|mis|una|que|por|para|pero|con|es|soy|les|hola|gracias"
    r"|pedido|quiero|necesito|nunca|dice|han|vas)\b",
    re.IGNORECASE,
)

# The delimited block in which the prompt carries the customer message.
_CUSTOMER_BLOCK: Final = re.compile(
    rf"<(?P<tag>{CUSTOMER_MESSAGE_TAG}_[0-9a-f]+)>\n(?P<body>.*)\n</(?P=tag)>", re.DOTALL
)

# The template the sandbox proposes for each intent, when the request's schema allows it.
INTENT_TEMPLATES: Final[dict[Intent, str]] = {
    Intent.ORDER_STATUS_TRACKING: "t_order_status_verified",
    Intent.SHIPPING_DELAY_NOT_SHIPPED: "t_shipping_delay_verified",
    Intent.DELIVERED_NOT_RECEIVED: "t_delivered_not_received_intake",
    Intent.MISSING_ITEMS_IN_SHIPMENT: "t_missing_items_intake",
    Intent.WRONG_ITEM_RECEIVED: "t_wrong_item_intake",
    Intent.DAMAGED_ITEM: "t_damaged_item_intake",
    Intent.CANCEL_ORDER: "t_cancel_order_ack_intake",
    Intent.ADDRESS_CHANGE_ORDER_EDIT: "t_address_change_ack_intake",
    Intent.CANCEL_SUBSCRIPTION: "t_cancel_subscription_ack_intake",
    Intent.BILLING_ISSUE: "t_billing_issue_intake",
    Intent.RETURN_REQUEST: "t_return_request_intake",
    Intent.EXCHANGE_REQUEST: "t_exchange_request_intake",
    Intent.REFUND_REQUEST: "t_refund_request_intake",
    Intent.TECHNICAL_SUPPORT: "t_technical_support_intake",
    Intent.PROMO_DISCOUNT_ISSUE: "t_promo_discount_info",
    Intent.PRE_PURCHASE_QUESTION: "t_pre_purchase_info",
    Intent.INFLUENCER_MARKETING_INQUIRY: "t_influencer_inquiry_route",
}

_PHOTO_INTENTS: Final = frozenset(
    {Intent.MISSING_ITEMS_IN_SHIPMENT, Intent.WRONG_ITEM_RECEIVED, Intent.DAMAGED_ITEM}
)
_ORDER_NUMBER_PRIORITIES: Final = frozenset({Priority.P1, Priority.P2, Priority.P3, Priority.P4})


def matched_intents(text: str) -> list[Intent]:
    """Return the intents whose keywords occur in `text`, primary first.

    The order is the domain's: priority level first, then the more specific workflow.
    Returns ``[unknown_other]`` when no keyword matches.
    """
    intents = [rule.intent for rule in KEYWORD_RULES if rule.pattern.search(text)]
    if not intents:
        return [Intent.UNKNOWN_OTHER]
    return sorted(
        intents,
        key=lambda intent: (INTENT_SPECS[intent].priority, -INTENT_SPECS[intent].specificity),
    )


def detect_language(text: str) -> str:
    return "es" if _SPANISH_HINT.search(text) else "en"


def customer_text(user_text: str) -> str:
    """Return the customer message inside the prompt's delimited block.

    Without such a block (a hand-written request), the whole user text is the message.
    """
    match = _CUSTOMER_BLOCK.search(user_text)
    return match.group("body") if match else user_text


# Replies shaped by the request's schema


def keyword_decision(user_text: str, schema: JsonObject | None) -> JsonObject:
    """Build an `mw_decision_v1` decision from the keywords in `user_text`.

    Team and template come from the enums in `schema` when it has them, so the decision
    validates against the schema that was sent.
    """
    intents = matched_intents(user_text)
    return decision_body(
        intents,
        risk_intents=[intent for intent in intents if intent in TIER0_INTENTS],
        language=detect_language(user_text),
        confidence=0.3 if intents[0] is Intent.UNKNOWN_OTHER else 0.9,
        schema=schema,
        note=f"sandbox keyword match: {intents[0].value}",
    )


def decision_body(
    intents: Sequence[Intent],
    *,
    risk_intents: Sequence[Intent],
    language: str,
    confidence: float,
    schema: JsonObject | None,
    note: str,
) -> JsonObject:
    """Build an `mw_decision_v1` decision for `intents`, primary first.

    Each Tier 0 intent in `risk_intents` raises its risk flag. Team and template come from
    the enums in `schema` when it has them, so the decision validates against it.
    """
    primary = intents[0]
    spec = INTENT_SPECS[primary]
    tier0 = [intent for intent in risk_intents if intent in TIER0_INTENTS]
    template_id = _allowed_template(INTENT_TEMPLATES.get(primary), schema)

    if primary in TIER0_INTENTS:
        tier, action, template_id = "TIER_0_ESCALATION", "ROUTE_ONLY", None
    elif primary in ORDER_STATUS_INTENTS:
        tier = "TIER_2_VERIFIED"
        action = "SEND_TEMPLATE" if template_id else "ROUTE_ONLY"
    else:
        tier = "TIER_1_SAFE_ASSIST"
        action = "SEND_TEMPLATE" if template_id else "ROUTE_ONLY"
    unknown = primary is Intent.UNKNOWN_OTHER

    return {
        "schema_version": DECISION_SCHEMA_VERSION,
        "language": language,
        "primary_intent": primary.value,
        "secondary_intents": [intent.value for intent in intents[1:3]],
        "routing": {
            "destination_team": _allowed_team(spec.default_team, schema),
            "confidence": confidence,
            "needs_manual_triage": unknown,
            "tags": [],
        },
        "automation": {
            "tier": tier,
            "action": action,
            "template_id": template_id,
            "confidence": confidence,
            "requires_deterministic_match": primary in ORDER_STATUS_INTENTS,
        },
        "risk": {
            "flags": list(dict.fromkeys(INTENT_RISK_FLAGS[i].value for i in tier0))[:3],
            "force_human": bool(tier0) or unknown,
        },
        "clarifying_questions": _clarifying_questions(primary),
        "notes_for_agent": note,
    }


def tier2_proposal(schema: JsonObject | None) -> JsonObject:
    """Build a decision that proposes a Tier 2 order-status reply, whatever the message contains.

    It shows that policy, not the model, grants Tier 2: the proposal has no risk flags,
    even for a chargeback message.
    """
    template_id = _allowed_template("t_order_status_verified", schema)
    return {
        "schema_version": DECISION_SCHEMA_VERSION,
        "language": "en",
        "primary_intent": Intent.ORDER_STATUS_TRACKING.value,
        "secondary_intents": [],
        "routing": {
            "destination_team": _allowed_team(EMAIL_SUPPORT, schema),
            "confidence": 0.97,
            "needs_manual_triage": False,
            "tags": [],
        },
        "automation": {
            "tier": "TIER_2_VERIFIED",
            "action": "SEND_TEMPLATE",
            "template_id": template_id,
            "confidence": 0.97,
            "requires_deterministic_match": True,
        },
        "risk": {"flags": [], "force_human": False},
        "clarifying_questions": [],
        "notes_for_agent": "sandbox proposal: Tier 2 order status",
    }


def unflagged_risk_decision(schema: JsonObject | None) -> JsonObject:
    """Build a refund decision that names a chargeback only among its secondary intents.

    It has no risk flag, does not ask for a human and proposes a Tier 1 reply, as a model
    that notices the risk but fills the schema carelessly might.
    """
    data = decision_body(
        [Intent.REFUND_REQUEST, Intent.CHARGEBACK_DISPUTE],
        risk_intents=[],
        language="en",
        confidence=0.95,
        schema=schema,
        note="sandbox proposal: chargeback named without a flag",
    )
    data["risk"]["force_human"] = False
    return data


def verifier_verdict(*, allow: bool) -> JsonObject:
    """Build an `mw_tier2_verifier_v1` verdict that allows Tier 2 or denies it."""
    return {
        "schema_version": VERIFIER_SCHEMA_VERSION,
        "allow_tier2": allow,
        "confidence": 0.95 if allow else 0.9,
        "downgrade_to_tier": "TIER_1_SAFE_ASSIST",
        "reason_code": "OK" if allow else "CONFLICTING_INTENT",
        "notes": "sandbox verdict",
    }


def _clarifying_questions(intent: Intent) -> list[str]:
    if intent is Intent.TECHNICAL_SUPPORT:
        return ["ASK_PRODUCT_MODEL", "ASK_TROUBLESHOOTING_DETAILS"]
    questions = []
    if INTENT_SPECS[intent].priority in _ORDER_NUMBER_PRIORITIES:
        questions.append("ASK_ORDER_NUMBER")
    if intent in _PHOTO_INTENTS:
        questions.append("ASK_PHOTO_OR_VIDEO")
    return questions


def _allowed_team(preferred: str, schema: JsonObject | None) -> str:
    """Return `preferred` if the schema allows it, else Email Support Team, else the first team."""
    allowed = _property_enum(schema, "destination_team")
    if allowed is None or preferred in allowed or not allowed:
        return preferred
    return EMAIL_SUPPORT if EMAIL_SUPPORT in allowed else allowed[0]


def _allowed_template(preferred: str | None, schema: JsonObject | None) -> str | None:
    """Return `preferred` if the schema allows it, else None."""
    allowed = _property_enum(schema, "template_id")
    if preferred is None or allowed is None or preferred in allowed:
        return preferred
    return None


def _property_enum(schema: JsonObject | None, name: str) -> list[str] | None:
    """Return the string enum of the first property called `name` anywhere in `schema`.

    An enum inside `anyOf` counts, as in ``{"anyOf": [{"enum": [...]}, {"type": "null"}]}``.
    Returns None when the schema has no such property or the property has no enum.
    """
    for node in _schema_nodes(schema):
        properties = node.get("properties")
        if isinstance(properties, dict) and isinstance(properties.get(name), dict):
            values = [
                value
                for branch in _schema_nodes(properties[name])
                for value in branch.get("enum", [])
                if isinstance(value, str)
            ]
            return values or None
    return None


def _schema_nodes(node: object) -> Iterator[JsonObject]:
    """Yield every object in a JSON Schema document, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _schema_nodes(value)
    elif isinstance(node, list):
        for item in node:
            yield from _schema_nodes(item)


def _is_verifier_schema(generation: _Generation) -> bool:
    if generation.schema_name == VERIFIER_SCHEMA_VERSION:
        return True
    properties = (generation.schema or {}).get("properties")
    return isinstance(properties, dict) and "allow_tier2" in properties


def estimate_tokens(text: str) -> int:
    """Estimate the token count of `text` as 1.3 tokens per word, rounded up."""
    return math.ceil(len(re.findall(r"\w+", text)) * TOKENS_PER_WORD)


# Requests


class _InvalidRequest(Exception):
    """Ends a generation request with OpenAI's 400 error body."""

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code


@dataclass(frozen=True, slots=True)
class _Generation:
    """The parts of a generation request that the sandbox uses."""

    api: Api
    model: str
    prompt: JsonObject
    user_text: str
    prompt_text: str
    schema_name: str | None
    schema: JsonObject | None
    strict: bool
    text_format: JsonObject | None


@dataclass(frozen=True, slots=True)
class _Reply:
    """Output of the emulated model: text or a refusal, and whether it was cut off."""

    text: str | None = None
    refusal: str | None = None
    truncated: bool = False

    @property
    def output_text(self) -> str:
        return self.text if self.text is not None else self.refusal or ""


def _parse_chat_request(body: JsonObject) -> _Generation:
    model = _required_model(body)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _InvalidRequest("messages must be a non-empty array", param="messages")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise _InvalidRequest(
                f"messages[{index}] must be an object with a role", param=f"messages[{index}]"
            )

    response_format = body.get("response_format")
    schema_name, schema, strict = None, None, False
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        json_schema = response_format.get("json_schema")
        if not isinstance(json_schema, dict):
            raise _InvalidRequest(
                "response_format.json_schema must be an object", param="response_format"
            )
        schema_name, schema, strict = _format_parts(json_schema, "response_format.json_schema")

    return _Generation(
        api="chat",
        model=model,
        prompt={"messages": messages},
        user_text=_joined_text(m for m in messages if m.get("role") == "user"),
        prompt_text=_joined_text(messages),
        schema_name=schema_name,
        schema=schema,
        strict=strict,
        text_format=None,
    )


def _parse_responses_request(body: JsonObject) -> _Generation:
    model = _required_model(body)
    raw_input = body.get("input")
    if isinstance(raw_input, str):
        items: list[Any] = [{"role": "user", "content": raw_input}]
    elif isinstance(raw_input, list) and raw_input:
        items = raw_input
    else:
        raise _InvalidRequest("input must be a string or a non-empty array", param="input")
    instructions = body.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise _InvalidRequest("instructions must be a string", param="instructions")

    text = body.get("text")
    text_format = text.get("format") if isinstance(text, dict) else None
    schema_name, schema, strict = None, None, False
    if isinstance(text_format, dict) and text_format.get("type") == "json_schema":
        schema_name, schema, strict = _format_parts(text_format, "text.format")

    messages = [item for item in items if isinstance(item, dict)]
    return _Generation(
        api="responses",
        model=model,
        prompt={"input": raw_input, "instructions": instructions},
        user_text=_joined_text(m for m in messages if m.get("role") == "user"),
        prompt_text=" ".join([instructions or "", _joined_text(messages)]),
        schema_name=schema_name,
        schema=schema,
        strict=strict,
        text_format=text_format if isinstance(text_format, dict) else None,
    )


def _required_model(body: JsonObject) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _InvalidRequest("model is required", param="model")
    return model


def _format_parts(format_object: JsonObject, where: str) -> tuple[str, JsonObject, bool]:
    """Read name, schema and strict from a json_schema response format."""
    name = format_object.get("name")
    schema = format_object.get("schema")
    if not isinstance(name, str) or not name:
        raise _InvalidRequest(f"{where}.name is required", param=f"{where}.name")
    if not isinstance(schema, dict):
        raise _InvalidRequest(f"{where}.schema must be an object", param=f"{where}.schema")
    return name, schema, format_object.get("strict") is True


def _joined_text(messages: Iterable[JsonObject]) -> str:
    """Join the text of messages whose content is a string or a list of text parts."""
    parts: list[str] = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(
                part["text"]
                for part in content
                if isinstance(part, dict) and isinstance(part.get("text"), str)
            )
    return "\n".join(parts)


def _behaviour_from_marker(user_text: str) -> LlmBehaviour | None:
    """Return the behaviour named by the first known marker in `user_text`, if any."""
    for match in MARKER_PATTERN.finditer(user_text):
        if match.group(1) in _BEHAVIOUR_NAMES:
            return LlmBehaviour(match.group(1))
    return None


# Response bodies


def _error_body(
    message: str, *, error_type: str, code: str | None, param: str | None = None
) -> JsonObject:
    return {"error": {"message": message, "type": error_type, "param": param, "code": code}}


def _chat_completion_body(generation: _Generation, reply: _Reply, number: int) -> JsonObject:
    input_tokens = estimate_tokens(generation.prompt_text)
    output_tokens = estimate_tokens(reply.output_text)
    return {
        "id": f"chatcmpl-sandbox-{number}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": generation.model,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": reply.text,
                    "refusal": reply.refusal,
                },
                "logprobs": None,
                "finish_reason": "length" if reply.truncated else "stop",
            }
        ],
        "usage": {
            "prompt_tokens": input_tokens,
            "completion_tokens": output_tokens,
            "total_tokens": input_tokens + output_tokens,
        },
    }


def _response_body(generation: _Generation, reply: _Reply, number: int) -> JsonObject:
    input_tokens = estimate_tokens(generation.prompt_text)
    output_tokens = estimate_tokens(reply.output_text)
    if reply.refusal is not None:
        part: JsonObject = {"type": "refusal", "refusal": reply.refusal}
    else:
        part = {"type": "output_text", "text": reply.text or "", "annotations": []}
    status = "incomplete" if reply.truncated else "completed"
    return {
        "id": f"resp_sandbox_{number}",
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "incomplete_details": {"reason": "max_output_tokens"} if reply.truncated else None,
        "error": None,
        "model": generation.model,
        "instructions": generation.prompt.get("instructions"),
        "output": [
            {
                "type": "message",
                "id": f"msg_sandbox_{number}",
                "status": status,
                "role": "assistant",
                "content": [part],
            }
        ],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "text": {"format": generation.text_format or {"type": "text"}},
        "usage": {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": input_tokens + output_tokens,
        },
    }


def _retry_headers(entry: ScriptedBehaviour) -> dict[str, str]:
    if entry.retry_after_ms is not None:
        return {
            "retry-after-ms": f"{entry.retry_after_ms:g}",
            "retry-after": str(math.ceil(entry.retry_after_ms / 1000)),
        }
    if entry.retry_after_s is not None:
        return {"retry-after": f"{entry.retry_after_s:g}"}
    if entry.behaviour is LlmBehaviour.RATE_LIMIT:
        return {"retry-after": f"{DEFAULT_RATE_LIMIT_RETRY_AFTER_S:g}"}
    return {}


# OpenAI endpoints


class _OpenAiApi:
    """The ``/v1/`` endpoints: authentication, request parsing and behaviour dispatch."""

    def __init__(self, state: LlmSandboxState, decisions: DecisionSource) -> None:
        self._state = state
        self._decisions = decisions

    async def chat_completions(self, request: Request) -> Response:
        return await self._generate(request, "chat")

    async def responses(self, request: Request) -> Response:
        return await self._generate(request, "responses")

    async def models(self, request: Request) -> Response:
        path = request.url.path
        if not self._authorized(request):
            self._state.record_request(path=path, status=401)
            return _unauthorized()
        self._state.record_request(path=path, status=200)
        model = {"id": self._state.settings.model, "object": "model", "created": 0}
        return JSONResponse({"object": "list", "data": [{**model, "owned_by": "sandbox"}]})

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        expected = self._state.settings.api_key
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode(), expected.encode()
        )

    async def _generate(self, request: Request, api: Api) -> Response:
        path = request.url.path
        if not self._authorized(request):
            self._state.record_request(path=path, status=401)
            return _unauthorized()

        try:
            generation = _parse_generation(await request.body(), api)
        except _InvalidRequest as invalid:
            self._state.record_request(path=path, status=400)
            return _invalid_request(invalid)
        try:
            _check_strict_schema(generation)
        except _InvalidRequest as invalid:
            self._state.record_request(
                path=path,
                status=400,
                model=generation.model,
                schema_name=generation.schema_name,
                prompt=generation.prompt,
            )
            return _invalid_request(invalid)

        entry = self._state.take_scripted() or ScriptedBehaviour(
            _behaviour_from_marker(generation.user_text) or LlmBehaviour.VALID
        )
        status, body, headers = await self._answer(request, generation, entry)
        self._state.record_request(
            path=path,
            status=status,
            model=generation.model,
            schema_name=generation.schema_name,
            behaviour=entry.behaviour,
            prompt=generation.prompt,
        )
        return JSONResponse(body, status_code=status, headers=headers)

    async def _answer(
        self, request: Request, generation: _Generation, entry: ScriptedBehaviour
    ) -> tuple[int, JsonObject, dict[str, str]]:
        """Return (status, body, headers) for one behaviour."""
        number = self._state.next_response_number()
        headers = {"x-request-id": f"req_sandbox_{number}", **_retry_headers(entry)}
        behaviour = entry.behaviour
        if behaviour in _ERROR_BEHAVIOURS:
            status, body = _error_response(behaviour, generation)
            return status, body, headers

        if behaviour is LlmBehaviour.SLOW:
            finished = await _wait_unless_disconnected(
                request, self._state.settings.slow_response_s
            )
            if not finished:
                # 499 is nginx's "client closed request": the body is never sent.
                return 499, {}, headers

        reply = _reply(behaviour, generation, self._decisions)
        if generation.api == "chat":
            return 200, _chat_completion_body(generation, reply, number), headers
        return 200, _response_body(generation, reply, number), headers


def _parse_generation(raw_body: bytes, api: Api) -> _Generation:
    try:
        body = json.loads(raw_body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _InvalidRequest("the request body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise _InvalidRequest("the request body must be a JSON object")
    return _parse_chat_request(body) if api == "chat" else _parse_responses_request(body)


def _check_strict_schema(generation: _Generation) -> None:
    """Reject a strict schema that breaks the strict structured-output rules, as OpenAI does."""
    if not generation.strict or generation.schema is None:
        return
    problems = strict_schema_violations(generation.schema)
    if generation.schema.get("type") != "object":
        problems.insert(0, "$: the root schema must be of type object")
    if problems:
        raise _InvalidRequest(
            f"Invalid schema for response format {generation.schema_name!r}: {problems[0]}",
            param=_schema_param(generation),
            code="invalid_json_schema",
        )


def _schema_param(generation: _Generation) -> str:
    return "response_format" if generation.api == "chat" else "text.format.schema"


def _error_response(behaviour: LlmBehaviour, generation: _Generation) -> tuple[int, JsonObject]:
    if behaviour is LlmBehaviour.RATE_LIMIT:
        return 429, _error_body(
            "The sandbox rate limit was reached; retry after the time in retry-after.",
            error_type="requests",
            code="rate_limit_exceeded",
        )
    if behaviour is LlmBehaviour.INSUFFICIENT_QUOTA:
        return 429, _error_body(
            "The sandbox quota is used up; retrying will not help until billing is fixed.",
            error_type="insufficient_quota",
            code="insufficient_quota",
        )
    if behaviour is LlmBehaviour.SERVER_ERROR:
        return 500, _error_body(
            "The sandbox failed while processing the request.", error_type="server_error", code=None
        )
    return 400, _error_body(
        f"Invalid schema for response format {generation.schema_name!r}: the sandbox was "
        "scripted to reject it.",
        error_type="invalid_request_error",
        code="invalid_json_schema",
        param=_schema_param(generation),
    )


def _reply(behaviour: LlmBehaviour, generation: _Generation, decisions: DecisionSource) -> _Reply:
    """Produce the emulated model's output for a behaviour that returns HTTP 200."""
    if behaviour is LlmBehaviour.REFUSAL:
        return _Reply(refusal=REFUSAL_TEXT)
    if behaviour is LlmBehaviour.INVALID_JSON:
        return _Reply(text='Sure, here is the JSON: {"primary_intent": order_status_tracking}')

    data = _reply_data(behaviour, generation, decisions)
    text = json.dumps(data, ensure_ascii=False)
    if behaviour is LlmBehaviour.TRUNCATION:
        return _Reply(text=text[: len(text) // 2], truncated=True)
    return _Reply(text=text)


def _reply_data(
    behaviour: LlmBehaviour, generation: _Generation, decisions: DecisionSource
) -> JsonObject:
    """Build the JSON object of a reply. Verifier schemas get a verdict, all others a decision.

    `deny` returns the same reply as `valid` for a decision schema, and so does
    `propose_tier2` for a verifier schema.
    """
    if _is_verifier_schema(generation):
        data = verifier_verdict(allow=behaviour is not LlmBehaviour.DENY)
        if behaviour is LlmBehaviour.WRONG_ENUM:
            data["reason_code"] = "not_a_reason_code"
        return data

    if behaviour is LlmBehaviour.PROPOSE_TIER2:
        return tier2_proposal(generation.schema)
    if behaviour is LlmBehaviour.UNFLAGGED_RISK:
        return unflagged_risk_decision(generation.schema)
    data = decisions.decide(customer_text(generation.user_text), generation.schema)
    if behaviour is LlmBehaviour.WRONG_ENUM:
        data["primary_intent"] = "not_an_intent"
    return data


async def _wait_unless_disconnected(request: Request, seconds: float) -> bool:
    """Sleep for `seconds`, and return False early if the client disconnects."""
    deadline = time.monotonic() + seconds
    while (remaining := deadline - time.monotonic()) > 0:
        await asyncio.sleep(min(DISCONNECT_POLL_S, remaining))
        if await request.is_disconnected():
            return False
    return True


def _invalid_request(invalid: _InvalidRequest) -> JSONResponse:
    body = _error_body(
        invalid.message, error_type="invalid_request_error", code=invalid.code, param=invalid.param
    )
    return JSONResponse(body, status_code=400)


def _unauthorized() -> JSONResponse:
    body = _error_body(
        "Missing or incorrect API key. Send it as 'Authorization: Bearer <key>'.",
        error_type="invalid_request_error",
        code="invalid_api_key",
    )
    return JSONResponse(body, status_code=401)


# Admin API


class _AdminError(Exception):
    """Ends an admin request with 400 and the body ``{"error": message}``."""


class _SandboxAdmin:
    """The ``/_sandbox/llm/`` endpoints that tests and demos use to drive the emulator."""

    def __init__(self, state: LlmSandboxState, decisions: DecisionSource) -> None:
        self._state = state
        self._decisions = decisions

    async def health(self, request: Request) -> Response:
        return JSONResponse(
            {
                "status": "ok",
                "model": self._state.settings.model,
                "decisions": self._decisions.name,
                "queued": len(self._state.script()),
            }
        )

    async def requests(self, request: Request) -> Response:
        return JSONResponse({"requests": self._state.requests()})

    async def reset(self, request: Request) -> Response:
        self._state.reset()
        return JSONResponse({"status": "reset"})

    async def script(self, request: Request) -> Response:
        if request.method == "GET":
            queued = [entry.as_dict() for entry in self._state.script()]
            return JSONResponse({"behaviours": queued})
        try:
            entries = _script_entries(await request.body())
        except _AdminError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"queued": self._state.set_script(entries)})


def _script_entries(raw_body: bytes) -> list[ScriptedBehaviour]:
    """Check a ``POST /_sandbox/llm/script`` body and return its entries. Raises _AdminError."""
    try:
        body = json.loads(raw_body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _AdminError(f"request body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict) or set(body) != {"behaviours"}:
        raise _AdminError('request body must be {"behaviours": [...]}')
    raw_entries = body["behaviours"]
    if not isinstance(raw_entries, list) or len(raw_entries) > MAX_SCRIPT_ENTRIES:
        raise _AdminError(f"behaviours must be a list of at most {MAX_SCRIPT_ENTRIES} entries")
    return [_script_entry(raw, index) for index, raw in enumerate(raw_entries)]


def _script_entry(raw: object, index: int) -> ScriptedBehaviour:
    """Parse one entry: a behaviour name, or an object with the name and retry hints."""
    where = f"behaviours[{index}]"
    fields: JsonObject = {"behaviour": raw} if isinstance(raw, str) else {}
    if isinstance(raw, dict):
        fields = raw
    elif not isinstance(raw, str):
        raise _AdminError(f"{where} must be a behaviour name or an object")

    unknown_keys = set(fields) - {"behaviour", "retry_after_s", "retry_after_ms"}
    if unknown_keys:
        raise _AdminError(f"{where} has unknown keys: {', '.join(sorted(unknown_keys))}")
    name = fields.get("behaviour")
    if not isinstance(name, str) or name not in _BEHAVIOUR_NAMES:
        known = ", ".join(sorted(_BEHAVIOUR_NAMES))
        raise _AdminError(f"{where}: unknown behaviour {name!r}. Known behaviours: {known}")
    behaviour = LlmBehaviour(name)

    retry_after_s = _optional_seconds(fields.get("retry_after_s"), f"{where}.retry_after_s")
    retry_after_ms = _optional_seconds(fields.get("retry_after_ms"), f"{where}.retry_after_ms")
    has_hint = retry_after_s is not None or retry_after_ms is not None
    if has_hint and behaviour not in _RETRY_HINT_BEHAVIOURS:
        raise _AdminError(f"{where}: retry hints apply only to rate_limit and server_error")
    return ScriptedBehaviour(behaviour, retry_after_s=retry_after_s, retry_after_ms=retry_after_ms)


def _optional_seconds(value: object, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _AdminError(f"{name} must be a number")
    if value < 0:
        raise _AdminError(f"{name} must not be negative")
    return float(value)
