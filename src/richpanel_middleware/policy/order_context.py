"""What the worker learned about the conversation's order, as policy sees it."""

from __future__ import annotations

from dataclasses import dataclass

from richpanel_middleware.orders.linkage import OrderMatch
from richpanel_middleware.orders.reply_facts import NoReplyReason, OrderReply


@dataclass(frozen=True, slots=True)
class OrderContext:
    """The linkage result and, for a matched order, the Tier 2 reply it supports.

    `reply` is None when no order matched, and a `NoReplyReason` when an order matched but
    no automatic reply fits it (a cancelled order, for example).
    """

    match: OrderMatch
    reply: OrderReply | NoReplyReason | None = None
