"""Every behavioural test runs against each store implementation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mmtkit.store import MemoryStore, SqliteStore, Store

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite-file", "sqlite-memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    made: Store
    if request.param == "memory":
        made = MemoryStore()
    elif request.param == "sqlite-file":
        made = SqliteStore(tmp_path / "store.db")
    else:
        made = SqliteStore(":memory:")
    yield made
    made.close()
