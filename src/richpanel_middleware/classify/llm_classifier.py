"""Classifiers that ask a hosted model: the LLM classifier, the cascade and the Tier 2 verifier.

The model only proposes. Tier 0 rules run on the full text before it and policy recomputes
every field of the proposal, so a model that misreads a message or is talked into a
refund changes nothing unsafe. Personal data is replaced before any text leaves, and the
customer text reaches the model only inside the delimited block of the prompt.

Any failure (timeout, refusal, truncation, invalid JSON, a proposal that breaks the
schema) raises `LlmFailure`. The worker turns that into a triage route with
`mw-model-failure` and no reply.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from richpanel_middleware.classify.language import detect_language
from richpanel_middleware.classify.llm_client import LlmFailure, LlmFailureKind, LlmResponse
from richpanel_middleware.classify.llm_config import LlmConfig
from richpanel_middleware.classify.pii import minimise_personal_data
from richpanel_middleware.classify.prompting import (
    DECISION_PROMPT_VERSION,
    VERIFIER_PROMPT_VERSION,
    build_decision_messages,
    build_verifier_messages,
)
from richpanel_middleware.classify.result import Classification, ModelUsage
from richpanel_middleware.classify.text import strip_quoted_history
from richpanel_middleware.classify.tier0_rules import match_tier0
from richpanel_middleware.domain.decision import (
    DECISION_SCHEMA_VERSION,
    VERIFIER_SCHEMA_VERSION,
    Decision,
    Tier2Verdict,
    strict_json_schema,
)
from richpanel_middleware.domain.intents import Intent

# The model reads the newest part of a long turn; the Tier 0 rules read all of it.
LLM_MAX_CHARS = 8000

OutputT = TypeVar("OutputT", bound=BaseModel)


class JsonModel(Protocol):
    """The part of `LlmClient` the classifiers call."""

    def complete_json(
        self,
        *,
        schema_name: str,
        schema: dict[str, Any],
        system: str,
        user: str,
        model: str | None = None,
    ) -> LlmResponse: ...


class LocalModelClassifier(Protocol):
    version: str

    def classify(
        self,
        text: str,
        *,
        channel: str | None = None,
        language_hint: str | None = None,
        customer_names: Sequence[str] = (),
    ) -> Classification: ...


class LlmClassifier:
    """Classify with a hosted model through strict structured output (`mw_decision_v1`)."""

    def __init__(
        self,
        client: JsonModel,
        *,
        model: str,
        teams: Sequence[str],
        template_ids: Sequence[str],
        config: LlmConfig,
    ) -> None:
        self._client = client
        self._model = model
        self._teams = sorted(teams)
        self._template_ids = list(template_ids)
        self._config = config
        self._schema = strict_json_schema(
            Decision, teams=self._teams, template_ids=self._template_ids
        )
        self.version = f"llm:{model}:{DECISION_PROMPT_VERSION}"

    def classify(
        self,
        text: str,
        *,
        channel: str | None = None,
        language_hint: str | None = None,
        customer_names: Sequence[str] = (),
    ) -> Classification:
        started = time.perf_counter()
        hits = match_tier0(text)
        system, user = build_decision_messages(
            _model_input(text, customer_names),
            intents=[intent.value for intent in Intent],
            teams=self._teams,
            templates=self._template_ids,
            channel=channel,
        )
        decision, usage = _structured_call(
            self._client,
            self._config,
            schema_name=DECISION_SCHEMA_VERSION,
            schema=self._schema,
            system=system,
            user=user,
            model=self._model,
            output=Decision,
        )
        # Templates are chosen by language, so the detector decides it, as for the local
        # classifier: a message it cannot place ("unknown") gets no reply, even when the
        # model guesses English.
        detected = detect_language(text, hint=language_hint)
        if detected != decision.language:
            decision = decision.model_copy(update={"language": detected})
        return Classification(
            decision=decision,
            tier0_hits=hits,
            classifier_version=self.version,
            latency_ms=(time.perf_counter() - started) * 1000,
            usage=usage,
        )


class CascadeClassifier:
    """The local model decides when it is sure and no Tier 0 rule fired; otherwise the LLM."""

    def __init__(self, local: LocalModelClassifier, llm: LlmClassifier, config: LlmConfig) -> None:
        self._local = local
        self._llm = llm
        self._thresholds = config.cascade
        self.version = f"cascade:{local.version}+{llm.version}"

    def classify(
        self,
        text: str,
        *,
        channel: str | None = None,
        language_hint: str | None = None,
        customer_names: Sequence[str] = (),
    ) -> Classification:
        local = self._local.classify(
            text, channel=channel, language_hint=language_hint, customer_names=customer_names
        )
        primary = local.decision.primary_intent
        confidence = max(local.scores.values(), default=local.decision.routing.confidence)
        if not local.tier0_hits and confidence >= self._thresholds.local_min_for(primary):
            return replace(local, classifier_version=f"cascade:local:{local.classifier_version}")
        llm = self._llm.classify(
            text, channel=channel, language_hint=language_hint, customer_names=customer_names
        )
        return replace(
            llm,
            classifier_version=f"cascade:llm:{llm.classifier_version}",
            latency_ms=local.latency_ms + llm.latency_ms,
        )


class LlmVerifier:
    """Ask the model whether a verified order reply is appropriate (`mw_tier2_verifier_v1`).

    Its input is the minimised message, the intents policy found, the match method and the
    template id; never order facts. Its verdict can only deny what the deterministic
    verifier allowed.
    """

    def __init__(self, client: JsonModel, *, model: str, config: LlmConfig) -> None:
        self._client = client
        self._model = model
        self._config = config
        self._schema = strict_json_schema(Tier2Verdict)
        self.version = f"llm:{model}:{VERIFIER_PROMPT_VERSION}"

    def verify(
        self,
        text: str,
        *,
        primary_intent: str,
        intents_present: Sequence[str],
        order_match: str,
        template_id: str,
        customer_names: Sequence[str] = (),
    ) -> tuple[Tier2Verdict, ModelUsage]:
        system, user = build_verifier_messages(
            text=_model_input(text, customer_names),
            primary_intent=primary_intent,
            order_match=order_match,
            template_id=template_id,
            intents_present=intents_present,
        )
        return _structured_call(
            self._client,
            self._config,
            schema_name=VERIFIER_SCHEMA_VERSION,
            schema=self._schema,
            system=system,
            user=user,
            model=self._model,
            output=Tier2Verdict,
        )


def _model_input(text: str, names: Sequence[str]) -> str:
    """Minimise the customer text, then keep its newest part.

    Minimising comes first, so the cut cannot split a card number into short pieces.
    """
    return minimise_personal_data(strip_quoted_history(text), names=names)[-LLM_MAX_CHARS:]


def _structured_call(
    client: JsonModel,
    config: LlmConfig,
    *,
    schema_name: str,
    schema: dict[str, Any],
    system: str,
    user: str,
    model: str,
    output: type[OutputT],
) -> tuple[OutputT, ModelUsage]:
    """Call the model for one strict schema, validate its output and price the call.

    A failed call, or an output that breaks the schema, raises `LlmFailure` carrying the
    cost of the call.
    """
    try:
        response = client.complete_json(
            schema_name=schema_name, schema=schema, system=system, user=user, model=model
        )
    except LlmFailure as call_failure:
        raise _priced(call_failure, config, model) from None
    billed_model = response.model or model
    try:
        parsed = output.model_validate(response.data)
    except ValidationError as error:
        mismatch = LlmFailure(
            LlmFailureKind.SCHEMA_MISMATCH,
            f"the model's output breaks {schema_name} ({error.error_count()} errors)",
            usage=response.usage,
        )
        raise _priced(mismatch, config, billed_model) from error
    usage = config.usage(
        billed_model,
        input_tokens=response.usage.input_tokens,
        output_tokens=response.usage.output_tokens,
    )
    return parsed, usage


def _priced(failure: LlmFailure, config: LlmConfig, model: str) -> LlmFailure:
    """Attach the cost of a failed call: providers bill refused and truncated replies too.

    The worker reads `model_usage` to record the call in the decision record.
    """
    failure.model_usage = config.usage(  # type: ignore[attr-defined]
        model,
        input_tokens=failure.usage.input_tokens,
        output_tokens=failure.usage.output_tokens,
    )
    return failure


def usage_of_failure(error: BaseException) -> ModelUsage:
    """Return the usage a failed model call carried, or zero usage for any other error."""
    usage = getattr(error, "model_usage", None)
    return usage if isinstance(usage, ModelUsage) else ModelUsage()
