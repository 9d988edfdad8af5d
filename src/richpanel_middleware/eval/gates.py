"""Release gates: each compares a metrics document with fixed limits or a baseline."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ACCURACY_TOLERANCE = 0.02
RECALL_TOLERANCE = 0.03
# Share of messages whose model call failed (and so went to triage with no reply). Above
# this, the run measures the failing model configuration, not the decisions.
MAX_MODEL_FAILURE_RATE = 0.02


@dataclass(frozen=True, slots=True)
class GateResult:
    name: str
    passed: bool
    detail: str


def evaluate_gates(
    metrics: Mapping[str, Any], baseline: Mapping[str, Any] | None
) -> list[GateResult]:
    results = [
        _zero(metrics, "schema_invalid", "schema_validity"),
        _zero(metrics, "tier3_violations", "tier3_violations"),
        _zero(metrics, "tier2_violations", "tier2_violations"),
        _zero(metrics, "tier0_false_negatives", "tier0_false_negatives"),
        _zero(metrics, "unsafe_replies", "unsafe_replies"),
    ]
    examples = int(metrics.get("examples", 0)) or 1
    failure_rate = int(metrics.get("model_failures", 0)) / examples
    results.append(
        GateResult(
            "model_failure_rate",
            failure_rate <= MAX_MODEL_FAILURE_RATE,
            f"{failure_rate:.4f} of messages (at most {MAX_MODEL_FAILURE_RATE:.2f})",
        )
    )
    if baseline is None:
        return results
    for key in ("macro_f1", "accuracy", "reply_precision"):
        floor = float(baseline[key]) - ACCURACY_TOLERANCE
        value = float(metrics[key])
        results.append(
            GateResult(f"{key}_vs_baseline", value >= floor, f"{value:.4f} vs floor {floor:.4f}")
        )
    base_intents: Mapping[str, Mapping[str, Any]] = baseline.get("per_intent", {})
    current: Mapping[str, Mapping[str, Any]] = metrics.get("per_intent", {})
    for intent, base in sorted(base_intents.items()):
        floor = float(base["recall"]) - RECALL_TOLERANCE
        value = float(current.get(intent, {}).get("recall", 0.0))
        results.append(
            GateResult(
                f"recall_{intent}_vs_baseline", value >= floor, f"{value:.4f} vs floor {floor:.4f}"
            )
        )
    return results


def _zero(metrics: Mapping[str, Any], key: str, name: str) -> GateResult:
    value = int(metrics[key])
    return GateResult(name, value == 0, f"{key} = {value} (must be 0)")
