"""The action plan policy produces, and the gate results that explain it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from richpanel_middleware.domain.decision import ReplyAction
from richpanel_middleware.domain.intents import Intent, Tier
from richpanel_middleware.templates.renderer import RenderedReply


@dataclass(frozen=True, slots=True)
class Gate:
    name: str
    passed: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ActionPlan:
    """Everything the executor may do for one event, in the order it does it.

    Only policy builds plans. `close` is true only when the auto-close rule held.
    """

    primary_intent: Intent
    secondary_intents: tuple[Intent, ...]
    destination_team: str
    routing_confidence: float
    tier: Tier
    action: ReplyAction
    template_id: str | None
    tags: tuple[str, ...]
    reply: RenderedReply | None = None
    close: bool = False
    assignee_id: str | None = None
    internal_note: str | None = None
    gates: tuple[Gate, ...] = field(default=())

    def summary(self) -> dict[str, Any]:
        """Describe the plan without customer text, for the decision record."""
        return {
            "primary_intent": self.primary_intent.value,
            "secondary_intents": [intent.value for intent in self.secondary_intents],
            "destination_team": self.destination_team,
            "routing_confidence": round(self.routing_confidence, 4),
            "tier": int(self.tier),
            "action": self.action.value,
            "template_id": self.template_id,
            "tags": list(self.tags),
            "close": self.close,
            "assignee_id": self.assignee_id,
            "gates": [
                {"name": gate.name, "passed": gate.passed, "reason": gate.reason}
                for gate in self.gates
            ],
        }
