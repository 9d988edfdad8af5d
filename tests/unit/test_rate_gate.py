"""RateGate: sliding-window budget and shared pauses, on a fake clock unless noted."""

from __future__ import annotations

import threading
import time

import pytest

from richpanel_middleware.helpdesk.rate_gate import RateGate


class FakeClock:
    """A monotonic clock that only moves when `sleep` is called, and records each sleep."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_gate(
    clock: FakeClock, *, max_requests: int | None = 3, window_s: float = 10.0
) -> RateGate:
    return RateGate(max_requests=max_requests, window_s=window_s, clock=clock, sleep=clock.sleep)


def test_budget_admits_max_requests_without_waiting() -> None:
    clock = FakeClock()
    gate = make_gate(clock)

    waits = [gate.wait_turn() for _ in range(3)]

    assert waits == [0.0, 0.0, 0.0]
    assert clock.sleeps == []


def test_full_window_waits_for_oldest_request() -> None:
    clock = FakeClock()
    gate = make_gate(clock)
    gate.wait_turn()
    clock.now += 4.0
    gate.wait_turn()
    gate.wait_turn()

    waited = gate.wait_turn()

    # The first request left at t=0 and drops out of the 10 s window at t=10, and now is t=4.
    assert waited == pytest.approx(6.0)
    assert clock.now == pytest.approx(1010.0)


def test_window_slides_one_request_at_a_time() -> None:
    clock = FakeClock()
    gate = make_gate(clock, max_requests=2, window_s=10.0)
    gate.wait_turn()
    clock.now += 1.0
    gate.wait_turn()

    first_wait = gate.wait_turn()
    second_wait = gate.wait_turn()

    assert first_wait == pytest.approx(9.0)
    assert second_wait == pytest.approx(1.0)


def test_budget_none_never_waits() -> None:
    clock = FakeClock()
    gate = make_gate(clock, max_requests=None)

    waits = [gate.wait_turn() for _ in range(500)]

    assert sum(waits) == 0.0
    assert clock.sleeps == []


def test_pause_delays_next_turn() -> None:
    clock = FakeClock()
    gate = make_gate(clock, max_requests=None)

    gate.pause_for(7.5)
    waited = gate.wait_turn()

    assert waited == pytest.approx(7.5)
    assert gate.pause_remaining_s() == 0.0


def test_shorter_pause_keeps_longer_one() -> None:
    clock = FakeClock()
    gate = make_gate(clock, max_requests=None)

    gate.pause_for(10.0)
    gate.pause_for(2.0)

    assert gate.pause_remaining_s() == pytest.approx(10.0)


def test_pause_and_full_window_both_apply() -> None:
    clock = FakeClock()
    gate = make_gate(clock, max_requests=1, window_s=10.0)
    gate.wait_turn()

    gate.pause_for(3.0)
    waited = gate.wait_turn()

    # The pause ends at t=3, then the window keeps the gate closed until t=10.
    assert waited == pytest.approx(10.0)
    assert clock.sleeps[0] == pytest.approx(3.0)


def test_non_positive_pause_is_ignored() -> None:
    clock = FakeClock()
    gate = make_gate(clock)

    gate.pause_for(0.0)
    gate.pause_for(-5.0)

    assert gate.pause_remaining_s() == 0.0
    assert gate.wait_turn() == 0.0


@pytest.mark.parametrize(
    ("max_requests", "window_s"),
    [(0, 30.0), (-1, 30.0), (50, 0.0), (50, -1.0)],
)
def test_invalid_settings_raise(max_requests: int, window_s: float) -> None:
    with pytest.raises(ValueError):
        RateGate(max_requests=max_requests, window_s=window_s)


def test_threads_share_budget_on_real_clock() -> None:
    """Three threads with a 5-per-0.2 s budget never put more than 5 requests in a window."""
    gate = RateGate(max_requests=5, window_s=0.2)
    sent_at: list[float] = []
    sent_lock = threading.Lock()

    def send_five() -> None:
        for _ in range(5):
            gate.wait_turn()
            with sent_lock:
                sent_at.append(time.monotonic())

    threads = [threading.Thread(target=send_five) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5.0)

    assert len(sent_at) == 15
    sent_at.sort()
    for index in range(5, len(sent_at)):
        # Allow 10 ms for the gap between the gate's clock reading and ours.
        assert sent_at[index] - sent_at[index - 5] >= 0.2 - 0.01


def test_pause_holds_back_other_threads() -> None:
    """A pause recorded by one thread delays a request that another thread makes."""
    gate = RateGate(max_requests=None)
    gate.pause_for(0.3)
    waited: list[float] = []

    thread = threading.Thread(target=lambda: waited.append(gate.wait_turn()))
    started = time.monotonic()
    thread.start()
    thread.join(timeout=5.0)

    assert len(waited) == 1
    assert time.monotonic() - started >= 0.25
