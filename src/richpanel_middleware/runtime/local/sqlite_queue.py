"""The embedded queue: SQS FIFO semantics on one SQLite table.

- FIFO per message group (the conversation id): only the oldest message of a group can
  be received, and only while no message of that group is in flight.
- A received message is invisible until its visibility timeout passes, then it can be
  received again; each receive increments its receive count.
- A message received more than `max_receives` times moves to the dead-letter table
  instead of being delivered; so does one older than the retention period.
- Enqueueing the same dedup key twice inside the dedup window stores it once.
"""

from __future__ import annotations

import logging
import sqlite3
import time
import uuid
from collections.abc import Callable

from richpanel_middleware.pipeline.ports import EnqueueOutcome, QueueMessage, QueueStats
from richpanel_middleware.runtime.local.sqlite_db import Database

_logger = logging.getLogger(__name__)

_HEADS = """
SELECT m.id, m.group_id, m.dedup_key, m.body, m.enqueued_at, m.receive_count,
       m.transient_failures
FROM queue_messages AS m
WHERE m.id IN (SELECT MIN(id) FROM queue_messages GROUP BY group_id)
  AND (m.in_flight_until IS NULL OR m.in_flight_until <= :now)
  AND m.visible_at <= :now
ORDER BY m.id
LIMIT :limit
"""


