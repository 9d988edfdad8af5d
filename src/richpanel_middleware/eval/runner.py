"""Run examples through the real decision pipeline (classifier + policy), without network."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from pydantic import ValidationError

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
        try:
            classification = classifier.classify(example.text, channel=example.channel)
        except Exception:
            # As in the worker: a model failure is a triage decision with no reply.
            classification = fail_closed_classification(example.text)
            model_failed = True
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
            )
        )
        if progress is not None:
            progress()
    return predictions


def _schema_valid(decision: Decision) -> bool:
    try:
        Decision.model_validate(decision.model_dump())
    except ValidationError:
        return False
    return True
