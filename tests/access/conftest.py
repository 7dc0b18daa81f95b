"""Fixtures of the access tests: a plain SQLite file (the store backends, a SQLite file and
a fresh PostgreSQL schema, come from tests/store_backends.py through tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def sqlite_target(tmp_path: Path) -> str:
    """A new SQLite store file, for tests whose subject does not depend on the backend."""
    return str(tmp_path / "access.sqlite")
