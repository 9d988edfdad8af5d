"""Clocks for the embedded runtime: the wall clock, and one with a pinned time per conversation."""

from __future__ import annotations

import threading
from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def now_for(self, conversation_id: str) -> datetime:
        return datetime.now(UTC)


class ConversationClock(SystemClock):
    """The wall clock, except for conversations pinned to a time (demo rows, scenario tests).

    Only delivery estimates read `now_for`; guards keep the wall clock.
    """

    def __init__(self) -> None:
        self._pinned: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def pin(self, conversation_id: str, now: datetime) -> None:
        with self._lock:
            self._pinned[conversation_id] = now

    def now_for(self, conversation_id: str) -> datetime:
        with self._lock:
            pinned = self._pinned.get(conversation_id)
        return pinned or datetime.now(UTC)
