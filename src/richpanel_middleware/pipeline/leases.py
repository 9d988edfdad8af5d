"""Keep an event's queue visibility and idempotency lease alive while a worker holds it.

A vendor call can block longer than the visibility timeout (a 429 may ask for minutes).
Without renewal, a second worker would receive the same message and reclaim the event
key while the first is still sending a reply. The keeper renews both every third of the
timeout from a daemon thread, and stops when the event is settled.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType

from richpanel_middleware.pipeline.ports import IdempotencyStore, Queue

_logger = logging.getLogger(__name__)


class LeaseKeeper:
    def __init__(
        self,
        *,
        queue: Queue,
        event_keys: IdempotencyStore,
        receipt: str,
        event_key: str,
        timeout_s: float,
    ) -> None:
        self._queue = queue
        self._event_keys = event_keys
        self._receipt = receipt
        self._event_key = event_key
        self._timeout_s = timeout_s
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._renew, name="rpmw-lease", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stopped.set()
        self._thread.join(self._timeout_s)

    def _renew(self) -> None:
        while not self._stopped.wait(self._timeout_s / 3):
            try:
                self._queue.extend_visibility(self._receipt, visibility_timeout_s=self._timeout_s)
                self._event_keys.extend_lease(self._event_key, lease_s=self._timeout_s)
            except Exception:
                # A missed renewal only risks a duplicate receive, which the event key and the
                # loop guard absorb; the event itself goes on.
                _logger.exception("lease renewal failed", extra={"event": "lease_renewal_failed"})
