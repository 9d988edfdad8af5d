"""Loop and duplicate guards: decide whether an event may be acted on, and whether a reply may go out.

The guard looks only at the conversation as Richpanel returns it plus the middleware's
own memory of it, so a retried or duplicated event reaches the same verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from richpanel_middleware.domain import tags
from richpanel_middleware.helpdesk.model import Comment, Ticket
from richpanel_middleware.pipeline.ports import ConversationState
from richpanel_middleware.policy.config import Guards


class SkipReason(StrEnum):
    NO_CUSTOMER_MESSAGE = "no_customer_message"
    OPERATOR_OR_BOT_MESSAGE = "operator_or_bot_message"
    SUPERSEDED = "superseded_by_newer_customer_message"
    HUMAN_REPLIED = "human_agent_already_replied"


class ReplyBlock(StrEnum):
    ALREADY_REPLIED = "already_auto_replied_to_this_message"
    FOLLOW_UP_AFTER_AUTO_REPLY = "follow_up_after_auto_reply"
    REOPENED_AFTER_AUTO_CLOSE = "reopened_after_auto_close"
    REPLY_CAP = "auto_reply_cap_reached"


@dataclass(frozen=True, slots=True)
class GuardVerdict:
    """`message` is the customer message to classify; None means skip the event entirely."""

    message: Comment | None
    skip_reason: SkipReason | None = None
    reply_blocks: tuple[ReplyBlock, ...] = ()
    extra_tags: tuple[str, ...] = field(default=())
    pending: tuple[Comment, ...] = field(default=())
    """The customer's unanswered turn, oldest first, ending with `message`."""

    @property
    def reply_allowed(self) -> bool:
        return self.message is not None and not self.reply_blocks


def evaluate_loop_guard(
    ticket: Ticket,
    *,
    event_message_id: str | None,
    state: ConversationState | None,
    bot_author_id: str,
    guards: Guards,
    now: datetime,
) -> GuardVerdict:
    comments = sorted(ticket.comments, key=lambda comment: comment.created_at)
    customer = [c for c in comments if c.is_customer and c.author_id != bot_author_id]
    if not customer:
        return GuardVerdict(None, SkipReason.NO_CUSTOMER_MESSAGE)
    newest = customer[-1]

    if event_message_id is not None:
        named = next((c for c in comments if c.comment_id == event_message_id), None)
        if named is not None and not (named.is_customer and named.author_id != bot_author_id):
            return GuardVerdict(None, SkipReason.OPERATOR_OR_BOT_MESSAGE)
        if named is not None and named.comment_id != newest.comment_id:
            return GuardVerdict(None, SkipReason.SUPERSEDED)

    after = [c for c in comments if c.created_at > newest.created_at and not c.is_customer]
    if any(c.author_id != bot_author_id for c in after):
        return GuardVerdict(None, SkipReason.HUMAN_REPLIED)

    blocks: list[ReplyBlock] = []
    extra: list[str] = []
    bot_replies = [c for c in comments if c.author_id == bot_author_id]
    replied_ids = state.replied_message_ids if state else ()
    if newest.comment_id in replied_ids or any(c in after for c in bot_replies):
        blocks.append(ReplyBlock.ALREADY_REPLIED)
    elif any(c.created_at < newest.created_at for c in bot_replies):
        blocks.append(ReplyBlock.FOLLOW_UP_AFTER_AUTO_REPLY)
        extra.append(tags.ESCALATED_HUMAN)

    closed_at = state.auto_closed_at if state else None
    if closed_at is None and tags.AUTO_CLOSED in ticket.tags:
        # No remembered close time (the state expired): the bot's last reply before this
        # message stands in for it, since the close follows that reply. Without one, the
        # close counts as recent (fail safe).
        earlier = [c.created_at for c in bot_replies if c.created_at < newest.created_at]
        closed_at = max(earlier) if earlier else now
    reopen_window = timedelta(days=guards.reopen_window_days)
    if closed_at is not None and now - closed_at <= reopen_window:
        blocks.append(ReplyBlock.REOPENED_AFTER_AUTO_CLOSE)
        extra += [tags.REOPENED_AFTER_AUTO_CLOSE, tags.ESCALATED_HUMAN]

    day_ago = now - timedelta(hours=24)
    # The ticket and the state record the same replies, so take the larger count, not the sum.
    replies_seen = sum(1 for c in bot_replies if c.created_at >= day_ago)
    replies_remembered = sum(1 for t in (state.auto_reply_times if state else ()) if t >= day_ago)
    if max(replies_seen, replies_remembered) >= guards.max_auto_replies_per_24h:
        blocks.append(ReplyBlock.REPLY_CAP)

    return GuardVerdict(
        newest,
        None,
        tuple(blocks),
        tuple(dict.fromkeys(extra)),
        _pending_turn(comments, newest, bot_author_id),
    )


# A bound for pathological conversations; Tier 0 rules read every pending message up to it.
MAX_PENDING_MESSAGES = 200


def _pending_turn(
    comments: list[Comment], newest: Comment, bot_author_id: str
) -> tuple[Comment, ...]:
    """Customer messages since the last reply by an agent or the bot, newest last.

    A customer who writes twice before anyone answers sends one turn: a chargeback in the
    first message must still escalate when the second one is the newest. Internal notes
    (no `isOperator` flag) are not replies.
    """
    turn: list[Comment] = []
    for comment in reversed(comments[: comments.index(newest) + 1]):
        if comment.is_operator is True or comment.author_id == bot_author_id:
            break
        if comment.is_customer:
            turn.append(comment)
        if len(turn) == MAX_PENDING_MESSAGES:
            break
    return tuple(reversed(turn))
