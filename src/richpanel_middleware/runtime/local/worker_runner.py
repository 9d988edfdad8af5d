"""Run the worker on a pool of threads; different conversations proceed in parallel.

The queue's one-in-flight-per-conversation rule keeps each conversation in order.
`stop()` is graceful: no thread receives a new message, and each finishes the event it
holds. An event interrupted harder (a killed process) stays in the queue and becomes
visible again after its visibility timeout, so nothing is lost.
"""

from __future__ import annotations

import logging
import threading
import time

from richpanel_middleware.pipeline.ports import Queue
from richpanel_middleware.pipeline.worker import Worker

_logger = logging.getLogger(__name__)


class WorkerRunner:
    def __init__(
        self,
        worker: Worker,
        queue: Queue,
        *,
        concurrency: int,
        visibility_timeout_s: float,
        poll_interval_s: float = 0.05,
    ) -> None:
        self._worker = worker
        self._queue = queue
        self._concurrency = concurrency
        self._visibility_timeout_s = visibility_timeout_s
        self._poll_interval_s = poll_interval_s
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._busy = 0
        self._busy_lock = threading.Lock()
        self.last_receive_failure: float | None = None

    def start(self) -> WorkerRunner:
        _logger.info(
            "worker starting", extra={"event": "worker_start", "concurrency": self._concurrency}
        )
        for index in range(self._concurrency):
            thread = threading.Thread(target=self._loop, name=f"rpmw-worker-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stopping.set()
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        alive = sum(thread.is_alive() for thread in self._threads)
        _logger.info(
            "worker stopped", extra={"event": "worker_stop", "threads_still_running": alive}
        )

    def check_healthy(self, *, window_s: float = 30.0) -> None:
        """Raise RuntimeError when a queue receive failed within the last `window_s` seconds."""
        failed_at = self.last_receive_failure
        if failed_at is not None and time.monotonic() - failed_at < window_s:
            raise RuntimeError("the worker cannot receive from the queue; see the logs")

    @property
    def busy(self) -> int:
        with self._busy_lock:
            return self._busy

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                messages = self._queue.receive(
                    max_messages=1, visibility_timeout_s=self._visibility_timeout_s
                )
            except Exception:
                self.last_receive_failure = time.monotonic()
                _logger.exception("queue receive failed", extra={"event": "receive_failed"})
                self._stopping.wait(1.0)
                continue
            if not messages:
                self._stopping.wait(self._poll_interval_s)
                continue
            with self._busy_lock:
                self._busy += 1
            try:
                for message in messages:
                    self._worker.handle(message)
            except Exception:
                # handle() settles the message unless the database itself failed (a claim,
                # record or delete). Nothing is lost: the message becomes visible again after
                # its visibility timeout, and that receive counts toward dead-lettering.
                _logger.exception("worker loop error", extra={"event": "worker_loop_error"})
            finally:
                with self._busy_lock:
                    self._busy -= 1

    def wait_until_drained(self, *, timeout_s: float, poll_s: float = 0.1) -> bool:
        """Wait until the queue has nothing pending or in flight. Returns False on timeout."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            stats = self._queue.stats()
            if stats.pending == 0 and stats.in_flight == 0 and self.busy == 0:
                return True
            time.sleep(poll_s)
        return False
