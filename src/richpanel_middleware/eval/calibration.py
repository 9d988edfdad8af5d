"""Threshold calibration: the lowest confidence that reaches a target precision.

Only the training split of a golden set is used, so held-out figures stay honest. A
threshold is proposed for an intent only when enough predictions support it; otherwise
the intent keeps the global value. No proposal goes below `floor` (the uncertain-routing
threshold), because below it a message goes to manual triage anyway.

NOTE: per-intent proposals rest on a few dozen examples each, so their precision is a
point estimate, not a guarantee; review them before copying them into the config.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from richpanel_middleware.domain.intents import Intent
from richpanel_middleware.eval.metrics import Prediction

GRID = tuple(round(0.30 + step * 0.01, 2) for step in range(70))  # 0.30 .. 0.99
MIN_SUPPORT = 10


@dataclass(frozen=True, slots=True)
class ThresholdProposal:
    scope: str
    threshold: float | None
    precision: float
    automation_rate: float
    support: int


def lowest_threshold(
    predictions: Sequence[Prediction],
    *,
    target_precision: float,
    min_support: int = MIN_SUPPORT,
    floor: float = 0.0,
) -> ThresholdProposal | None:
    """Return the lowest grid threshold whose accepted predictions reach the target precision.

    The automation rate is the share of `predictions` at or above the threshold. Returns
    None when no threshold keeps at least `min_support` predictions at that precision.
    """
    total = len(predictions)
    for threshold in (t for t in GRID if t >= floor):
        accepted = [p for p in predictions if p.confidence >= threshold]
        if len(accepted) < min_support:
            return None
        precision = sum(p.correct for p in accepted) / len(accepted)
        if precision >= target_precision:
            return ThresholdProposal(
                "", threshold, round(precision, 4), round(len(accepted) / total, 4), len(accepted)
            )
    return None


def propose_tier1_thresholds(
    predictions: Sequence[Prediction], *, target_precision: float, floor: float
) -> tuple[ThresholdProposal | None, dict[Intent, ThresholdProposal]]:
    """Propose a global Tier 1 threshold and per-intent overrides from training predictions."""
    eligible = [
        p for p in predictions if p.example.labelled and p.tier == 1 and not p.example.held_out
    ]
    overall = lowest_threshold(eligible, target_precision=target_precision, floor=floor)
    per_intent: dict[Intent, ThresholdProposal] = {}
    for intent in sorted({p.primary for p in eligible}, key=lambda i: i.value):
        group = [p for p in eligible if p.primary is intent]
        proposal = lowest_threshold(group, target_precision=target_precision, floor=floor)
        if proposal is not None:
            per_intent[intent] = ThresholdProposal(
                intent.value,
                proposal.threshold,
                proposal.precision,
                proposal.automation_rate,
                proposal.support,
            )
    return overall, per_intent
