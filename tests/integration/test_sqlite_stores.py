"""SQLite stores: idempotency leases, conversation state, decision log and runtime flags."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from richpanel_middleware.pipeline.ports import ClaimOutcome, ConversationState
from richpanel_middleware.policy.config import Flags
from richpanel_middleware.runtime.local.sqlite_db import Database
from richpanel_middleware.runtime.local.sqlite_stores import (
    SqliteConversationStore,
    SqliteDecisionLog,
    SqliteFlagSource,
    SqliteIdempotencyStore,
)
from tests.integration.conftest import ManualClock

LEASE_S = 60.0
RETENTION_S = 3600.0
TTL_S = 600.0


@pytest.fixture
def keys(database: Database, clock: ManualClock) -> SqliteIdempotencyStore:
    return SqliteIdempotencyStore(database, retention_s=RETENTION_S, clock=lambda: clock())


@pytest.fixture
def conversations(database: Database, clock: ManualClock) -> SqliteConversationStore:
    return SqliteConversationStore(database, clock=lambda: clock())


def flag_source(database: Database, defaults: Flags | None = None) -> SqliteFlagSource:
    # cache_s=0 so that every load reads the table.
    return SqliteFlagSource(database, defaults=defaults or Flags(), cache_s=0)


# --- idempotency -------------------------------------------------------------------------------


def test_first_claim_is_claimed(keys: SqliteIdempotencyStore) -> None:
    assert keys.claim("event-1", lease_s=LEASE_S) is ClaimOutcome.CLAIMED
    assert keys.status("event-1") == "IN_PROGRESS"


def test_second_claim_in_lease_is_in_progress(keys: SqliteIdempotencyStore) -> None:
    keys.claim("event-1", lease_s=LEASE_S)

    assert keys.claim("event-1", lease_s=LEASE_S) is ClaimOutcome.IN_PROGRESS


def test_completed_key_reports_completed(keys: SqliteIdempotencyStore) -> None:
    keys.claim("event-1", lease_s=LEASE_S)

    keys.complete("event-1", result="replied")

    assert keys.claim("event-1", lease_s=LEASE_S) is ClaimOutcome.COMPLETED
    assert keys.status("event-1") == "COMPLETED"


def test_completed_key_stays_completed_after_lease(
    keys: SqliteIdempotencyStore, clock: ManualClock
) -> None:
    keys.claim("event-1", lease_s=LEASE_S)
    keys.complete("event-1")

    clock.advance(LEASE_S * 10)

    assert keys.claim("event-1", lease_s=LEASE_S) is ClaimOutcome.COMPLETED


def test_expired_lease_is_reclaimed(keys: SqliteIdempotencyStore, clock: ManualClock) -> None:
    keys.claim("event-1", lease_s=LEASE_S)

    clock.advance(LEASE_S - 1)
    assert keys.claim("event-1", lease_s=LEASE_S) is ClaimOutcome.IN_PROGRESS
    clock.advance(1)

    assert keys.claim("event-1", lease_s=LEASE_S) is ClaimOutcome.RECLAIMED


def test_reclaim_starts_new_lease(keys: SqliteIdempotencyStore, clock: ManualClock) -> None:
    keys.claim("event-1", lease_s=LEASE_S)
    clock.advance(LEASE_S)
    keys.claim("event-1", lease_s=LEASE_S)

    clock.advance(LEASE_S - 1)

    assert keys.claim("event-1", lease_s=LEASE_S) is ClaimOutcome.IN_PROGRESS


def test_released_key_can_be_claimed(keys: SqliteIdempotencyStore) -> None:
    keys.claim("event-1", lease_s=LEASE_S)

    keys.release("event-1")

    assert keys.status("event-1") is None
    assert keys.claim("event-1", lease_s=LEASE_S) is ClaimOutcome.CLAIMED


def test_release_keeps_completed_key(keys: SqliteIdempotencyStore) -> None:
    keys.claim("event-1", lease_s=LEASE_S)
    keys.complete("event-1")

    keys.release("event-1")

    assert keys.claim("event-1", lease_s=LEASE_S) is ClaimOutcome.COMPLETED


def test_completed_key_forgotten_after_retention(
    keys: SqliteIdempotencyStore, clock: ManualClock
) -> None:
    keys.claim("event-1", lease_s=LEASE_S)
    keys.complete("event-1")

    clock.advance(RETENTION_S)

    assert keys.claim("event-1", lease_s=LEASE_S) is ClaimOutcome.CLAIMED


def test_keys_are_independent(keys: SqliteIdempotencyStore) -> None:
    keys.claim("event-1", lease_s=LEASE_S)
    keys.complete("event-1")

    assert keys.claim("event-1:reply", lease_s=LEASE_S) is ClaimOutcome.CLAIMED


def test_claims_survive_reopen(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "stores.sqlite3"
    first = Database(path)
    SqliteIdempotencyStore(first, clock=lambda: clock()).complete("event-1")
    first.close()

    second = Database(path)
    try:
        store = SqliteIdempotencyStore(second, clock=lambda: clock())
        assert store.claim("event-1", lease_s=LEASE_S) is ClaimOutcome.COMPLETED
    finally:
        second.close()


# --- conversation state ------------------------------------------------------------------------


def test_state_round_trips(conversations: SqliteConversationStore) -> None:
    reply_times = (
        datetime(2024, 5, 6, 10, 0, tzinfo=UTC),
        datetime(2024, 5, 6, 11, 30, 15, 250000, tzinfo=UTC),
    )
    state = ConversationState(
        conversation_id="conv-1",
        auto_reply_times=reply_times,
        replied_message_ids=("m-1", "m-2"),
        auto_closed_at=datetime(2024, 5, 6, 11, 31, tzinfo=UTC),
    )

    conversations.put(state, ttl_s=TTL_S)

    assert conversations.get("conv-1") == state


def test_state_without_close_round_trips(conversations: SqliteConversationStore) -> None:
    state = ConversationState(conversation_id="conv-1")

    conversations.put(state, ttl_s=TTL_S)

    loaded = conversations.get("conv-1")
    assert loaded == state
    assert loaded is not None
    assert loaded.auto_closed_at is None


def test_state_keeps_time_zone(conversations: SqliteConversationStore) -> None:
    closed = datetime(2024, 5, 6, 11, 31, tzinfo=UTC)
    conversations.put(ConversationState("conv-1", auto_closed_at=closed), ttl_s=TTL_S)

    loaded = conversations.get("conv-1")

    assert loaded is not None
    assert loaded.auto_closed_at is not None
    assert loaded.auto_closed_at.utcoffset() == timedelta(0)


def test_unknown_conversation_returns_none(conversations: SqliteConversationStore) -> None:
    assert conversations.get("conv-404") is None


def test_state_expires_after_ttl(
    conversations: SqliteConversationStore, clock: ManualClock
) -> None:
    conversations.put(ConversationState("conv-1", replied_message_ids=("m-1",)), ttl_s=TTL_S)

    clock.advance(TTL_S - 1)
    assert conversations.get("conv-1") is not None
    clock.advance(1)

    assert conversations.get("conv-1") is None


def test_put_replaces_state_and_ttl(
    conversations: SqliteConversationStore, clock: ManualClock
) -> None:
    conversations.put(ConversationState("conv-1", replied_message_ids=("m-1",)), ttl_s=TTL_S)
    clock.advance(TTL_S - 1)

    conversations.put(ConversationState("conv-1", replied_message_ids=("m-1", "m-2")), ttl_s=TTL_S)
    clock.advance(TTL_S - 1)

    loaded = conversations.get("conv-1")
    assert loaded is not None
    assert loaded.replied_message_ids == ("m-1", "m-2")


# --- decision log ------------------------------------------------------------------------------


def test_decisions_count_by_outcome(database: Database, clock: ManualClock) -> None:
    log = SqliteDecisionLog(database, clock=lambda: clock())

    log.record(event_key="e1", conversation_id="conv-1", record={"outcome": "replied"})
    log.record(event_key="e2", conversation_id="conv-1", record={"outcome": "routed"})
    log.record(event_key="e3", conversation_id="conv-2", record={"outcome": "routed"})

    assert log.count_by_outcome() == {"replied": 1, "routed": 2}
    assert log.latest_for("conv-1") == {"outcome": "routed"}
    assert len(log.all_records()) == 3


def test_no_decision_returns_none(database: Database) -> None:
    assert SqliteDecisionLog(database).latest_for("conv-404") is None


# --- runtime flags -----------------------------------------------------------------------------


def test_flags_default_to_given_defaults(database: Database) -> None:
    defaults = Flags(automation_channels=["email"], tier2_rollout_percent=10)

    flags = flag_source(database, defaults).load()

    assert flags == defaults


def test_set_overrides_default(database: Database) -> None:
    source = flag_source(database)

    returned = source.set("safe_mode", True)

    assert returned.safe_mode is True
    assert source.load().safe_mode is True
    assert source.load().automation_enabled is True


def test_override_visible_to_new_source(database: Database) -> None:
    flag_source(database).set("automation_channels", ["email"])

    assert flag_source(database).load().automation_channels == ["email"]


def test_template_switch_can_be_set(database: Database) -> None:
    source = flag_source(database)

    source.set("template_enabled", {"t_pre_purchase_info": False})

    assert source.load().template_enabled == {"t_pre_purchase_info": False}


def test_invalid_value_names_flag(database: Database) -> None:
    source = flag_source(database)

    with pytest.raises(ValueError, match="tier2_rollout_percent"):
        source.set("tier2_rollout_percent", 150)

    assert source.load().tier2_rollout_percent == 0


def test_invalid_boolean_names_flag(database: Database) -> None:
    with pytest.raises(ValueError, match="automation_enabled"):
        flag_source(database).set("automation_enabled", "sometimes")


def test_unknown_flag_is_rejected(database: Database) -> None:
    with pytest.raises(ValueError, match="unknown flag 'turbo_mode'"):
        flag_source(database).set("turbo_mode", True)


def test_version_is_not_a_flag(database: Database) -> None:
    with pytest.raises(ValueError, match="unknown flag 'version'"):
        flag_source(database).set("version", 2)


def test_names_exclude_version() -> None:
    names = SqliteFlagSource.names()

    assert "version" not in names
    assert "automation_enabled" in names


def test_unreadable_store_returns_safe_flags(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    source = flag_source(database)
    source.set("safe_mode", False)
    database.connection().execute("DROP TABLE flags")

    with caplog.at_level(logging.ERROR):
        flags = source.load()

    assert flags == Flags.safe()
    assert flags.automation_enabled is False
    assert flags.safe_mode is True
    assert "safe mode" in caplog.text


def test_corrupt_stored_value_returns_safe_flags(database: Database) -> None:
    database.connection().execute(
        "INSERT INTO flags (name, value, updated_at) VALUES ('safe_mode', 'not json', 0)"
    )

    assert flag_source(database).load() == Flags.safe()


def test_flags_are_cached(database: Database, clock: ManualClock) -> None:
    source = SqliteFlagSource(database, defaults=Flags(), cache_s=5.0, clock=lambda: clock())
    source.load()
    flag_source(database).set("shadow_mode", True)

    cached = source.load()
    clock.advance(5.0)
    refreshed = source.load()

    assert cached.shadow_mode is False
    assert refreshed.shadow_mode is True
