"""Run examples through the real decision pipeline (classifier + policy), without network."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from pydantic import ValidationError

from richpanel_middleware.classify.llm_classifier import usage_of_failure
from richpanel_middleware.classify.llm_client import LlmFailure
from richpanel_middleware.classify.text import strip_quoted_history, word_count
from richpanel_middleware.domain.decision import Decision, ReplyAction
from richpanel_middleware.eval.golden import EvalExample
from richpanel_middleware.eval.metrics import Prediction
from richpanel_middleware.helpdesk.model import Comment
from richpanel_middleware.pipeline.ports import Classifier
from richpanel_middleware.pipeline.worker import fail_closed_classification
from richpanel_middleware.policy.config import Flags
from richpanel_middleware.policy.engine import PolicyConfig, PolicyContext, plan_actions
from richpanel_middleware.policy.loop_guard import GuardVerdict


def predict(
    examples: Sequence[EvalExample],
    classifier: Classifier,
    policy: PolicyConfig,
    flags: Flags,
    *,
    progress: Callable[[], None] | None = None,
) -> list[Prediction]:
    """Classify and plan each example as the worker would for a fresh conversation."""
    predictions: list[Prediction] = []
    for example in examples:
        started = time.perf_counter()
        model_failed = False
        failure_kind: str | None = None
        failure_message: str | None = None
        try:
            classification = classifier.classify(example.text, channel=example.channel)
        except Exception as error:
            # As in the worker: a model failure is a triage decision with no reply, and the
            # failed call counts as a call with the tokens the provider billed. NOTE: this
            # includes a connection failure that never reached the provider, because the
            # classifier prices every LlmFailure as one call.
            classification = replace(
                fail_closed_classification(example.text), usage=usage_of_failure(error)
            )
            model_failed = True
            failure_kind, failure_message = _describe_failure(error)
        message = Comment(example.example_id, None, example.text, datetime.now(UTC), False)
        plan = plan_actions(
            classification,
            PolicyContext(
                channel=example.channel,
                word_count=word_count(strip_quoted_history(example.text)),
                guard=GuardVerdict(message, pending=(message,)),
                flags=flags,
            ),
            policy,
        )
        latency_ms = (time.perf_counter() - started) * 1000
        predictions.append(
            Prediction(
                example=example,
                primary=plan.primary_intent,
                tier=int(plan.tier),
                replied=plan.action is not ReplyAction.ROUTE_ONLY,
                confidence=plan.routing_confidence,
                latency_ms=latency_ms,
                schema_valid=_schema_valid(classification.decision),
                usage=classification.usage,
                model_failed=model_failed,
                failure_kind=failure_kind,
                failure_message=failure_message,
            )
        )
        if progress is not None:
            progress()
    return predictions


def _describe_failure(error: Exception) -> tuple[str, str | None]:
    """Return the failure kind and a message that is safe to print.

    An `LlmFailure` gives its `LlmFailureKind` and its message, which never contains the
    prompt, the reply or the API key. Any other error gives only its class name, because
    its message may quote customer text.
    """
    if isinstance(error, LlmFailure):
        return error.kind.value, str(error)
    return type(error).__name__, None


def _schema_valid(decision: Decision) -> bool:
    try:
        Decision.model_validate(decision.model_dump())
    except ValidationError:
        return False
    return True
