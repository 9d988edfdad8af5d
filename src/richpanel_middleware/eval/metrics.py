"""Evaluation metrics over predictions (pure: no I/O)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.metrics import f1_score, precision_recall_fscore_support

from richpanel_middleware.classify.result import ModelUsage
from richpanel_middleware.domain.intents import TIER0_INTENTS, Intent
from richpanel_middleware.eval.golden import EvalExample

CALIBRATION_BINS = 10


@dataclass(frozen=True, slots=True)
class Prediction:
    example: EvalExample
    primary: Intent
    tier: int
    replied: bool
    confidence: float
    latency_ms: float
    schema_valid: bool
    usage: ModelUsage = field(default_factory=ModelUsage)
    model_failed: bool = False
    # For a failed classification: the `LlmFailureKind` value, or the exception's class
    # name for any other error. The message is set only for an `LlmFailure`.
    failure_kind: str | None = None
    failure_message: str | None = None

    @property
    def correct(self) -> bool:
        return self.primary in self.example.acceptable


def compute_metrics(predictions: Sequence[Prediction]) -> dict[str, Any]:
    """Return the metrics document for labelled predictions (unlabelled ones are only counted)."""
    labelled = [p for p in predictions if p.example.labelled]
    if not labelled:
        raise ValueError(
            "no labelled examples to evaluate; rows need primary_intent or acceptable_intents"
        )

    expected = [expected_label(p).value for p in labelled]
    predicted = [p.primary.value for p in labelled]
    labels = sorted({*expected, *predicted})
    precision, recall, f1, support = precision_recall_fscore_support(
        expected, predicted, labels=labels, zero_division=0
    )
    per_intent = {
        label: {
            "precision": round(float(precision[i]), 4),
            "recall": round(float(recall[i]), 4),
            "f1": round(float(f1[i]), 4),
            "support": int(support[i]),
        }
        for i, label in enumerate(labels)
        if support[i] > 0
    }
    tier0_expected = [p for p in labelled if _expects_tier0(p.example)]
    # Share of automatic replies sent for the right intent. Lowered thresholds reduce it.
    replied = [p for p in labelled if p.replied]
    tier0_missed = [p for p in tier0_expected if p.tier != 0]
    latencies = np.array([p.latency_ms for p in predictions])
    return {
        "examples": len(predictions),
        "labelled": len(labelled),
        "accuracy": round(sum(p.correct for p in labelled) / len(labelled), 4),
        "macro_f1": round(
            float(
                f1_score(
                    expected,
                    predicted,
                    labels=sorted(set(expected)),
                    average="macro",
                    zero_division=0,
                )
            ),
            4,
        ),
        "weighted_f1": round(
            float(f1_score(expected, predicted, average="weighted", zero_division=0)), 4
        ),
        "per_intent": per_intent,
        "tier0_expected": len(tier0_expected),
        "tier0_recall": round(1 - len(tier0_missed) / len(tier0_expected), 4)
        if tier0_expected
        else 1.0,
        "tier0_false_negatives": len(tier0_missed),
        "tier2_violations": sum(
            1 for p in labelled if p.tier == 2 and (p.example.max_tier or 0) < 2
        ),
        "tier3_violations": sum(1 for p in predictions if p.tier == 3),
        "schema_invalid": sum(
            1 for p in predictions if not (p.schema_valid and p.example.schema_valid)
        ),
        "unsafe_replies": sum(1 for p in labelled if p.replied and _expects_tier0(p.example)),
        "replies": len(replied),
        "reply_precision": round(sum(p.correct for p in replied) / len(replied), 4)
        if replied
        else 1.0,
        "ece": round(expected_calibration_error(labelled), 4),
        "latency_ms_p50": round(float(np.percentile(latencies, 50)), 3),
        "latency_ms_p95": round(float(np.percentile(latencies, 95)), 3),
        "llm_calls": sum(p.usage.llm_calls for p in predictions),
        "llm_share": round(sum(1 for p in predictions if p.usage.llm_calls) / len(predictions), 4),
        "model_failures": sum(1 for p in predictions if p.model_failed),
        "model_failure_kinds": model_failure_kinds(predictions),
        "tokens_in": sum(p.usage.input_tokens for p in predictions),
        "tokens_out": sum(p.usage.output_tokens for p in predictions),
        "cost_usd": round(sum(p.usage.cost_usd for p in predictions), 6),
        "cost_usd_per_1000_messages": round(
            sum(p.usage.cost_usd for p in predictions) / len(predictions) * 1000, 6
        ),
    }


def model_failure_kinds(predictions: Sequence[Prediction]) -> dict[str, int]:
    """Count failed classifications by failure kind, most frequent first."""
    kinds = Counter(p.failure_kind or "unknown" for p in predictions if p.model_failed)
    return dict(kinds.most_common())


def expected_calibration_error(predictions: Sequence[Prediction]) -> float:
    """Weighted mean gap between confidence and accuracy over equal-width confidence bins."""
    total = len(predictions)
    error = 0.0
    for _low, _high, members in calibration_bins(predictions):
        if members:
            accuracy = sum(p.correct for p in members) / len(members)
            confidence = sum(p.confidence for p in members) / len(members)
            error += len(members) / total * abs(accuracy - confidence)
    return error


def calibration_bins(
    predictions: Sequence[Prediction],
) -> list[tuple[float, float, list[Prediction]]]:
    bins: list[tuple[float, float, list[Prediction]]] = []
    for index in range(CALIBRATION_BINS):
        low, high = index / CALIBRATION_BINS, (index + 1) / CALIBRATION_BINS
        last = index == CALIBRATION_BINS - 1
        members = [
            p for p in predictions if low <= p.confidence < high or (last and p.confidence == 1.0)
        ]
        bins.append((low, high, members))
    return bins


def expected_label(prediction: Prediction) -> Intent:
    """Return the label a prediction is scored against.

    A prediction inside `acceptable_intents` counts as the expected label itself, so a
    second valid reading is not scored as a confusion.
    """
    if prediction.correct:
        return prediction.primary
    return prediction.example.primary or prediction.example.acceptable[0]


def confusion_counts(
    predictions: Sequence[Prediction],
) -> tuple[list[str], Counter[tuple[str, str]]]:
    """Count (expected, predicted) label pairs of labelled predictions, with the sorted labels."""
    pairs: Counter[tuple[str, str]] = Counter(
        (expected_label(p).value, p.primary.value) for p in predictions if p.example.labelled
    )
    labels = sorted({label for pair in pairs for label in pair})
    return labels, pairs


def _expects_tier0(example: EvalExample) -> bool:
    if example.max_tier is not None:
        return example.max_tier == 0
    return bool(example.primary and example.primary in TIER0_INTENTS)
