"""In-memory state of the Richpanel sandbox: tickets, users, tags, orders, faults and journal.

Every method takes one lock, so the HTTP app on the server thread and a test on its
own thread can use the same state. The HTTP layer validates request bodies, and the
methods here apply changes that are already known to be valid.

Timestamps on the wire follow two formats on purpose, so clients must parse both.
Tickets carry ISO 8601 strings, and comments carry epoch milliseconds.
"""

from __future__ import annotations

import copy
import math
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

JsonObject = dict[str, Any]

# Oldest entries are dropped beyond this many, so a long run does not grow without bound.
MAX_REQUEST_LOG_ENTRIES: Final = 10_000

TEAM_NAMES: Final = (
    "Chargebacks / Disputes Team",
    "Leadership Team",
    "Email Support Team",
    "Returns Admin",
    "Technical Support Team",
    "Phone Support Team",
    "TikTok Support",
    "Social Media Team",
    "Sales Team",
)
HUMAN_AGENTS: Final = (
    {"id": "agent-sam", "name": "Sam Example", "email": "sam@agents.sandbox.example"},
    {"id": "agent-kim", "name": "Kim Example", "email": "kim@agents.sandbox.example"},
)


@dataclass(frozen=True, slots=True)
class RichpanelSandboxSettings:
    """Start-up settings of the sandbox. `reset` returns the run-time config to these."""

    api_key: str
    bot_author_id: str = "mw-bot"
    rate_limit_enabled: bool = True
    rate_limit_requests: int = 50
    rate_limit_window_s: float = 30.0
    webhook_url: str | None = None
    webhook_token: str | None = None

    def __post_init__(self) -> None:
        if not self.api_key:
            raise ValueError("api_key must not be empty")
        if not self.bot_author_id:
            raise ValueError("bot_author_id must not be empty")
        if self.rate_limit_requests < 1:
            raise ValueError(
                f"rate_limit_requests must be at least 1, got {self.rate_limit_requests}"
            )
        if self.rate_limit_window_s <= 0:
            raise ValueError(
                f"rate_limit_window_s must be positive, got {self.rate_limit_window_s}"
            )


@dataclass(slots=True)
class SandboxConfig:
    """Settings that `POST /_sandbox/config` can change while the sandbox runs."""

    rate_limit_enabled: bool
    rate_limit_requests: int
    rate_limit_window_s: float
    webhook_url: str | None
    webhook_token: str | None


