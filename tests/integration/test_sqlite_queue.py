"""The embedded SQLite queue: FIFO groups, visibility, dead letters, dedup and durability."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from richpanel_middleware.pipeline.ports import EnqueueOutcome, QueueMessage
from richpanel_middleware.runtime.local.sqlite_db import Database
from richpanel_middleware.runtime.local.sqlite_queue import SqliteQueue
from tests.integration.conftest import ManualClock

VISIBILITY_S = 30.0
MAX_RECEIVES = 3
RETENTION_S = 3600.0
DEDUP_WINDOW_S = 600.0


@pytest.fixture
def queue(database: Database, clock: ManualClock) -> SqliteQueue:
    return make_queue(database, clock)


def make_queue(database: Database, clock: ManualClock) -> SqliteQueue:
    return SqliteQueue(
        database,
        max_receives=MAX_RECEIVES,
        retention_s=RETENTION_S,
        dedup_window_s=DEDUP_WINDOW_S,
        clock=lambda: clock(),
    )


def put(queue: SqliteQueue, group: str, body: str) -> EnqueueOutcome:
    return queue.enqueue(group_id=group, dedup_key=f"{group}:{body}", body=body)


def receive(queue: SqliteQueue, count: int = 10) -> list[QueueMessage]:
    return queue.receive(max_messages=count, visibility_timeout_s=VISIBILITY_S)


def bodies(messages: list[QueueMessage]) -> list[str]:
    return [message.body for message in messages]


# --- ordering and groups -------------------------------------------------------------------------


def test_enqueue_reports_enqueued(queue: SqliteQueue) -> None:
    assert put(queue, "conv-a", "a1") is EnqueueOutcome.ENQUEUED
    assert queue.stats().pending == 1


def test_group_delivers_in_fifo_order(queue: SqliteQueue) -> None:
    for body in ("a1", "a2", "a3"):
        put(queue, "conv-a", body)

    delivered = []
    for _ in range(3):
        (message,) = receive(queue)
        delivered.append(message.body)
        assert queue.delete(message.receipt) is True

    assert delivered == ["a1", "a2", "a3"]


def test_group_blocked_while_head_in_flight(queue: SqliteQueue) -> None:
    put(queue, "conv-a", "a1")
    put(queue, "conv-a", "a2")

    first = receive(queue)
    second = receive(queue)

    assert bodies(first) == ["a1"]
    assert second == []
    assert queue.stats().in_flight == 1
    assert queue.stats().pending == 1


def test_delete_exposes_next_in_group(queue: SqliteQueue) -> None:
    put(queue, "conv-a", "a1")
    put(queue, "conv-a", "a2")
    (first,) = receive(queue)

    queue.delete(first.receipt)

    assert bodies(receive(queue)) == ["a2"]


def test_different_groups_received_together(queue: SqliteQueue) -> None:
    put(queue, "conv-a", "a1")
    put(queue, "conv-a", "a2")
    put(queue, "conv-b", "b1")
    put(queue, "conv-c", "c1")

    messages = receive(queue)

    assert bodies(messages) == ["a1", "b1", "c1"]
    assert {message.group_id for message in messages} == {"conv-a", "conv-b", "conv-c"}


def test_receive_respects_max_messages(queue: SqliteQueue) -> None:
    for group in ("conv-a", "conv-b", "conv-c"):
        put(queue, group, "m1")

    assert len(receive(queue, count=2)) == 2
    assert len(receive(queue, count=2)) == 1


def test_empty_queue_receives_nothing(queue: SqliteQueue) -> None:
    assert receive(queue) == []


# --- visibility, release and receipts ----------------------------------------------------------


def test_first_receive_count_is_one(queue: SqliteQueue) -> None:
    put(queue, "conv-a", "a1")

    (message,) = receive(queue)

    assert message.receive_count == 1


def test_visibility_expiry_redelivers(queue: SqliteQueue, clock: ManualClock) -> None:
    put(queue, "conv-a", "a1")
    receive(queue)

    clock.advance(VISIBILITY_S - 1)
    assert receive(queue) == []
    clock.advance(1)
    (message,) = receive(queue)

    assert message.body == "a1"
    assert message.receive_count == 2


def test_stale_receipt_cannot_delete(queue: SqliteQueue, clock: ManualClock) -> None:
    put(queue, "conv-a", "a1")
    (first,) = receive(queue)
    clock.advance(VISIBILITY_S)
    (second,) = receive(queue)

    assert queue.delete(first.receipt) is False
    assert queue.delete(second.receipt) is True
    assert queue.stats().pending == 0


def test_unknown_receipt_cannot_delete(queue: SqliteQueue) -> None:
    assert queue.delete("no-such-receipt") is False


def test_release_makes_message_receivable(queue: SqliteQueue) -> None:
    put(queue, "conv-a", "a1")
    (first,) = receive(queue)

    assert queue.release(first.receipt) is True
    (again,) = receive(queue)

    assert again.body == "a1"
    assert again.receive_count == 2


def test_release_with_delay_waits(queue: SqliteQueue, clock: ManualClock) -> None:
    put(queue, "conv-a", "a1")
    (first,) = receive(queue)

    queue.release(first.receipt, delay_s=20)

    clock.advance(19)
    assert receive(queue) == []
    clock.advance(1)
    assert bodies(receive(queue)) == ["a1"]


def test_released_receipt_is_spent(queue: SqliteQueue) -> None:
    put(queue, "conv-a", "a1")
    (first,) = receive(queue)
    queue.release(first.receipt)

    assert queue.release(first.receipt) is False
    assert queue.delete(first.receipt) is False


# --- dead letters and retention --------------------------------------------------------------


def test_max_receives_dead_letters_and_exposes_next(queue: SqliteQueue, clock: ManualClock) -> None:
    put(queue, "conv-a", "a1")
    put(queue, "conv-a", "a2")
    for expected_count in range(1, MAX_RECEIVES + 1):
        (message,) = receive(queue)
        assert message.body == "a1"
        assert message.receive_count == expected_count
        clock.advance(VISIBILITY_S)

    messages = receive(queue)

    assert bodies(messages) == ["a2"]
    assert messages[0].receive_count == 1
    assert queue.stats().dead_lettered == 1
    (dead,) = queue.dead_letters()
    assert dead["reason"] == "max_receives_exceeded"
    assert dead["receive_count"] == MAX_RECEIVES
    assert dead["group_id"] == "conv-a"


def test_dead_letter_moves_in_flight_message(queue: SqliteQueue) -> None:
    put(queue, "conv-a", "a1")
    put(queue, "conv-a", "a2")
    (message,) = receive(queue)

    assert queue.dead_letter(message.receipt, reason="permanent_error") is True

    assert queue.stats().dead_lettered == 1
    assert queue.dead_letters()[0]["reason"] == "permanent_error"
    assert bodies(receive(queue)) == ["a2"]


def test_dead_letter_unknown_receipt_fails(queue: SqliteQueue) -> None:
    assert queue.dead_letter("no-such-receipt", reason="permanent_error") is False
    assert queue.stats().dead_lettered == 0


def test_retention_expiry_dead_letters(queue: SqliteQueue, clock: ManualClock) -> None:
    put(queue, "conv-a", "a1")

    clock.advance(RETENTION_S + 1)
    messages = receive(queue)

    assert messages == []
    assert queue.stats().dead_lettered == 1
    assert queue.stats().pending == 0
    assert queue.dead_letters()[0]["reason"] == "retention_expired"


def test_message_within_retention_delivers(queue: SqliteQueue, clock: ManualClock) -> None:
    put(queue, "conv-a", "a1")

    clock.advance(RETENTION_S - 1)

    assert bodies(receive(queue)) == ["a1"]


# --- dedup -------------------------------------------------------------------------------------


def test_duplicate_key_stored_once(queue: SqliteQueue) -> None:
    first = queue.enqueue(group_id="conv-a", dedup_key="k1", body="first")
    second = queue.enqueue(group_id="conv-a", dedup_key="k1", body="second")

    assert first is EnqueueOutcome.ENQUEUED
    assert second is EnqueueOutcome.DUPLICATE
    assert queue.stats().pending == 1
    assert bodies(receive(queue)) == ["first"]


def test_duplicate_after_delete_still_rejected(queue: SqliteQueue, clock: ManualClock) -> None:
    queue.enqueue(group_id="conv-a", dedup_key="k1", body="first")
    (message,) = receive(queue)
    queue.delete(message.receipt)

    clock.advance(DEDUP_WINDOW_S - 1)
    outcome = queue.enqueue(group_id="conv-a", dedup_key="k1", body="again")

    assert outcome is EnqueueOutcome.DUPLICATE
    assert queue.stats().pending == 0


def test_key_accepted_after_dedup_window(queue: SqliteQueue, clock: ManualClock) -> None:
    queue.enqueue(group_id="conv-a", dedup_key="k1", body="first")

    clock.advance(DEDUP_WINDOW_S)
    outcome = queue.enqueue(group_id="conv-a", dedup_key="k1", body="later")

    assert outcome is EnqueueOutcome.ENQUEUED
    assert queue.stats().pending == 2


def test_purge_dedup_forgets_old_keys(queue: SqliteQueue, clock: ManualClock) -> None:
    queue.enqueue(group_id="conv-a", dedup_key="old", body="x")
    clock.advance(DEDUP_WINDOW_S + 1)
    queue.enqueue(group_id="conv-a", dedup_key="new", body="y")

    assert queue.purge_dedup() == 1


# --- durability --------------------------------------------------------------------------------


def test_messages_survive_reopen(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "q.sqlite3"
    first_db = Database(path)
    put(make_queue(first_db, clock), "conv-a", "a1")
    put(make_queue(first_db, clock), "conv-b", "b1")
    first_db.close()

    second_db = Database(path)
    reopened = make_queue(second_db, clock)
    try:
        assert reopened.stats().pending == 2
        assert bodies(receive(reopened)) == ["a1", "b1"]
    finally:
        second_db.close()


def test_dedup_survives_reopen(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "q.sqlite3"
    first_db = Database(path)
    make_queue(first_db, clock).enqueue(group_id="conv-a", dedup_key="k1", body="x")
    first_db.close()

    second_db = Database(path)
    try:
        outcome = make_queue(second_db, clock).enqueue(group_id="conv-a", dedup_key="k1", body="x")
        assert outcome is EnqueueOutcome.DUPLICATE
    finally:
        second_db.close()


def test_in_flight_state_survives_reopen(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "q.sqlite3"
    first_db = Database(path)
    put(make_queue(first_db, clock), "conv-a", "a1")
    receive(make_queue(first_db, clock))
    first_db.close()

    second_db = Database(path)
    reopened = make_queue(second_db, clock)
    try:
        assert receive(reopened) == []
        clock.advance(VISIBILITY_S)
        (message,) = receive(reopened)
        assert message.receive_count == 2
    finally:
        second_db.close()


def test_ping_fails_without_queue_table(queue: SqliteQueue, database: Database) -> None:
    queue.ping()
    database.connection().execute("DROP TABLE queue_messages")

    with pytest.raises(sqlite3.OperationalError):
        queue.ping()