class SqliteQueue:
    def __init__(
        self,
        database: Database,
        *,
        max_receives: int = 5,
        retention_s: float = 4 * 24 * 3600,
        dedup_window_s: float = 4 * 24 * 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = database
        self._max_receives = max_receives
        self._retention_s = retention_s
        self._dedup_window_s = dedup_window_s
        self._clock = clock

    def enqueue(self, *, group_id: str, dedup_key: str, body: str) -> EnqueueOutcome:
        now = self._clock()
        with self._db.transaction() as connection:
            row = connection.execute(
                "SELECT enqueued_at FROM queue_dedup WHERE dedup_key = ?", (dedup_key,)
            ).fetchone()
            if row is not None and now - row["enqueued_at"] < self._dedup_window_s:
                return EnqueueOutcome.DUPLICATE
            connection.execute(
                "INSERT OR REPLACE INTO queue_dedup (dedup_key, enqueued_at) VALUES (?, ?)",
                (dedup_key, now),
            )
            connection.execute(
                "INSERT INTO queue_messages (group_id, dedup_key, body, enqueued_at, visible_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (group_id, dedup_key, body, now, now),
            )
        return EnqueueOutcome.ENQUEUED

    def receive(self, *, max_messages: int, visibility_timeout_s: float) -> list[QueueMessage]:
        now = self._clock()
        received: list[QueueMessage] = []
        with self._db.transaction() as connection:
            # Each pass may dead-letter group heads, which exposes the next message of the group.
            for _ in range(max_messages * 4):
                if len(received) >= max_messages:
                    break
                heads = connection.execute(
                    _HEADS, {"now": now, "limit": max_messages - len(received)}
                ).fetchall()
                if not heads:
                    break
                for head in heads:
                    count = head["receive_count"] + 1
                    expired = now - head["enqueued_at"] > self._retention_s
                    if count > self._max_receives or expired:
                        reason = "retention_expired" if expired else "max_receives_exceeded"
                        self._move_to_dead_letters(connection, head["id"], reason, now)
                        continue
                    receipt = uuid.uuid4().hex
                    connection.execute(
                        "UPDATE queue_messages SET receive_count = ?, receipt = ?, "
                        "in_flight_until = ? WHERE id = ?",
                        (count, receipt, now + visibility_timeout_s, head["id"]),
                    )
                    received.append(
                        QueueMessage(
                            head["id"],
                            head["group_id"],
                            head["dedup_key"],
                            head["body"],
                            count,
                            receipt,
                            head["transient_failures"],
                        )
                    )
        return received

    def delete(self, receipt: str) -> bool:
        with self._db.transaction() as connection:
            cursor = connection.execute("DELETE FROM queue_messages WHERE receipt = ?", (receipt,))
        return cursor.rowcount == 1

    def release(self, receipt: str, *, delay_s: float = 0.0, transient: bool = False) -> bool:
        """Make an in-flight message receivable again after `delay_s` seconds.

        A transient release gives back the receive it used, so only crashes and unexpected
        errors count toward `max_receives`; retention still bounds how long it may retry.
        """
        now = self._clock()
        refund = 1 if transient else 0
        with self._db.transaction() as connection:
            cursor = connection.execute(
                "UPDATE queue_messages SET receipt = NULL, in_flight_until = NULL, visible_at = ?, "
                "receive_count = MAX(0, receive_count - ?), "
                "transient_failures = transient_failures + ? WHERE receipt = ?",
                (now + delay_s, refund, refund, receipt),
            )
        return cursor.rowcount == 1

    def extend_visibility(self, receipt: str, *, visibility_timeout_s: float) -> bool:
        with self._db.transaction() as connection:
            cursor = connection.execute(
                "UPDATE queue_messages SET in_flight_until = ? WHERE receipt = ?",
                (self._clock() + visibility_timeout_s, receipt),
            )
        return cursor.rowcount == 1

    def dead_letter(self, receipt: str, *, reason: str) -> bool:
        """Move an in-flight message to the dead-letter table at once (a permanent failure)."""
        now = self._clock()
        with self._db.transaction() as connection:
            row = connection.execute(
                "SELECT id FROM queue_messages WHERE receipt = ?", (receipt,)
            ).fetchone()
            if row is None:
                return False
            self._move_to_dead_letters(connection, row["id"], reason, now)
        return True

    def stats(self) -> QueueStats:
        now = self._clock()
        connection = self._db.connection()
        in_flight = connection.execute(
            "SELECT COUNT(*) FROM queue_messages WHERE in_flight_until > ?", (now,)
        ).fetchone()[0]
        total = connection.execute("SELECT COUNT(*) FROM queue_messages").fetchone()[0]
        dead = connection.execute("SELECT COUNT(*) FROM queue_dead_letters").fetchone()[0]
        return QueueStats(pending=total - in_flight, in_flight=in_flight, dead_lettered=dead)

    def dead_letters(self) -> list[dict[str, object]]:
        rows = (
            self._db.connection()
            .execute(
                "SELECT id, group_id, dedup_key, receive_count, reason, dead_lettered_at "
                "FROM queue_dead_letters ORDER BY id"
            )
            .fetchall()
        )
        return [dict(row) for row in rows]

    def ping(self) -> None:
        self._db.connection().execute("SELECT 1 FROM queue_messages LIMIT 1").fetchall()

    def purge_dedup(self) -> int:
        """Forget dedup keys older than the dedup window. Returns how many were removed."""
        cutoff = self._clock() - self._dedup_window_s
        with self._db.transaction() as connection:
            cursor = connection.execute("DELETE FROM queue_dedup WHERE enqueued_at < ?", (cutoff,))
        return cursor.rowcount

    @staticmethod
    def _move_to_dead_letters(
        connection: sqlite3.Connection, message_id: int, reason: str, now: float
    ) -> None:
        connection.execute(
            "INSERT INTO queue_dead_letters (id, group_id, dedup_key, body, enqueued_at, "
            "receive_count, reason, dead_lettered_at) SELECT id, group_id, dedup_key, body, "
            "enqueued_at, receive_count, ?, ? FROM queue_messages WHERE id = ?",
            (reason, now, message_id),
        )
        connection.execute("DELETE FROM queue_messages WHERE id = ?", (message_id,))
        _logger.error(
            "event moved to the dead-letter table; redrive it with `rpmw dlq redrive`",
            extra={"event": "dead_lettered", "queue_message_id": message_id, "reason": reason},
        )

    def redrive(self, dead_letter_id: int | None = None) -> list[str]:
        """Move dead-lettered messages (one, or all with None) back to the queue.

        Returns their dedup keys, which equal the event keys, so the caller can clear the
        recorded failure and let the worker process them again.
        """
        now = self._clock()
        with self._db.transaction() as connection:
            query = "SELECT id, group_id, dedup_key, body FROM queue_dead_letters"
            parameters: tuple[int, ...] = ()
            if dead_letter_id is not None:
                query += " WHERE id = ?"
                parameters = (dead_letter_id,)
            rows = connection.execute(query + " ORDER BY id", parameters).fetchall()
            for row in rows:
                connection.execute(
                    "INSERT INTO queue_messages (group_id, dedup_key, body, enqueued_at, visible_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (row["group_id"], row["dedup_key"], row["body"], now, now),
                )
                connection.execute("DELETE FROM queue_dead_letters WHERE id = ?", (row["id"],))
        return [str(row["dedup_key"]) for row in rows]
