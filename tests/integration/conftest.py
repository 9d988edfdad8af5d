"""Fixtures shared by the SQLite adapter tests: a manual clock and a database file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from richpanel_middleware.runtime.local.sqlite_db import Database


class ManualClock:
    """A wall clock in seconds that moves only when a test advances it."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.times = [start]

    def __call__(self) -> float:
        return self.times[0]

    def advance(self, seconds: float) -> None:
        self.times[0] += seconds


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = Database(tmp_path / "adapters.sqlite3")
    yield db
    db.close()
