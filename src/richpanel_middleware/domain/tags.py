"""The tag scheme the middleware writes (kebab-case, `mw-` prefix, one `route-*` per decision)."""

from __future__ import annotations

from richpanel_middleware.domain.intents import Intent, Tier
from richpanel_middleware.domain.teams import team_slug

PROCESSED = "mw-processed"
ROUTING_APPLIED = "mw-routing-applied"
AUTO_REPLIED = "mw-auto-replied"
AUTO_CLOSED = "mw-auto-closed"
UNCERTAIN = "mw-uncertain"
NEEDS_MANUAL_TRIAGE = "mw-needs-manual-triage"
MODEL_FAILURE = "mw-model-failure"
ORDER_LOOKUP_NEEDED = "mw-order-lookup-needed"
ESCALATED_HUMAN = "mw-escalated-human"
REOPENED_AFTER_AUTO_CLOSE = "mw-reopened-after-auto-close"
SHADOW = "mw-shadow"

FEEDBACK_TAGS = (
    "mw-feedback-wrong-intent",
    "mw-feedback-wrong-team",
    "mw-feedback-bad-reply",
    "mw-feedback-good",
)

ROUTE_PREFIX = "route-"


def route_tag(team: str) -> str:
    return f"{ROUTE_PREFIX}{team_slug(team)}"


def intent_tag(intent: Intent) -> str:
    return f"mw-intent-{intent.value.replace('_', '-')}"


def intent_from_tag(tag: str) -> Intent | None:
    """Return the intent an `mw-intent-*` tag names, or None for any other tag."""
    prefix = "mw-intent-"
    if not tag.startswith(prefix):
        return None
    value = tag[len(prefix) :].replace("-", "_")
    return Intent(value) if value in Intent._value2member_map_ else None


# Tags that describe the current decision; a newer decision replaces them.
DECISION_TAG_PREFIXES = (ROUTE_PREFIX, "mw-intent-", "mw-secondary-", "mw-tier-")


def secondary_tag(intent: Intent) -> str:
    return f"mw-secondary-{intent.value.replace('_', '-')}"


def tier_tag(tier: Tier) -> str:
    return f"mw-tier-{int(tier)}"


def template_tag(template_id: str) -> str:
    return f"mw-template-{template_id.replace('_', '-')}"


def needs_team_tag(team: str) -> str:
    return f"mw-needs-{team_slug(team)}"