class CommentKind(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    BOT = "bot"
    REPLY = "reply"
    """Sent through send-message, so the customer receives it."""
    INTERNAL_NOTE = "internal_note"
    """Added through `PUT /v1/tickets/{id}` with a `comment`, which does not e-mail the customer."""


@dataclass(slots=True)
class SandboxComment:
    comment_id: str
    author_id: str
    body_html: str
    plain_body: str | None
    created_at_ms: int
    channel: str
    is_operator: bool | None
    kind: CommentKind

    def to_wire(self) -> JsonObject:
        via: JsonObject = {"channel": self.channel}
        if self.is_operator is not None:
            via["isOperator"] = self.is_operator
        wire: JsonObject = {
            "id": self.comment_id,
            "author_id": self.author_id,
            "body": self.body_html,
            "created_at": self.created_at_ms,
            "via": via,
        }
        if self.plain_body is not None:
            wire["plain_body"] = self.plain_body
        return wire


@dataclass(slots=True)
class SandboxTicket:
    ticket_id: str
    conversation_no: int
    channel: str
    subject: str | None
    customer_id: str
    customer: dict[str, str]
    created_at_ms: int
    updated_at_ms: int
    status: str = "OPEN"
    state: str = "open"
    assignee_id: str | None = None
    tags: list[str] = field(default_factory=list)
    comments: list[SandboxComment] = field(default_factory=list)

    def to_wire(self) -> JsonObject:
        return {
            "id": self.ticket_id,
            "conversation_no": self.conversation_no,
            "status": self.status,
            "state": self.state,
            "subject": self.subject,
            "via": {"channel": self.channel, "source": "sandbox"},
            "tags": list(self.tags),
            "assignee_id": self.assignee_id,
            "customer_profile": {"id": self.customer_id, **self.customer},
            "comments": [comment.to_wire() for comment in self.comments],
            "created_at": _iso_from_ms(self.created_at_ms),
            "updated_at": _iso_from_ms(self.updated_at_ms),
        }

    def count(self, kind: CommentKind) -> int:
        return sum(1 for comment in self.comments if comment.kind is kind)


@dataclass(frozen=True, slots=True)
class RateDecision:
    """Outcome of counting one API request against the per-key window.

    `limit` is None when rate limiting is off. `retry_after_s` is set only on rejection.
    """

    allowed: bool
    limit: int | None
    remaining: int
    retry_after_s: int | None = None


@dataclass(slots=True)
class _FaultRule:
    """A fault that applies to the next `remaining` API calls whose path contains a text.

    `status` is the status to respond with, or None for a write that is ignored.
    `retry_after_s` is the Retry-After header to send with it, if any.
    """

    path_contains: str
    remaining: int
    status: int | None = None
    retry_after_s: int | None = None


@dataclass(frozen=True, slots=True)
class InjectedFailure:
    """A failure response that a fault rule requires, with its optional Retry-After."""

    status: int
    retry_after_s: int | None


class TicketNotFound(LookupError):
    """No ticket has the given id or conversation number."""


class TicketExists(ValueError):
    """A conversation with the requested ticket id already exists."""


class RichpanelSandboxState:
    """Thread-safe store behind the sandbox's API and admin endpoints."""

    def __init__(self, settings: RichpanelSandboxSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._reset_locked()

    def reset(self) -> None:
        """Drop every ticket, tag, order, fault and log entry, and restore the settings."""
        with self._lock:
            self._reset_locked()

    def _reset_locked(self) -> None:
        settings = self.settings
        self._config = SandboxConfig(
            rate_limit_enabled=settings.rate_limit_enabled,
            rate_limit_requests=settings.rate_limit_requests,
            rate_limit_window_s=settings.rate_limit_window_s,
            webhook_url=settings.webhook_url,
            webhook_token=settings.webhook_token,
        )

        self._tickets: dict[str, SandboxTicket] = {}
        self._tags: dict[str, JsonObject] = {}
        self._linked_orders: dict[str, JsonObject] = {}
        self._orders: dict[tuple[str, str], JsonObject] = {}

        self._journal: list[JsonObject] = []
        self._requests: deque[JsonObject] = deque(maxlen=MAX_REQUEST_LOG_ENTRIES)

        self._request_times: deque[float] = deque()
        self._storm_until = float("-inf")
        self._latency_s = 0.0
        self._failure_rules: list[_FaultRule] = []
        self._ignore_rules: list[_FaultRule] = []

        self._conversation_counter = 0
        self._comment_counter = 0
        self._tag_counter = 0
        self._last_timestamp_ms = 0

        self._users: list[JsonObject] = [
            {
                "id": settings.bot_author_id,
                "name": "Middleware Bot",
                "email": "bot@agents.sandbox.example",
                "role": "agent",
            },
            *({**agent, "role": "agent"} for agent in HUMAN_AGENTS),
        ]
        self._teams: list[JsonObject] = [
            {"id": f"team-{index}", "name": name} for index, name in enumerate(TEAM_NAMES, 1)
        ]

    # Configuration and faults

    def config(self) -> SandboxConfig:
        with self._lock:
            return copy.copy(self._config)

    def update_config(self, changes: JsonObject) -> SandboxConfig:
        """Apply already validated changes to the run-time config and return a copy."""
        with self._lock:
            for name, value in changes.items():
                setattr(self._config, name, value)
            self._request_times.clear()
            return copy.copy(self._config)

    def start_rate_limit_storm(self, duration_s: float) -> None:
        """Respond to every API call with 429 for `duration_s` seconds from now."""
        with self._lock:
            self._storm_until = time.monotonic() + duration_s

    def storm_active(self) -> bool:
        with self._lock:
            return time.monotonic() < self._storm_until

    def set_latency(self, latency_s: float) -> None:
        with self._lock:
            self._latency_s = latency_s

    def latency_s(self) -> float:
        with self._lock:
            return self._latency_s

    def add_failure_rule(
        self, *, path_contains: str, status: int, count: int, retry_after_s: int | None = None
    ) -> None:
        """Respond with `status` to the next `count` API calls whose path contains the text."""
        with self._lock:
            rule = _FaultRule(path_contains, count, status, retry_after_s)
            self._failure_rules.append(rule)

    def take_failure(self, path: str) -> InjectedFailure | None:
        """Consume one use of a matching failure rule and return its failure, or None."""
        with self._lock:
            rule = _take_rule(self._failure_rules, path)
            if rule is None or rule.status is None:
                return None
            return InjectedFailure(rule.status, rule.retry_after_s)

    def add_ignore_rule(self, *, path_contains: str, count: int) -> None:
        """Respond to the next `count` matching writes with 200 and apply nothing."""
        with self._lock:
            self._ignore_rules.append(_FaultRule(path_contains, count))

    def take_ignore(self, path: str) -> bool:
        """Consume one use of a matching ignore rule and return whether there was one."""
        with self._lock:
            return _take_rule(self._ignore_rules, path) is not None

    def admit_request(self) -> RateDecision:
        """Count one API request against the sliding window, unless the window is full."""
        with self._lock:
            config = self._config
            if not config.rate_limit_enabled:
                return RateDecision(allowed=True, limit=None, remaining=0)

            now = time.monotonic()
            limit = config.rate_limit_requests
            window_s = config.rate_limit_window_s
            while self._request_times and self._request_times[0] <= now - window_s:
                self._request_times.popleft()
            if len(self._request_times) >= limit:
                # Whole seconds until the oldest request leaves the window, at least 1.
                wait_s = self._request_times[0] + window_s - now
                retry_after_s = max(1, math.ceil(wait_s))
                return RateDecision(False, limit, 0, retry_after_s)
            self._request_times.append(now)
            return RateDecision(True, limit, limit - len(self._request_times))

    def rate_limit_status(self) -> tuple[int | None, int]:
        """Return (limit, remaining requests) without counting one. The limit is None when off."""
        with self._lock:
            config = self._config
            if not config.rate_limit_enabled:
                return None, 0
            cutoff = time.monotonic() - config.rate_limit_window_s
            in_window = sum(1 for sent_at in self._request_times if sent_at > cutoff)
            return config.rate_limit_requests, max(0, config.rate_limit_requests - in_window)

    # Logs

    def record_request(
        self, *, method: str, raw_path: str, endpoint: str | None, status: int
    ) -> None:
        with self._lock:
            self._requests.append(
                {
                    "method": method,
                    "raw_path": raw_path,
                    "endpoint": endpoint,
                    "status": status,
                    "at": _now_iso(),
                }
            )

    def requests(self) -> list[JsonObject]:
        """Return every API request received, oldest first, including rejected ones."""
        with self._lock:
            return [dict(entry) for entry in self._requests]

    def record_write(
        self,
        *,
        method: str,
        endpoint: str,
        ticket_id: str | None,
        body: object,
        applied: bool,
        status: int,
        reason: str | None = None,
    ) -> None:
        with self._lock:
            self._journal.append(
                {
                    "kind": "api_write",
                    "method": method,
                    "endpoint": endpoint,
                    "ticket_id": ticket_id,
                    "body": copy.deepcopy(body),
                    "applied": applied,
                    "status": status,
                    "reason": reason,
                    "at": _now_iso(),
                }
            )

    def record_webhook(
        self,
        *,
        ticket_id: str,
        message_id: str,
        url: str,
        status: int | None,
        error: str | None,
    ) -> None:
        with self._lock:
            self._journal.append(
                {
                    "kind": "webhook",
                    "method": "POST",
                    "endpoint": "webhook",
                    "ticket_id": ticket_id,
                    "body": {"message_id": message_id, "url": url},
                    "applied": status is not None and 200 <= status < 300,
                    "status": status,
                    "reason": error,
                    "at": _now_iso(),
                }
            )

    def journal(self) -> list[JsonObject]:
        """Return every API write and webhook delivery, oldest first."""
        with self._lock:
            return copy.deepcopy(self._journal)

    # Directory: users, teams, tags

    def users(self) -> list[JsonObject]:
        with self._lock:
            return copy.deepcopy(self._users)

    def user_exists(self, user_id: str) -> bool:
        with self._lock:
            return any(user["id"] == user_id for user in self._users)

    def teams(self) -> list[JsonObject]:
        with self._lock:
            return copy.deepcopy(self._teams)

    def tags(self) -> list[JsonObject]:
        with self._lock:
            return copy.deepcopy(list(self._tags.values()))

    def create_tag(self, name: str) -> JsonObject | None:
        """Create a tag and return it, or return None if the name exists."""
        with self._lock:
            if name in self._tags:
                return None
            return dict(self._create_tag_locked(name))

    def _create_tag_locked(self, name: str) -> JsonObject:
        self._tag_counter += 1
        tag = {"id": f"tag-{self._tag_counter}", "name": name}
        self._tags[name] = tag
        return tag

    # Orders

    def seed_order(
        self,
        *,
        app_client_id: str,
        order_id: str,
        order: JsonObject,
        conversation_id: str | None = None,
    ) -> None:
        """Store an order, and link it to a conversation when `conversation_id` is given."""
        with self._lock:
            self._orders[(app_client_id, order_id)] = copy.deepcopy(order)
            if conversation_id is not None:
                self._linked_orders[conversation_id] = {
                    "orderId": order_id,
                    "appClientId": app_client_id,
                }

    def linked_order(self, conversation_id: str) -> JsonObject:
        with self._lock:
            return dict(self._linked_orders.get(conversation_id, {}))

    def order(self, app_client_id: str, order_id: str) -> JsonObject | None:
        with self._lock:
            found = self._orders.get((app_client_id, order_id))
            return None if found is None else copy.deepcopy(found)

    # Tickets

    def create_conversation(
        self,
        *,
        ticket_id: str | None,
        channel: str,
        subject: str | None,
        customer: dict[str, str],
        body_html: str,
        plain_body: str | None,
    ) -> tuple[JsonObject, str]:
        """Create a ticket with one customer comment and return its wire form and comment id.

        Without a `ticket_id`, every other generated id looks like an e-mail
        Message-ID (``<hex+n@mail.sandbox.example>``), so clients meet ids that need
        percent-encoding. Raises TicketExists if `ticket_id` is taken.
        """
        with self._lock:
            self._conversation_counter += 1
            number = self._conversation_counter
            if ticket_id is None:
                ticket_id = _generated_ticket_id(number)
            if ticket_id in self._tickets:
                self._conversation_counter -= 1
                raise TicketExists(ticket_id)

            created_ms = self._next_timestamp_ms()
            ticket = SandboxTicket(
                ticket_id=ticket_id,
                conversation_no=number,
                channel=channel,
                subject=subject,
                customer_id=f"cust-{number}",
                customer=dict(customer),
                created_at_ms=created_ms,
                updated_at_ms=created_ms,
            )
            self._tickets[ticket_id] = ticket
            comment = self._append_comment_locked(
                ticket,
                author_id=ticket.customer_id,
                body_html=body_html,
                plain_body=plain_body,
                is_operator=False,
                kind=CommentKind.CUSTOMER,
            )
            return ticket.to_wire(), comment.comment_id

    def append_message(
        self, ticket_id: str, *, author: CommentKind, body_html: str, plain_body: str | None
    ) -> str:
        """Append a customer, agent or bot message as an admin would, and return its id.

        An agent message comes from the first human agent, and a bot message from the
        bot author. Raises TicketNotFound.
        """
        with self._lock:
            ticket = self._ticket_locked(ticket_id)
            if author is CommentKind.CUSTOMER:
                author_id = ticket.customer_id
            elif author is CommentKind.AGENT:
                author_id = str(HUMAN_AGENTS[0]["id"])
            else:
                author_id = self.settings.bot_author_id
            comment = self._append_comment_locked(
                ticket,
                author_id=author_id,
                body_html=body_html,
                plain_body=plain_body,
                is_operator=author is not CommentKind.CUSTOMER,
                kind=author,
            )
            if author is CommentKind.CUSTOMER and ticket.status == "CLOSED":
                # A customer reply reopens a closed conversation, as in Richpanel.
                ticket.status, ticket.state = "OPEN", "open"
            return comment.comment_id

    def ticket_wire(self, ticket_id: str) -> JsonObject:
        """Return the `ticket` object of ``GET /v1/tickets/{id}``. Raises TicketNotFound."""
        with self._lock:
            return self._ticket_locked(ticket_id).to_wire()

    def ticket_wire_by_number(self, conversation_no: int) -> JsonObject:
        with self._lock:
            for ticket in self._tickets.values():
                if ticket.conversation_no == conversation_no:
                    return ticket.to_wire()
            raise TicketNotFound(str(conversation_no))

    def has_ticket(self, ticket_id: str) -> bool:
        with self._lock:
            return ticket_id in self._tickets

    def ticket_count(self) -> int:
        with self._lock:
            return len(self._tickets)

    def summary(self, ticket_id: str) -> JsonObject:
        """Return the ticket with what tests check: replies and their text, notes, closed, tags."""
        with self._lock:
            ticket = self._ticket_locked(ticket_id)
            return {
                "ticket": ticket.to_wire(),
                "replies": ticket.count(CommentKind.REPLY),
                "reply_texts": [
                    c.body_html for c in ticket.comments if c.kind is CommentKind.REPLY
                ],
                "internal_notes": ticket.count(CommentKind.INTERNAL_NOTE),
                "closed": ticket.status == "CLOSED",
                "tags": list(ticket.tags),
            }

    def newest_customer_comment(self, ticket_id: str) -> tuple[str, str] | None:
        """Return (comment id, channel) of the newest customer comment, or None."""
        with self._lock:
            ticket = self._ticket_locked(ticket_id)
            for comment in reversed(ticket.comments):
                if comment.kind is CommentKind.CUSTOMER:
                    return comment.comment_id, comment.channel
            return None

    def add_tags(self, ticket_id: str, names: Iterable[str]) -> bool:
        """Add tag names, creating unknown ones. Return whether the ticket changed."""
        with self._lock:
            ticket = self._ticket_locked(ticket_id)
            changed = False
            for name in names:
                if name not in self._tags:
                    self._create_tag_locked(name)
                if name not in ticket.tags:
                    ticket.tags.append(name)
                    changed = True
            if changed:
                ticket.updated_at_ms = self._next_timestamp_ms()
            return changed

    def remove_tags(self, ticket_id: str, names: Iterable[str]) -> bool:
        """Remove tag names from the ticket. Return whether the ticket changed."""
        with self._lock:
            ticket = self._ticket_locked(ticket_id)
            remove = set(names)
            kept = [name for name in ticket.tags if name not in remove]
            changed = len(kept) != len(ticket.tags)
            ticket.tags = kept
            if changed:
                ticket.updated_at_ms = self._next_timestamp_ms()
            return changed

    def update_ticket(
        self,
        ticket_id: str,
        *,
        status: str | None,
        note_html: str | None,
        set_assignee: bool,
        assignee_id: str | None,
    ) -> bool:
        """Apply validated `PUT /v1/tickets/{id}` changes. Return whether anything changed."""
        with self._lock:
            ticket = self._ticket_locked(ticket_id)
            changed = False
            if status is not None and status != ticket.status:
                ticket.status = status
                ticket.state = status.lower()
                changed = True
            if set_assignee and assignee_id != ticket.assignee_id:
                ticket.assignee_id = assignee_id
                changed = True
            if note_html is not None:
                # Richpanel leaves isOperator out of comments added this way.
                self._append_comment_locked(
                    ticket,
                    author_id=self.settings.bot_author_id,
                    body_html=note_html,
                    plain_body=None,
                    is_operator=None,
                    kind=CommentKind.INTERNAL_NOTE,
                )
                changed = True
            elif changed:
                ticket.updated_at_ms = self._next_timestamp_ms()
            return changed

    def send_message(self, ticket_id: str, *, author_id: str, body_html: str) -> str:
        """Append a customer-visible reply and return its comment id. Raises TicketNotFound."""
        with self._lock:
            ticket = self._ticket_locked(ticket_id)
            comment = self._append_comment_locked(
                ticket,
                author_id=author_id,
                body_html=body_html,
                plain_body=None,
                is_operator=True,
                kind=CommentKind.REPLY,
            )
            return comment.comment_id

    def _ticket_locked(self, ticket_id: str) -> SandboxTicket:
        ticket = self._tickets.get(ticket_id)
        if ticket is None:
            raise TicketNotFound(ticket_id)
        return ticket

    def _append_comment_locked(
        self,
        ticket: SandboxTicket,
        *,
        author_id: str,
        body_html: str,
        plain_body: str | None,
        is_operator: bool | None,
        kind: CommentKind,
    ) -> SandboxComment:
        self._comment_counter += 1
        created_ms = self._next_timestamp_ms()
        comment = SandboxComment(
            comment_id=f"cmt-{self._comment_counter}",
            author_id=author_id,
            body_html=body_html,
            plain_body=plain_body,
            created_at_ms=created_ms,
            channel=ticket.channel,
            is_operator=is_operator,
            kind=kind,
        )
        ticket.comments.append(comment)
        ticket.updated_at_ms = created_ms
        return comment

    def _next_timestamp_ms(self) -> int:
        """Return the wall-clock time in ms, at least 1 ms after the previous one.

        Strictly increasing times keep comment order unambiguous for clients that sort.
        """
        now_ms = int(time.time() * 1000)
        self._last_timestamp_ms = max(now_ms, self._last_timestamp_ms + 1)
        return self._last_timestamp_ms


def config_as_dict(config: SandboxConfig) -> JsonObject:
    """Return the config for display, with the webhook token replaced by whether it is set."""
    shown = asdict(config)
    shown["webhook_token_set"] = shown.pop("webhook_token") is not None
    return shown


def _take_rule(rules: list[_FaultRule], path: str) -> _FaultRule | None:
    """Consume one use of the first rule whose text occurs in `path`, and return that rule."""
    for rule in rules:
        if rule.path_contains in path:
            rule.remaining -= 1
            if rule.remaining <= 0:
                rules.remove(rule)
            return rule
    return None


def _generated_ticket_id(number: int) -> str:
    token = uuid.uuid4().hex
    if number % 2 == 1:
        return f"<{token[:16]}+{number}@mail.sandbox.example>"
    return token


def _iso_from_ms(epoch_ms: int) -> str:
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
