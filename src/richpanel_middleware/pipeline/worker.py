"""The worker service: one queue message in, actions and a decision record out.

Steps: claim the event key -> load flags -> fetch the conversation -> loop guard ->
classify (Tier 0 rules first) -> policy -> execute with per-action idempotency ->
record the decision. Transient failures (outages, rate limits, rejected credentials)
release the message with a capped doubling delay and do not count toward dead-lettering;
permanent failures dead-letter it at once; other errors retry and count. Each outcome is
logged. If the database itself fails while settling, the message reappears after its
visibility timeout.
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from richpanel_middleware.classify.llm_classifier import usage_of_failure
from richpanel_middleware.classify.result import Classification, ModelUsage
from richpanel_middleware.classify.text import strip_quoted_history, word_count
from richpanel_middleware.classify.tier0_rules import RULES_VERSION, RuleHit, match_tier0
from richpanel_middleware.domain import tags
from richpanel_middleware.domain.decision import (
    DECISION_SCHEMA_VERSION,
    VERIFIER_SCHEMA_VERSION,
    Automation,
    Decision,
    DowngradeTier,
    ReplyAction,
    Risk,
    Routing,
    Tier2Verdict,
    TierName,
    VerifierReason,
)
from richpanel_middleware.domain.events import InboundEvent
from richpanel_middleware.domain.intents import TIER0_INTENTS, Intent, Tier
from richpanel_middleware.helpdesk.executor import ActionExecutor, WriteNotVerified
from richpanel_middleware.helpdesk.model import Ticket
from richpanel_middleware.observability.logging import correlation
from richpanel_middleware.observability.redaction import reference
from richpanel_middleware.orders.linkage import (
    CustomerContact,
    LinkedOrderSource,
    MatchMethod,
    OrderMatch,
    OrderSearch,
    find_order,
)
from richpanel_middleware.orders.reply_facts import plan_order_reply
from richpanel_middleware.orders.shipping_config import ShippingConfig
from richpanel_middleware.pipeline.errors import CredentialsError, PermanentError, RetryableError
from richpanel_middleware.pipeline.leases import LeaseKeeper
from richpanel_middleware.pipeline.ports import (
    ClaimOutcome,
    Classifier,
    Clock,
    ConversationState,
    ConversationStore,
    DecisionLog,
    EstimateClock,
    FlagSource,
    Helpdesk,
    IdempotencyStore,
    Metrics,
    OrderReplyVerifier,
    Queue,
    QueueMessage,
)
from richpanel_middleware.policy.config import Guards
from richpanel_middleware.policy.engine import (
    POLICY_VERSION,
    PolicyConfig,
    PolicyContext,
    needs_order_lookup,
    plan_actions,
)
from richpanel_middleware.policy.loop_guard import evaluate_loop_guard
from richpanel_middleware.policy.order_context import OrderContext
from richpanel_middleware.policy.plan import ActionPlan

_logger = logging.getLogger(__name__)

_FIRST_NAME = re.compile(r"^[^\W\d_][^\W\d_'\- ]{0,39}$")
# Letters that render as blank space (Hangul fillers), so a "name" of them looks empty.
_BLANK_LETTERS = frozenset("\u3164\u115f\u1160\uffa0")


class EventOutcome(StrEnum):
    COMPLETED = "completed"
    SKIPPED = "skipped"
    DUPLICATE = "duplicate"
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class OrderServices:
    """Sources of verified order replies. `search` is None when no store is configured."""

    linked: LinkedOrderSource | None
    search: OrderSearch | None
    shipping: ShippingConfig
    clock: EstimateClock


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    bot_author_id: str
    visibility_timeout_s: float = 60.0
    retry_base_delay_s: float = 1.0
    # Transient failures (outages, rate limits) retry until the queue's retention ends,
    # with the delay doubling up to this cap.
    retry_max_delay_s: float = 300.0


class Worker:
    def __init__(
        self,
        *,
        queue: Queue,
        event_keys: IdempotencyStore,
        action_keys: IdempotencyStore,
        conversations: ConversationStore,
        decisions: DecisionLog,
        flags: FlagSource,
        helpdesk: Helpdesk,
        classifier: Classifier,
        policy: PolicyConfig,
        guards: Guards,
        clock: Clock,
        options: WorkerOptions,
        metrics: Metrics | None = None,
        orders: OrderServices | None = None,
        safe_classifier: Classifier | None = None,
        order_verifier: OrderReplyVerifier | None = None,
    ) -> None:
        """Wire the worker to its ports.

        `safe_classifier` replaces a classifier that calls hosted models while safe mode is
        on, so no model is called then. `order_verifier` is a model's second opinion on
        verified order replies, and it can only deny.
        """
        self._queue = queue
        self._event_keys = event_keys
        self._conversations = conversations
        self._decisions = decisions
        self._flags = flags
        self._helpdesk = helpdesk
        self._classifier = classifier
        self._policy = policy
        self._guards = guards
        self._clock = clock
        self._options = options
        self._metrics = metrics
        self._orders = orders
        self._safe_classifier = safe_classifier
        self._order_verifier = order_verifier
        self._executor = ActionExecutor(
            helpdesk=helpdesk,
            idempotency=action_keys,
            bot_author_id=options.bot_author_id,
            lease_s=options.visibility_timeout_s,
        )

    def handle(self, message: QueueMessage) -> EventOutcome:
        """Process one received message and settle it (delete, release or dead-letter)."""
        try:
            event = InboundEvent.model_validate_json(message.body)
        except ValidationError:
            _logger.error(
                "queue message is not a valid event; dead-lettering",
                extra={"event": "invalid_event_body", "queue_message_id": message.message_id},
            )
            self._queue.dead_letter(message.receipt, reason="invalid_event_body")
            return self._count(EventOutcome.FAILED)
        with correlation(event.correlation_id):
            return self._count(self._handle_event(event, message))

    def _handle_event(self, event: InboundEvent, message: QueueMessage) -> EventOutcome:
        conversation_ref = reference(event.conversation_id)
        claim = self._event_keys.claim(event.event_key, lease_s=self._options.visibility_timeout_s)
        if claim is ClaimOutcome.COMPLETED:
            _logger.info(
                "event already completed",
                extra={"event": "event_duplicate", "conversation_ref": conversation_ref},
            )
            self._queue.delete(message.receipt)
            return EventOutcome.DUPLICATE
        if claim is ClaimOutcome.IN_PROGRESS:
            self._queue.release(
                message.receipt, delay_s=self._options.visibility_timeout_s / 4, transient=True
            )
            return EventOutcome.RETRY

        started = time.perf_counter()
        keeper = LeaseKeeper(
            queue=self._queue,
            event_keys=self._event_keys,
            receipt=message.receipt,
            event_key=event.event_key,
            timeout_s=self._options.visibility_timeout_s,
        )
        try:
            with keeper:
                record = self._process(event)
        except (CredentialsError, RetryableError) as error:
            # Outages, rate limits and rejected credentials are not the event's fault: the
            # receive is given back, so only retention can end the retries.
            delay = self._retry_delay(message.transient_failures)
            credentials = isinstance(error, CredentialsError)
            _logger.log(
                logging.ERROR if credentials else logging.WARNING,
                "vendor rejected the configured credentials; the event waits for a fix"
                if credentials
                else "event failed, will retry",
                extra={
                    "event": "credentials_rejected" if credentials else "event_retry",
                    "conversation_ref": conversation_ref,
                    "error_type": type(error).__name__,
                    "receive_count": message.receive_count,
                    "retry_in_s": round(delay, 2),
                },
            )
            self._retry_later(event, message, delay_s=delay, transient=True)
            return EventOutcome.RETRY
        except PermanentError as error:
            _logger.error(
                "event failed permanently; dead-lettering",
                extra={
                    "event": "event_failed",
                    "conversation_ref": conversation_ref,
                    "error_type": type(error).__name__,
                },
            )
            self._decisions.record(
                event_key=event.event_key,
                conversation_id=event.conversation_id,
                record={
                    "outcome": EventOutcome.FAILED.value,
                    "error_type": type(error).__name__,
                    "correlation_id": event.correlation_id,
                },
            )
            self._event_keys.complete(event.event_key, result=EventOutcome.FAILED.value)
            self._queue.dead_letter(message.receipt, reason=type(error).__name__)
            return EventOutcome.FAILED
        except WriteNotVerified as error:
            delay = self._retry_delay(message.receive_count - 1)
            _logger.warning(
                "write not visible after success; retrying (counts toward dead-lettering)",
                extra={
                    "event": "write_not_verified",
                    "conversation_ref": conversation_ref,
                    "detail": str(error),
                    "receive_count": message.receive_count,
                },
            )
            self._retry_later(event, message, delay_s=delay, transient=False)
            return EventOutcome.RETRY
        except Exception:
            delay = self._retry_delay(message.receive_count - 1)
            _logger.exception(
                "unexpected error; the event will be retried",
                extra={"event": "event_error", "conversation_ref": conversation_ref},
            )
            self._retry_later(event, message, delay_s=delay, transient=False)
            return EventOutcome.RETRY

        record["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
        self._decisions.record(
            event_key=event.event_key, conversation_id=event.conversation_id, record=record
        )
        self._event_keys.complete(event.event_key, result=str(record["outcome"]))
        self._queue.delete(message.receipt)
        _logger.info(
            "event processed",
            extra={
                "event": "event_processed",
                "conversation_ref": conversation_ref,
                "outcome": record["outcome"],
                "primary_intent": record.get("plan", {}).get("primary_intent"),
                "action": record.get("plan", {}).get("action"),
                "latency_ms": record["latency_ms"],
            },
        )
        return EventOutcome(record["outcome"])

    def _process(self, event: InboundEvent) -> dict[str, Any]:
        flags = self._flags.load()
        ticket = self._helpdesk.get_ticket(event.conversation_id)
        state = self._conversations.get(event.conversation_id)
        now = self._clock.now()
        verdict = evaluate_loop_guard(
            ticket,
            event_message_id=event.message_id,
            state=state,
            bot_author_id=self._options.bot_author_id,
            guards=self._guards,
            now=now,
        )
        record: dict[str, Any] = {
            "event_key": event.event_key,
            "conversation_ref": reference(event.conversation_id),
            "correlation_id": event.correlation_id,
            "policy_version": POLICY_VERSION,
            "rules_version": RULES_VERSION,
            "flags": flags.model_dump(),
        }
        if verdict.message is None:
            assert verdict.skip_reason is not None
            _logger.info(
                "event skipped",
                extra={"event": "event_skipped", "reason": verdict.skip_reason.value},
            )
            return {
                **record,
                "outcome": EventOutcome.SKIPPED.value,
                "skip_reason": verdict.skip_reason.value,
            }

        # The conversation's own channel decides what may be sent; the webhook body's channel
        # is sender-supplied and only logged when it disagrees.
        channel = ticket.channel
        if event.channel is not None and event.channel != channel:
            _logger.warning(
                "webhook channel differs from the conversation's; using the conversation's",
                extra={
                    "event": "channel_mismatch",
                    "webhook_channel": event.channel,
                    "ticket_channel": channel,
                },
            )
        # The classifier gets the customer's whole unanswered turn, quoted history included:
        # Tier 0 rules must see every pending message and text below a quoted block. The
        # model itself ignores quoted history.
        turn = verdict.pending or (verdict.message,)
        full_text = "\n\n".join(comment.plain_body for comment in turn)
        names = tuple(n for n in (ticket.customer_first_name, ticket.customer_last_name) if n)
        classifier = self._classifier
        if flags.safe_mode and self._safe_classifier is not None:
            classifier = self._safe_classifier
        classification, model_failed = self._classify(classifier, full_text, channel, names)
        classification = _keep_prior_escalation(classification, ticket.tags)
        context = PolicyContext(
            channel=channel,
            word_count=word_count(strip_quoted_history(full_text)),
            guard=verdict,
            flags=flags,
            profile_variables={"first_name": _safe_first_name(ticket.customer_first_name)},
            conversation_id=event.conversation_id,
        )
        if needs_order_lookup(classification, context, self._policy):
            order = self._look_up_order(
                event.conversation_id,
                ticket,
                full_text,
                classification,
                email_only=flags.order_email_only_match,
            )
            context = replace(context, order=order)
        plan = plan_actions(classification, context, self._policy)
        usage = classification.usage
        if plan.tier is Tier.VERIFIED and self._order_verifier is not None:
            model_verdict, verifier_usage, verifier_failed = self._second_opinion(
                full_text, plan, context, names
            )
            usage = usage.plus(verifier_usage)
            context = replace(context, model_verdict=model_verdict)
            if verifier_failed:
                # A failed model call routes to triage, whichever call it was.
                classification = _to_manual_triage(classification)
            plan = plan_actions(classification, context, self._policy)
            model_failed = model_failed or verifier_failed
        if model_failed:
            plan = replace(plan, tags=(*plan.tags, tags.MODEL_FAILURE))

        actions: list[dict[str, str]] = []
        if not flags.shadow_mode:
            results = self._executor.execute(
                plan,
                event_key=event.event_key,
                conversation_id=event.conversation_id,
                answered_message_id=verdict.message.comment_id,
                current_tags=ticket.tags,
            )
            actions = [{"kind": r.kind, "status": r.status.value} for r in results]
            sent = any(r.kind == "send_message" and r.status.value == "done" for r in results)
            closed = any(r.kind == "close" and r.status.value == "done" for r in results)
            if sent or closed:
                self._remember(
                    event.conversation_id,
                    state,
                    verdict.message.comment_id,
                    now,
                    sent=sent,
                    closed=closed,
                )

        return {
            **record,
            "outcome": EventOutcome.COMPLETED.value,
            "message_ref": reference(verdict.message.comment_id),
            "classifier_version": classification.classifier_version,
            "classifier_latency_ms": round(classification.latency_ms, 2),
            "llm_calls": usage.llm_calls,
            "tokens_in": usage.input_tokens,
            "tokens_out": usage.output_tokens,
            "cost_usd": round(usage.cost_usd, 6),
            "model_failure": model_failed,
            "language": classification.decision.language,
            "tier0_rules": [hit.rule_id for hit in classification.tier0_hits],
            "reply_blocks": [block.value for block in verdict.reply_blocks],
            "shadow": flags.shadow_mode,
            "plan": plan.summary(),
            "order_match": context.order.match.summary() if context.order else None,
            "order_answer": _order_answer(context.order),
            "actions": actions,
        }

    def _look_up_order(
        self,
        conversation_id: str,
        ticket: Ticket,
        text: str,
        classification: Classification,
        *,
        email_only: bool,
    ) -> OrderContext | None:
        """Link the conversation to exactly one order and work out its verified reply.

        Outages and rate limits of Richpanel propagate so the event is retried. Anything
        else that goes wrong here (an order body or store reply this code cannot use) fails
        closed: the conversation is routed with no reply and a person looks the order up.
        """
        if self._orders is None:
            return None
        try:
            return self._find_order_reply(
                self._orders, conversation_id, ticket, text, classification, email_only=email_only
            )
        except (RetryableError, CredentialsError):
            raise
        except Exception as error:
            _logger.error(
                "order lookup failed; routing without a reply",
                extra={"event": "order_lookup_error", "error_type": type(error).__name__},
            )
            return OrderContext(
                OrderMatch(MatchMethod.NONE, reason="lookup_error", lookup_failed=True)
            )

    def _find_order_reply(
        self,
        services: OrderServices,
        conversation_id: str,
        ticket: Ticket,
        text: str,
        classification: Classification,
        *,
        email_only: bool,
    ) -> OrderContext:
        match = find_order(
            conversation_id=conversation_id,
            text=strip_quoted_history(text),
            customer=CustomerContact(email=ticket.customer_email, phone=ticket.customer_phone),
            linked=services.linked,
            search=services.search,
            email_only=email_only,
            phone_region=services.shipping.store.phone_region,
        )
        if self._metrics is not None:
            self._metrics.increment(
                "rpmw_order_lookups_total",
                labels={"method": match.method.value, "failed": str(match.lookup_failed).lower()},
            )
        _logger.info(
            "order linkage finished",
            extra={
                "event": "order_linkage",
                "method": match.method.value,
                "reason": match.reason,
                "lookup_failed": match.lookup_failed,
            },
        )
        if not match.matched or match.order is None:
            return OrderContext(match)
        answer = plan_order_reply(
            match.order,
            now=services.clock.now_for(conversation_id),
            language=classification.decision.language,
            config=services.shipping,
        )
        return OrderContext(match, answer)

    def _second_opinion(
        self,
        text: str,
        plan: ActionPlan,
        context: PolicyContext,
        names: tuple[str, ...],
    ) -> tuple[Tier2Verdict, ModelUsage, bool]:
        """Ask the model verifier about a verified reply; a failure denies it (fail closed)."""
        assert self._order_verifier is not None
        order = context.order
        try:
            verdict, usage = self._order_verifier.verify(
                text,
                primary_intent=plan.primary_intent.value,
                intents_present=[i.value for i in (plan.primary_intent, *plan.secondary_intents)],
                order_match=order.match.method.value if order else "none",
                template_id=plan.template_id or "",
                customer_names=names,
            )
            return verdict, usage, False
        except Exception as error:
            _logger.error(
                "order reply verifier failed; no verified reply",
                extra={"event": "verifier_failure", "error_type": type(error).__name__},
            )
            denied = Tier2Verdict(
                schema_version=VERIFIER_SCHEMA_VERSION,
                allow_tier2=False,
                confidence=0.0,
                downgrade_to_tier=DowngradeTier.ROUTE_ONLY,
                reason_code=VerifierReason.TOO_AMBIGUOUS,
                notes="verifier failed",
            )
            return denied, usage_of_failure(error), True

    def _classify(
        self, classifier: Classifier, text: str, channel: str | None, names: tuple[str, ...]
    ) -> tuple[Classification, bool]:
        """Classify, failing closed: any classifier error becomes a triage decision with no reply."""
        try:
            return classifier.classify(text, channel=channel, customer_names=names), False
        except Exception as error:
            _logger.exception(
                "classifier failed; routing to manual triage", extra={"event": "model_failure"}
            )
            failed = fail_closed_classification(text)
            return replace(failed, usage=usage_of_failure(error)), True

    def _remember(
        self,
        conversation_id: str,
        state: ConversationState | None,
        message_id: str,
        now: datetime,
        *,
        sent: bool,
        closed: bool,
    ) -> None:
        current = state or ConversationState(conversation_id=conversation_id)
        updated = ConversationState(
            conversation_id=conversation_id,
            auto_reply_times=(*current.auto_reply_times, now) if sent else current.auto_reply_times,
            replied_message_ids=tuple(dict.fromkeys((*current.replied_message_ids, message_id)))[
                -50:
            ],
            auto_closed_at=now if closed else current.auto_closed_at,
        )
        ttl_s = self._guards.conversation_state_ttl_days * 24 * 3600
        self._conversations.put(updated, ttl_s=ttl_s)

    def _retry_later(
        self, event: InboundEvent, message: QueueMessage, *, delay_s: float, transient: bool
    ) -> None:
        self._event_keys.release(event.event_key)
        self._queue.release(message.receipt, delay_s=delay_s, transient=transient)

    def _retry_delay(self, exponent: int) -> float:
        delay = self._options.retry_base_delay_s * (2 ** min(max(0, exponent), 20))
        return float(min(self._options.retry_max_delay_s, delay))

    def _count(self, outcome: EventOutcome) -> EventOutcome:
        if self._metrics is not None:
            self._metrics.increment("rpmw_events_total", labels={"outcome": outcome.value})
        return outcome


def _order_answer(order: OrderContext | None) -> dict[str, object] | None:
    """Describe the verified reply for the decision record: no contact data, no variables."""
    if order is None or order.reply is None:
        return None
    if isinstance(order.reply, str):
        return {"no_reply_reason": str(order.reply)}
    estimate = order.reply.estimate
    return {
        "template_id": order.reply.template_id,
        "basis": order.reply.basis,
        "auto_close_eligible": order.reply.auto_close_eligible,
        "needs_human": order.reply.needs_human,
        "remaining_business_days": estimate.remaining_business_days if estimate else None,
    }


def fail_closed_classification(text: str) -> Classification:
    """Build the decision used when the classifier fails: manual triage, no reply, Tier 0 rules kept."""
    hits = match_tier0(text)
    decision = Decision(
        schema_version=DECISION_SCHEMA_VERSION,
        language="unknown",
        primary_intent=Intent.UNKNOWN_OTHER,
        secondary_intents=[],
        routing=Routing(destination_team="", confidence=0.0, needs_manual_triage=True, tags=[]),
        automation=Automation(
            tier=TierName.TIER_1_SAFE_ASSIST,
            action=ReplyAction.ROUTE_ONLY,
            template_id=None,
            confidence=0.0,
            requires_deterministic_match=False,
        ),
        risk=Risk(flags=[], force_human=True),
        clarifying_questions=[],
        notes_for_agent="classifier failed",
    )
    return Classification(decision=decision, tier0_hits=hits, classifier_version="fail_closed")


def _to_manual_triage(classification: Classification) -> Classification:
    """Return the classification with its decision marked for manual triage."""
    decision = classification.decision
    routing = decision.routing.model_copy(update={"needs_manual_triage": True})
    return replace(classification, decision=decision.model_copy(update={"routing": routing}))


def _keep_prior_escalation(
    classification: Classification, ticket_tags: tuple[str, ...]
) -> Classification:
    """Keep an escalated conversation escalated.

    A follow-up such as "ok thanks" must not move a chargeback back to a general queue or
    earn an intake reply, so the Tier 0 intent of an earlier decision counts as a rule hit.
    """
    if tags.tier_tag(Tier.ESCALATION) not in ticket_tags:
        return classification
    prior = [
        intent
        for intent in (tags.intent_from_tag(tag) for tag in ticket_tags)
        if intent is not None and intent in TIER0_INTENTS
    ]
    if not prior:
        return classification
    hits = (*classification.tier0_hits, RuleHit("prior_escalation", prior[0]))
    return replace(classification, tier0_hits=hits)


def _safe_first_name(value: str | None) -> str | None:
    """Use the profile's first name only when it looks like one word of a name, else greet generically."""
    if not value:
        return None
    normalized = unicodedata.normalize("NFC", value).strip()
    candidate = normalized.split()[0] if normalized else ""
    if not _FIRST_NAME.match(candidate) or any(ch in _BLANK_LETTERS for ch in candidate):
        return None
    return candidate
