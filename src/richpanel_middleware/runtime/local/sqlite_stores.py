"""SQLite adapters for the idempotency store, conversation state, decision log and flags."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from richpanel_middleware.pipeline.ports import ClaimOutcome, ConversationState
from richpanel_middleware.policy.config import Flags
from richpanel_middleware.runtime.local.sqlite_db import Database

_logger = logging.getLogger(__name__)

IN_PROGRESS = "IN_PROGRESS"
COMPLETED = "COMPLETED"


class SqliteIdempotencyStore:
    """Claims with a lease: a crashed holder's key can be taken over once its lease expires."""

    def __init__(
        self,
        database: Database,
        *,
        retention_s: float = 7 * 24 * 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = database
        self._retention_s = retention_s
        self._clock = clock

    def claim(self, key: str, *, lease_s: float) -> ClaimOutcome:
        now = self._clock()
        with self._db.transaction() as connection:
            row = connection.execute(
                "SELECT status, lease_until FROM idempotency WHERE key = ? AND expires_at > ?",
                (key, now),
            ).fetchone()
            if row is not None and row["status"] == COMPLETED:
                return ClaimOutcome.COMPLETED
            if row is not None and row["lease_until"] is not None and row["lease_until"] > now:
                return ClaimOutcome.IN_PROGRESS
            connection.execute(
                "INSERT OR REPLACE INTO idempotency (key, status, lease_until, result, updated_at, "
                "expires_at) VALUES (?, ?, ?, '', ?, ?)",
                (key, IN_PROGRESS, now + lease_s, now, now + self._retention_s),
            )
        return ClaimOutcome.CLAIMED if row is None else ClaimOutcome.RECLAIMED

    def complete(self, key: str, *, result: str = "") -> None:
        now = self._clock()
        with self._db.transaction() as connection:
            connection.execute(
                "INSERT OR REPLACE INTO idempotency (key, status, lease_until, result, updated_at, "
                "expires_at) VALUES (?, ?, NULL, ?, ?, ?)",
                (key, COMPLETED, result, now, now + self._retention_s),
            )

    def extend_lease(self, key: str, *, lease_s: float) -> bool:
        with self._db.transaction() as connection:
            cursor = connection.execute(
                "UPDATE idempotency SET lease_until = ? WHERE key = ? AND status = ?",
                (self._clock() + lease_s, key, IN_PROGRESS),
            )
        return cursor.rowcount == 1

    def release(self, key: str) -> None:
        with self._db.transaction() as connection:
            connection.execute(
                "DELETE FROM idempotency WHERE key = ? AND status = ?", (key, IN_PROGRESS)
            )

    def forget_failure(self, key: str) -> bool:
        """Delete a key completed as failed, so a redriven event is processed again."""
        with self._db.transaction() as connection:
            cursor = connection.execute(
                "DELETE FROM idempotency WHERE key = ? AND status = ? AND result = 'failed'",
                (key, COMPLETED),
            )
        return cursor.rowcount == 1

    def status(self, key: str) -> str | None:
        row = (
            self._db.connection()
            .execute("SELECT status FROM idempotency WHERE key = ?", (key,))
            .fetchone()
        )
        return None if row is None else str(row["status"])


class SqliteConversationStore:
    def __init__(self, database: Database, *, clock: Callable[[], float] = time.time) -> None:
        self._db = database
        self._clock = clock

    def get(self, conversation_id: str) -> ConversationState | None:
        row = (
            self._db.connection()
            .execute(
                "SELECT state FROM conversation_state WHERE conversation_id = ? AND expires_at > ?",
                (conversation_id, self._clock()),
            )
            .fetchone()
        )
        if row is None:
            return None
        raw = json.loads(row["state"])
        closed = raw.get("auto_closed_at")
        return ConversationState(
            conversation_id=conversation_id,
            auto_reply_times=tuple(datetime.fromisoformat(t) for t in raw["auto_reply_times"]),
            replied_message_ids=tuple(raw["replied_message_ids"]),
            auto_closed_at=datetime.fromisoformat(closed) if closed else None,
        )

    def put(self, state: ConversationState, *, ttl_s: float) -> None:
        payload = json.dumps(
            {
                "auto_reply_times": [t.isoformat() for t in state.auto_reply_times],
                "replied_message_ids": list(state.replied_message_ids),
                "auto_closed_at": state.auto_closed_at.isoformat()
                if state.auto_closed_at
                else None,
            }
        )
        with self._db.transaction() as connection:
            connection.execute(
                "INSERT OR REPLACE INTO conversation_state (conversation_id, state, expires_at) "
                "VALUES (?, ?, ?)",
                (state.conversation_id, payload, self._clock() + ttl_s),
            )


class SqliteDecisionLog:
    """Append-only decision records. Records carry ids, intents and actions, never message text."""

    def __init__(self, database: Database, *, clock: Callable[[], float] = time.time) -> None:
        self._db = database
        self._clock = clock

    def record(self, *, event_key: str, conversation_id: str, record: Mapping[str, object]) -> None:
        with self._db.transaction() as connection:
            connection.execute(
                "INSERT INTO decisions (event_key, conversation_id, outcome, record, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    event_key,
                    conversation_id,
                    str(record.get("outcome", "")),
                    json.dumps(record, default=str),
                    self._clock(),
                ),
            )

    def count_by_outcome(self) -> dict[str, int]:
        rows = (
            self._db.connection()
            .execute("SELECT outcome, COUNT(*) AS n FROM decisions GROUP BY outcome")
            .fetchall()
        )
        return {row["outcome"]: row["n"] for row in rows}

    def latest_for(self, conversation_id: str) -> dict[str, Any] | None:
        row = (
            self._db.connection()
            .execute(
                "SELECT record FROM decisions WHERE conversation_id = ? ORDER BY id DESC LIMIT 1",
                (conversation_id,),
            )
            .fetchone()
        )
        return None if row is None else dict(json.loads(row["record"]))

    def all_records(self) -> list[dict[str, Any]]:
        rows = self._db.connection().execute("SELECT record FROM decisions ORDER BY id").fetchall()
        return [dict(json.loads(row["record"])) for row in rows]


