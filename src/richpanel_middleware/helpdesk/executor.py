"""Carry out an action plan against the helpdesk, each action under its own idempotency key.

Order: routing tags, assignment, reply, reply tags, close (after a re-read shows the
customer has not written again), the auto-closed tag, internal note, then one
verification read. A close happens only with a reply in the same plan. A retried event
skips every non-repeatable action (reply, close, note) whose key is already completed,
so it never repeats a reply or a close. Tag and assignment writes are idempotent in
Richpanel and run again on a retry, which repairs a write that returned 2xx without
applying. The reply key is completed as soon as the send
returns 2xx, before verification: an unverified reply is logged, never re-sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from richpanel_middleware.domain import tags as tag_names
from richpanel_middleware.pipeline.errors import PermanentError, PipelineError, RetryableError
from richpanel_middleware.pipeline.ports import ClaimOutcome, Helpdesk, IdempotencyStore
from richpanel_middleware.policy.plan import ActionPlan

_logger = logging.getLogger(__name__)

_REPLY_TAGS = frozenset({tag_names.AUTO_REPLIED})


class ActionStatus(StrEnum):
    DONE = "done"
    ALREADY_DONE = "already_done"
    WITHHELD = "withheld_conversation_changed"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ActionResult:
    kind: str
    status: ActionStatus


class WriteNotVerified(PipelineError):
    """A write returned success but the re-read conversation does not show it.

    Not a transient error: the retry counts toward dead-lettering, so a write that never
    applies cannot hold up the conversation's queue until retention ends.
    """


class ActionExecutor:
    def __init__(
        self,
        *,
        helpdesk: Helpdesk,
        idempotency: IdempotencyStore,
        bot_author_id: str,
        lease_s: float = 60.0,
    ) -> None:
        self._helpdesk = helpdesk
        self._idempotency = idempotency
        self._bot_author_id = bot_author_id
        self._lease_s = lease_s

    def execute(
        self,
        plan: ActionPlan,
        *,
        event_key: str,
        conversation_id: str,
        answered_message_id: str,
        current_tags: Sequence[str] = (),
    ) -> list[ActionResult]:
        reply_tags = [t for t in plan.tags if t in _REPLY_TAGS or t.startswith("mw-template-")]
        routing_tags = [t for t in plan.tags if t not in reply_tags and t != tag_names.AUTO_CLOSED]
        results: list[ActionResult] = []

        # One decision's tags at a time: a newer decision replaces the route, intent and tier
        # tags of an older one, so a conversation carries exactly one route tag.
        stale = [
            t
            for t in current_tags
            if t.startswith(tag_names.DECISION_TAG_PREFIXES) and t not in routing_tags
        ]
        if stale:
            results.append(
                self._run(
                    event_key,
                    "remove_stale_decision_tags",
                    repeatable=True,
                    action=lambda: self._helpdesk.remove_tags(conversation_id, stale),
                )
            )

        results.append(
            self._run(
                event_key,
                "add_tags",
                repeatable=True,
                action=lambda: self._helpdesk.add_tags(conversation_id, routing_tags),
            )
        )
        if plan.assignee_id:
            assignee = plan.assignee_id
            results.append(
                self._run(
                    event_key,
                    "assign",
                    repeatable=True,
                    action=lambda: self._helpdesk.assign(conversation_id, assignee_id=assignee),
                )
            )
        if plan.reply is not None and not self._safe_to_reply(
            conversation_id, answered_message_id, routing_tags
        ):
            # A newer customer message (or a human reply) arrived while this event was being
            # handled. Its own event decides; replying now could reply to the wrong message.
            _logger.info("reply withheld: conversation changed", extra={"event": "reply_withheld"})
            plan = replace(plan, reply=None, close=False)
            results.append(ActionResult("send_message", ActionStatus.WITHHELD))
        if plan.reply is not None:
            body = plan.reply.body
            results.append(
                self._run(
                    event_key,
                    "send_message",
                    action=lambda: self._helpdesk.send_message(
                        conversation_id, body=body, author_id=self._bot_author_id
                    ),
                )
            )
            if reply_tags:
                results.append(
                    self._run(
                        event_key,
                        "add_reply_tags",
                        repeatable=True,
                        action=lambda: self._helpdesk.add_tags(conversation_id, reply_tags),
                    )
                )
        if plan.close and plan.reply is not None:
            results.extend(self._close(plan, event_key, conversation_id, answered_message_id))
        if plan.internal_note:
            note = plan.internal_note
            results.append(
                self._run(
                    event_key,
                    "internal_note",
                    action=lambda: self._helpdesk.add_internal_note(conversation_id, body=note),
                )
            )

        self._verify(plan, conversation_id, routing_tags, answered_message_id)
        return results

    def _close(
        self, plan: ActionPlan, event_key: str, conversation_id: str, answered_message_id: str
    ) -> list[ActionResult]:
        """Close after the reply, then tag the close once Richpanel shows it.

        The conversation is re-read first: a customer who wrote again while the reply went
        out must find it open. A close that Richpanel accepts but does not apply leaves
        the conversation open, which is the safe side, and is logged.
        """
        if not self._safe_to_reply(conversation_id, answered_message_id, []):
            _logger.info("close withheld: conversation changed", extra={"event": "close_withheld"})
            return [ActionResult("close", ActionStatus.WITHHELD)]
        try:
            closed = self._run(
                event_key, "close", action=lambda: self._helpdesk.close_ticket(conversation_id)
            )
        except PermanentError as error:
            _logger.error(
                "close not applied; the conversation stays open",
                extra={"event": "close_not_applied", "error_type": type(error).__name__},
            )
            return [ActionResult("close", ActionStatus.FAILED)]
        tagged = self._run(
            event_key,
            "add_close_tag",
            repeatable=True,
            action=lambda: self._helpdesk.add_tags(conversation_id, [tag_names.AUTO_CLOSED]),
        )
        return [closed, tagged]

    def _run(
        self, event_key: str, kind: str, *, action: Callable[[], None], repeatable: bool = False
    ) -> ActionResult:
        key = f"{event_key}:{kind}"
        claim = self._idempotency.claim(key, lease_s=self._lease_s)
        if claim is ClaimOutcome.IN_PROGRESS:
            raise RetryableError(f"action {kind} is in progress in another worker")
        if claim is ClaimOutcome.COMPLETED:
            if not repeatable:
                return ActionResult(kind, ActionStatus.ALREADY_DONE)
            action()
            return ActionResult(kind, ActionStatus.ALREADY_DONE)
        try:
            action()
        except BaseException:
            self._idempotency.release(key)
            raise
        self._idempotency.complete(key)
        return ActionResult(kind, ActionStatus.DONE)

    def _safe_to_reply(
        self, conversation_id: str, answered_message_id: str, routing_tags: list[str]
    ) -> bool:
        """Re-read the conversation just before a reply.

        The answered message must still be the newest customer message with no one else
        writing after it. The routing tags must be visible too: a reply promises that a
        teammate follows up, so it never goes out before the conversation is routed. Missing
        tags raise `WriteNotVerified`, and the retry writes them again.
        """
        ticket = self._helpdesk.get_ticket(conversation_id)
        missing = [t for t in routing_tags if t not in ticket.tags]
        if missing:
            raise WriteNotVerified(f"{len(missing)} routing tags missing before the reply")
        comments = sorted(ticket.comments, key=lambda comment: comment.created_at)
        position = next(
            (i for i, c in enumerate(comments) if c.comment_id == answered_message_id), None
        )
        if position is None:
            return False
        return all(c.author_id == self._bot_author_id for c in comments[position + 1 :])

    def _verify(
        self,
        plan: ActionPlan,
        conversation_id: str,
        routing_tags: list[str],
        answered_message_id: str,
    ) -> None:
        """Re-read the conversation: a 2xx from Richpanel is not proof that a write applied."""
        ticket = self._helpdesk.get_ticket(conversation_id)
        missing = [t for t in routing_tags if t not in ticket.tags]
        if missing:
            raise WriteNotVerified(f"{len(missing)} routing tags missing after add-tags")
        answered = next((c for c in ticket.comments if c.comment_id == answered_message_id), None)
        reply_seen = answered is not None and any(
            c.author_id == self._bot_author_id and c.created_at >= answered.created_at
            for c in ticket.comments
        )
        if plan.reply is not None and not reply_seen:
            # The send key is already completed, so a retry will not send again.
            _logger.error("reply not visible after send", extra={"event": "reply_not_verified"})
