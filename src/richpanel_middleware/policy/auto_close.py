"""The auto-close rule, checked in this one place for every reply path.

A conversation may be closed only by a Tier 2 reply whose template is flagged
`auto_close`, only for an order inside its delivery window, only when every gate passed,
and only when the copy invites the customer to reply (so that a reply reopens the
conversation). The executor closes only what a plan built here allows.
"""

from __future__ import annotations

from collections.abc import Sequence

from richpanel_middleware.domain.intents import Tier
from richpanel_middleware.policy.plan import Gate
from richpanel_middleware.templates.catalog import TemplateEntry
from richpanel_middleware.templates.renderer import RenderedReply

# Phrases whose presence shows that the copy tells the customer they can reply.
REPLY_INVITATIONS = ("reply", "respond", "responda", "responder", "conteste")


def auto_close_allowed(
    *,
    tier: Tier,
    template: TemplateEntry | None,
    reply: RenderedReply | None,
    gates: Sequence[Gate],
    order_in_window: bool,
) -> bool:
    if not order_in_window:
        return False
    if tier is not Tier.VERIFIED or template is None or reply is None:
        return False
    if reply.template_id != template.template_id:
        return False
    if not template.auto_close or template.tier_level is not Tier.VERIFIED:
        return False
    if not gates or not all(gate.passed for gate in gates):
        return False
    body = reply.body.lower()
    return any(phrase in body for phrase in REPLY_INVITATIONS)
