"""A worker process killed with SIGKILL mid-event loses no event and repeats no reply."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Pipeline, Sandbox, sample_text

pytestmark = pytest.mark.e2e

SAMPLES = ("sample-03", "sample-04", "sample-06", "sample-14", "sample-17")


def _worker_process(
    data_dir: Path, sandbox: Sandbox, model_cache_dir: Path
) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "RPMW_DATA_DIR": str(data_dir),
        "RPMW_MODEL_CACHE_DIR": str(model_cache_dir),
        "RPMW_RICHPANEL_BASE_URL": sandbox.server.base_url,
        "RPMW_RICHPANEL_API_KEY": sandbox.api_key,
        "RPMW_RICHPANEL_REQUESTS_PER_30S": "none",
        "RPMW_VISIBILITY_TIMEOUT_S": "2",
        "RPMW_CONCURRENCY": "2",
        "RPMW_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "richpanel_middleware", "worker"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_for(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_sigkill_mid_event_loses_nothing(
    sandbox: Sandbox,
    start_pipeline: Callable[..., Pipeline],
    model_cache_dir: Path,
    tmp_path: Path,
) -> None:
    pipeline = start_pipeline(worker=False)
    data_dir = pipeline.stack.settings.data_dir
    tickets = [sandbox.create(sample_text(sample))["ticket_id"] for sample in SAMPLES]
    assert pipeline.stack.queue.stats().pending == len(tickets)

    # Slow every API call so the kill lands while events are half done.
    sandbox.admin.post("/_sandbox/faults", json={"latency_ms": 150}).raise_for_status()
    first = _worker_process(data_dir, sandbox, model_cache_dir)
    try:
        sent = _wait_for(
            lambda: any("send-message" in e["endpoint"] for e in sandbox.journal()), timeout_s=60
        )
        assert sent, "the first worker never reached a reply"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    stats = pipeline.stack.queue.stats()
    assert stats.pending + stats.in_flight > 0, "the kill came after all events finished"

    sandbox.admin.post("/_sandbox/faults", json={"latency_ms": 0}).raise_for_status()
    second = _worker_process(data_dir, sandbox, model_cache_dir)
    try:
        drained = _wait_for(
            lambda: (
                sum(pipeline.stack.decisions.count_by_outcome().values()) >= len(tickets)
                and pipeline.stack.queue.stats().pending == 0
                and pipeline.stack.queue.stats().in_flight == 0
            ),
            timeout_s=90,
        )
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)

    assert drained
    assert pipeline.stack.queue.stats().dead_lettered == 0
    for ticket in tickets:
        assert sandbox.summary(ticket)["replies"] == 1, ticket
    sends = [e for e in sandbox.journal() if "send-message" in e["endpoint"]]
    assert len(sends) == len(tickets)


def test_sigterm_finishes_in_flight_events(
    sandbox: Sandbox,
    start_pipeline: Callable[..., Pipeline],
    model_cache_dir: Path,
) -> None:
    pipeline = start_pipeline(worker=False)
    data_dir = pipeline.stack.settings.data_dir
    tickets = [sandbox.create(sample_text(sample))["ticket_id"] for sample in SAMPLES]

    sandbox.admin.post("/_sandbox/faults", json={"latency_ms": 150}).raise_for_status()
    first = _worker_process(data_dir, sandbox, model_cache_dir)
    try:
        started = _wait_for(
            lambda: any("add-tags" in e["endpoint"] for e in sandbox.journal()), timeout_s=60
        )
        assert started, "the first worker never started an event"
        first.send_signal(signal.SIGTERM)
        exit_code = first.wait(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()

    # A graceful stop settles every event it holds: nothing is left in flight.
    assert exit_code == 0
    stats = pipeline.stack.queue.stats()
    assert stats.in_flight == 0
    assert stats.dead_lettered == 0
    finished = sum(pipeline.stack.decisions.count_by_outcome().values())
    assert finished + stats.pending == len(tickets)

    sandbox.admin.post("/_sandbox/faults", json={"latency_ms": 0}).raise_for_status()
    second = _worker_process(data_dir, sandbox, model_cache_dir)
    try:
        drained = _wait_for(
            lambda: (
                sum(pipeline.stack.decisions.count_by_outcome().values()) >= len(tickets)
                and pipeline.stack.queue.stats().pending == 0
            ),
            timeout_s=90,
        )
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)

    assert drained
    for ticket in tickets:
        assert sandbox.summary(ticket)["replies"] == 1, ticket
