"""SQLite connection handling for the embedded runtime.

One database file in WAL mode, one connection per thread. `synchronous=FULL` makes a
commit durable before ingress acknowledges a webhook. Writers take the lock up front
(`BEGIN IMMEDIATE`) so read-then-write steps such as queue receives cannot interleave.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS queue_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    body TEXT NOT NULL,
    enqueued_at REAL NOT NULL,
    visible_at REAL NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    transient_failures INTEGER NOT NULL DEFAULT 0,
    receipt TEXT,
    in_flight_until REAL
);
CREATE INDEX IF NOT EXISTS queue_messages_group ON queue_messages (group_id, id);
CREATE UNIQUE INDEX IF NOT EXISTS queue_messages_receipt ON queue_messages (receipt);
CREATE TABLE IF NOT EXISTS queue_dedup (
    dedup_key TEXT PRIMARY KEY,
    enqueued_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS queue_dead_letters (
    id INTEGER PRIMARY KEY,
    group_id TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    body TEXT NOT NULL,
    enqueued_at REAL NOT NULL,
    receive_count INTEGER NOT NULL,
    reason TEXT NOT NULL,
    dead_lettered_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    lease_until REAL,
    result TEXT NOT NULL DEFAULT '',
    updated_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS conversation_state (
    conversation_id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_key TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    record TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_conversation ON decisions (conversation_id, id);
CREATE TABLE IF NOT EXISTS flags (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at REAL NOT NULL
);
"""

DATABASE_FILE = "rpmw.sqlite3"

# Columns added after a table first shipped: (table, column, definition).
_ADDED_COLUMNS = (("queue_messages", "transient_failures", "INTEGER NOT NULL DEFAULT 0"),)


class Database:
    """A SQLite database shared by the queue and the stores, with one connection per thread."""

    def __init__(self, path: Path, *, busy_timeout_ms: int = 10_000) -> None:
        self.path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        # executescript commits on its own, so it runs outside `transaction()`.
        self.connection().executescript(_SCHEMA)
        self._add_missing_columns()

    def _add_missing_columns(self) -> None:
        """Bring a database made by an earlier release up to the current columns."""
        connection = self.connection()
        for table, column, definition in _ADDED_COLUMNS:
            present = {row["name"] for row in connection.execute(f"PRAGMA table_info({table})")}
            if column not in present:
                connection.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")

    @classmethod
    def in_folder(cls, folder: Path) -> Database:
        return cls(folder / DATABASE_FILE)

    def connection(self) -> sqlite3.Connection:
        existing: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if existing is not None:
            return existing
        connection = sqlite3.connect(
            self.path,
            timeout=self._busy_timeout_ms / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}")
        self._local.connection = connection
        with self._lock:
            self._all.append(connection)
        return connection

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run a write transaction (`BEGIN IMMEDIATE`); commit on success, roll back on error.

        Threads of this process queue on a lock before they ask SQLite for the write lock.
        SQLite's own busy handler polls with growing sleeps, which under many concurrent
        writers turns into long tail latencies; other processes still wait through it.
        """
        connection = self.connection()
        with self._write_lock:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            for connection in self._all:
                connection.close()
            self._all.clear()
        self._local = threading.local()
