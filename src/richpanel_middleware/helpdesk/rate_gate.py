"""A request budget shared by every thread that calls one Richpanel account.

Richpanel allows 50 requests per 30 seconds per account and responds with 429 beyond that.
Worker threads share one `RateGate`, so together they stay under the limit, and a 429
with Retry-After holds back every thread rather than only the one that received it.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

DEFAULT_MAX_REQUESTS = 50
DEFAULT_WINDOW_S = 30.0


class RateGate:
    """A thread-safe sliding-window request budget with a shared pause.

    `max_requests=None` turns the budget off, and the gate then only enforces pauses.
    The budget counts the moment each request leaves this process. Richpanel counts
    arrivals, which come a little later and with varying delay, so an occasional 429
    is still possible at full load. The client then retries after the Retry-After time.
    """

    def __init__(
        self,
        *,
        max_requests: int | None = DEFAULT_MAX_REQUESTS,
        window_s: float = DEFAULT_WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_requests is not None and max_requests < 1:
            raise ValueError(f"max_requests must be at least 1 or None, got {max_requests}")
        if window_s <= 0:
            raise ValueError(f"window_s must be positive, got {window_s}")
        self._max_requests = max_requests
        self._window_s = window_s
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._sent_at: deque[float] = deque()
        self._paused_until = float("-inf")

    @property
    def max_requests(self) -> int | None:
        return self._max_requests

    @property
    def window_s(self) -> float:
        return self._window_s

    def wait_turn(self) -> float:
        """Block until the caller may send one request, count it, and return the seconds waited.

        The wait ends when any pause has passed and the window has a free slot. The
        lock is not held while sleeping, so other threads can still record pauses.
        """
        waited_s = 0.0
        while True:
            with self._lock:
                now = self._clock()
                delay_s = self._delay_locked(now)
                if delay_s <= 0:
                    self._sent_at.append(now)
                    return waited_s
            self._sleep(delay_s)
            waited_s += delay_s

    def pause_for(self, seconds: float) -> None:
        """Hold back every thread's next request for `seconds` from now.

        A pause never shortens one that already ends later.
        """
        if seconds <= 0:
            return
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def pause_remaining_s(self) -> float:
        """Return the seconds left in the current pause, or 0.0 if there is none."""
        with self._lock:
            return max(0.0, self._paused_until - self._clock())

    def _delay_locked(self, now: float) -> float:
        if now < self._paused_until:
            return self._paused_until - now
        if self._max_requests is None:
            return 0.0

        while self._sent_at and self._sent_at[0] <= now - self._window_s:
            self._sent_at.popleft()
        if len(self._sent_at) < self._max_requests:
            return 0.0
        # The window is full, so wait until its oldest request drops out.
        return self._sent_at[0] + self._window_s - now