class SqliteFlagSource:
    """Runtime flags: the YAML defaults overlaid with values set at run time, cached briefly.

    Any failure to read the table yields `Flags.safe()`, so a broken flag store can never
    switch automation on.
    """

    def __init__(
        self,
        database: Database,
        *,
        defaults: Flags,
        cache_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        known_templates: frozenset[str] | None = None,
    ) -> None:
        self._db = database
        self._defaults = defaults
        self._known_templates = known_templates
        self._cache_s = cache_s
        self._clock = clock
        self._cached: tuple[float, Flags] | None = None

    def load(self) -> Flags:
        now = self._clock()
        if self._cached is not None and now - self._cached[0] < self._cache_s:
            return self._cached[1]
        try:
            rows = self._db.connection().execute("SELECT name, value FROM flags").fetchall()
            overrides = {row["name"]: json.loads(row["value"]) for row in rows}
            flags = Flags.model_validate({**self._defaults.model_dump(), **overrides})
        except Exception:
            # Any failure must mean safe mode, never automation.
            _logger.exception("flag store unreadable; running in safe mode")
            flags = Flags.safe()
        self._cached = (now, flags)
        return flags

    def set(self, name: str, value: object) -> Flags:
        """Set one flag at run time. Raises ValueError naming the flag when the value is invalid."""
        if name not in Flags.model_fields or name == "version":
            raise ValueError(f"unknown flag {name!r}; known flags: {', '.join(self.names())}")
        current = self.load().model_dump()
        current[name] = value
        try:
            Flags.model_validate(current)
        except ValidationError as error:
            problems = "; ".join(
                item["msg"].removeprefix("Value error, ")
                for item in error.errors(include_url=False)
            )
            raise ValueError(f"invalid value {value!r} for flag {name!r}: {problems}") from error
        if name == "template_enabled" and self._known_templates is not None:
            assert isinstance(value, dict)
            unknown = sorted(set(value) - self._known_templates)
            if unknown:
                raise ValueError(
                    f"template_enabled: no template named {unknown[0]!r}; see config/templates.yaml"
                )
        with self._db.transaction() as connection:
            connection.execute(
                "INSERT OR REPLACE INTO flags (name, value, updated_at) VALUES (?, ?, ?)",
                (name, json.dumps(value), time.time()),
            )
        self._cached = None
        return self.load()

    @staticmethod
    def names() -> list[str]:
        return [name for name in Flags.model_fields if name != "version"]
