"""Fixtures of the sources tests: a registry with one extra source, a real SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from truceline.observations.model import Credibility, Reliability, SourceType
from truceline.sources.registry import BUILTIN_SOURCES, Source, SourceRegistry
from truceline.store import Store, open_store


@pytest.fixture
def received_at() -> datetime:
    """A fixed reception time, so that results do not depend on the clock."""
    return datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def registry() -> SourceRegistry:
    """The built-in sources and a mission UAV."""
    uav = Source(
        id="uav-1",
        name="Mission UAV 1",
        operator="Mission UAV wing",
        type=SourceType.UAV,
        reliability=Reliability.B,
        credibility=Credibility.PROBABLY_TRUE,
    )
    return SourceRegistry([*BUILTIN_SOURCES, uav])


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A real SQLite store in a temporary folder."""
    opened = open_store(tmp_path / "store.sqlite")
    try:
        yield opened
    finally:
        opened.close()
