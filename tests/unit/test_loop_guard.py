"""Loop guard: which message to act on and whether a reply may go out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from richpanel_middleware.helpdesk.model import Comment, Ticket
from richpanel_middleware.pipeline.ports import ConversationState
from richpanel_middleware.policy.config import Guards
from richpanel_middleware.policy.loop_guard import (
    GuardVerdict,
    ReplyBlock,
    SkipReason,
    evaluate_loop_guard,
)

BOT = "mw-bot"
AGENT = "agent-7"
CUSTOMER = "customer-1"
NOW = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)
GUARDS = Guards(
    version=1, max_auto_replies_per_24h=3, reopen_window_days=7, conversation_state_ttl_days=30
)


def at(minutes_ago: float) -> datetime:
    return NOW - timedelta(minutes=minutes_ago)


def customer(comment_id: str, minutes_ago: float) -> Comment:
    return Comment(comment_id, CUSTOMER, "customer text", at(minutes_ago), is_operator=False)


def bot(comment_id: str, minutes_ago: float) -> Comment:
    return Comment(comment_id, BOT, "automatic reply", at(minutes_ago), is_operator=True)


def agent(comment_id: str, minutes_ago: float) -> Comment:
    return Comment(comment_id, AGENT, "agent reply", at(minutes_ago), is_operator=True)


def ticket(*comments: Comment, tags: tuple[str, ...] = ()) -> Ticket:
    return Ticket(
        ticket_id="t-1",
        status="OPEN",
        channel="email",
        tags=tags,
        assignee_id=None,
        comments=comments,
    )


def evaluate(
    conversation: Ticket,
    *,
    event_message_id: str | None = None,
    state: ConversationState | None = None,
) -> GuardVerdict:
    return evaluate_loop_guard(
        conversation,
        event_message_id=event_message_id,
        state=state,
        bot_author_id=BOT,
        guards=GUARDS,
        now=NOW,
    )


# --- skips ---------------------------------------------------------------------------------------


def test_no_customer_message_skips() -> None:
    verdict = evaluate(ticket(agent("a1", 30), bot("b1", 20)))

    assert verdict.message is None
    assert verdict.skip_reason is SkipReason.NO_CUSTOMER_MESSAGE
    assert verdict.reply_allowed is False


def test_empty_conversation_skips() -> None:
    verdict = evaluate(ticket())

    assert verdict.skip_reason is SkipReason.NO_CUSTOMER_MESSAGE


def test_event_naming_operator_comment_skips() -> None:
    conversation = ticket(customer("c1", 30), agent("a1", 20))

    verdict = evaluate(conversation, event_message_id="a1")

    assert verdict.message is None
    assert verdict.skip_reason is SkipReason.OPERATOR_OR_BOT_MESSAGE


def test_event_naming_bot_comment_skips() -> None:
    conversation = ticket(customer("c1", 30), bot("b1", 20))

    verdict = evaluate(conversation, event_message_id="b1")

    assert verdict.skip_reason is SkipReason.OPERATOR_OR_BOT_MESSAGE


def test_bot_comment_without_operator_flag_skips() -> None:
    # A bot message that Richpanel marks as a customer message must still get no reply.
    marked_as_customer = Comment("b1", BOT, "automatic reply", at(20), is_operator=False)
    conversation = ticket(customer("c1", 30), marked_as_customer)

    verdict = evaluate(conversation, event_message_id="b1")

    assert verdict.skip_reason is SkipReason.OPERATOR_OR_BOT_MESSAGE


def test_older_customer_message_is_superseded() -> None:
    conversation = ticket(customer("c1", 30), customer("c2", 10))

    verdict = evaluate(conversation, event_message_id="c1")

    assert verdict.message is None
    assert verdict.skip_reason is SkipReason.SUPERSEDED


def test_newest_customer_message_is_chosen() -> None:
    conversation = ticket(customer("c2", 10), customer("c1", 30))

    verdict = evaluate(conversation, event_message_id="c2")

    assert verdict.message is not None
    assert verdict.message.comment_id == "c2"
    assert verdict.skip_reason is None
    assert verdict.reply_allowed is True


def test_unknown_event_message_uses_newest() -> None:
    conversation = ticket(customer("c1", 30), customer("c2", 10))

    verdict = evaluate(conversation, event_message_id="not-in-ticket")

    assert verdict.message is not None
    assert verdict.message.comment_id == "c2"


def test_human_agent_reply_skips() -> None:
    conversation = ticket(customer("c1", 30), agent("a1", 10))

    verdict = evaluate(conversation, event_message_id="c1")

    assert verdict.message is None
    assert verdict.skip_reason is SkipReason.HUMAN_REPLIED


def test_agent_reply_before_customer_allows() -> None:
    conversation = ticket(agent("a1", 60), customer("c1", 10))

    verdict = evaluate(conversation, event_message_id="c1")

    assert verdict.skip_reason is None
    assert verdict.reply_allowed is True


def test_missing_operator_flag_never_customer() -> None:
    unflagged = Comment("u1", CUSTOMER, "text", at(10), is_operator=None)

    verdict = evaluate(ticket(unflagged))

    assert verdict.message is None
    assert verdict.skip_reason is SkipReason.NO_CUSTOMER_MESSAGE


def test_missing_operator_flag_not_chosen_as_newest() -> None:
    unflagged = Comment("u1", CUSTOMER, "text", at(10), is_operator=None)
    conversation = ticket(customer("c1", 30), unflagged)

    verdict = evaluate(conversation, event_message_id="u1")

    assert verdict.message is None
    assert verdict.skip_reason is SkipReason.OPERATOR_OR_BOT_MESSAGE


# --- reply blocks ------------------------------------------------------------------------------


def test_bot_reply_after_message_blocks() -> None:
    conversation = ticket(customer("c1", 30), bot("b1", 29))

    verdict = evaluate(conversation, event_message_id="c1")

    assert verdict.message is not None
    assert verdict.message.comment_id == "c1"
    assert verdict.reply_blocks == (ReplyBlock.ALREADY_REPLIED,)
    assert verdict.reply_allowed is False


def test_remembered_reply_blocks() -> None:
    state = ConversationState("t-1", auto_reply_times=(at(29),), replied_message_ids=("c1",))

    verdict = evaluate(ticket(customer("c1", 30)), event_message_id="c1", state=state)

    assert ReplyBlock.ALREADY_REPLIED in verdict.reply_blocks
    assert verdict.message is not None


def test_follow_up_after_bot_reply_escalates() -> None:
    conversation = ticket(customer("c1", 60), bot("b1", 59), customer("c2", 10))

    verdict = evaluate(conversation, event_message_id="c2")

    assert verdict.message is not None
    assert verdict.message.comment_id == "c2"
    assert verdict.reply_blocks == (ReplyBlock.FOLLOW_UP_AFTER_AUTO_REPLY,)
    assert "mw-escalated-human" in verdict.extra_tags


def test_three_bot_replies_reach_cap() -> None:
    conversation = ticket(
        customer("c1", 600),
        bot("b1", 599),
        customer("c2", 400),
        bot("b2", 399),
        customer("c3", 200),
        bot("b3", 199),
        customer("c4", 10),
    )

    verdict = evaluate(conversation, event_message_id="c4")

    assert ReplyBlock.REPLY_CAP in verdict.reply_blocks


def test_two_bot_replies_stay_under_cap() -> None:
    conversation = ticket(
        customer("c1", 600),
        bot("b1", 599),
        customer("c2", 400),
        bot("b2", 399),
        customer("c3", 10),
    )

    verdict = evaluate(conversation, event_message_id="c3")

    assert ReplyBlock.REPLY_CAP not in verdict.reply_blocks


def test_old_bot_replies_leave_cap() -> None:
    day = 24 * 60
    conversation = ticket(
        customer("c1", day + 300),
        bot("b1", day + 299),
        customer("c2", day + 200),
        bot("b2", day + 199),
        customer("c3", 200),
        bot("b3", 199),
        customer("c4", 10),
    )

    verdict = evaluate(conversation, event_message_id="c4")

    assert ReplyBlock.REPLY_CAP not in verdict.reply_blocks


def test_remembered_replies_reach_cap() -> None:
    state = ConversationState("t-1", auto_reply_times=(at(300), at(200), at(100)))

    verdict = evaluate(ticket(customer("c1", 10)), event_message_id="c1", state=state)

    assert verdict.reply_blocks == (ReplyBlock.REPLY_CAP,)


def test_recent_auto_close_marks_reopen() -> None:
    state = ConversationState("t-1", auto_closed_at=NOW - timedelta(days=2))

    verdict = evaluate(ticket(customer("c1", 10)), event_message_id="c1", state=state)

    assert ReplyBlock.REOPENED_AFTER_AUTO_CLOSE in verdict.reply_blocks
    assert "mw-reopened-after-auto-close" in verdict.extra_tags
    assert verdict.message is not None


def test_old_auto_close_is_not_reopen() -> None:
    state = ConversationState("t-1", auto_closed_at=NOW - timedelta(days=10))
    conversation = ticket(customer("c1", 10), tags=("mw-auto-closed",))

    verdict = evaluate(conversation, event_message_id="c1", state=state)

    assert ReplyBlock.REOPENED_AFTER_AUTO_CLOSE not in verdict.reply_blocks
    assert "mw-reopened-after-auto-close" not in verdict.extra_tags
    assert verdict.reply_allowed is True


def test_close_tag_without_state_marks_reopen() -> None:
    conversation = ticket(customer("c1", 10), tags=("mw-auto-closed",))

    verdict = evaluate(conversation, event_message_id="c1")

    assert ReplyBlock.REOPENED_AFTER_AUTO_CLOSE in verdict.reply_blocks


def test_close_tag_without_state_dates_close_by_bot_reply() -> None:
    ten_days = 10 * 24 * 60
    old = ticket(
        customer("c1", ten_days + 5),
        bot("b1", ten_days),
        customer("c2", 10),
        tags=("mw-auto-closed",),
    )
    recent = ticket(
        customer("c1", 2 * 24 * 60 + 5),
        bot("b1", 2 * 24 * 60),
        customer("c2", 10),
        tags=("mw-auto-closed",),
    )

    old_verdict = evaluate(old, event_message_id="c2")
    recent_verdict = evaluate(recent, event_message_id="c2")

    assert ReplyBlock.REOPENED_AFTER_AUTO_CLOSE not in old_verdict.reply_blocks
    assert ReplyBlock.REOPENED_AFTER_AUTO_CLOSE in recent_verdict.reply_blocks
    assert "mw-escalated-human" in recent_verdict.extra_tags


def test_same_input_same_verdict() -> None:
    conversation = ticket(customer("c1", 60), bot("b1", 59), customer("c2", 10))

    first = evaluate(conversation, event_message_id="c2")
    second = evaluate(conversation, event_message_id="c2")

    assert first == second
