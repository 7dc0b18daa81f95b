"""The store: everything Truceline keeps, queryable. SQLite now, PostgreSQL later.

with open_store("truceline.sqlite") as store:
    store.add_observations(batch)
    recent = store.observations(window=TimeWindow(start, end))
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from truceline.errors import StoreError
from truceline.store.base import BBox, Store, TimeWindow
from truceline.store.dialect import sqlite_engine
from truceline.store.sql_store import SqlStore

__all__ = ["BBox", "Store", "TimeWindow", "open_store"]

MEMORY = ":memory:"
"""Target of a private in-memory store, gone when closed (for tests and trials)."""


def _sqlite_path(target: str | Path) -> Path | None:
    """The SQLite file a target names; None for an in-memory store."""
    if isinstance(target, Path):
        return target
    if target == MEMORY:
        return None
    if "://" not in target:
        return Path(target)
    try:
        url = make_url(target)
    except ArgumentError:
        raise StoreError(
            f"cannot open store {target!r}: not a valid database URL; give a file path or "
            "sqlite:///path"
        ) from None
    if url.get_backend_name() != "sqlite":
        raise StoreError(
            f"cannot open store {target!r}: the {url.get_backend_name()!r} backend is not "
            "supported yet; give a path to a SQLite file"
        )
    if not url.database or url.database == MEMORY:
        return None
    return Path(url.database)


def open_store(target: str | Path, *, create: bool = True) -> Store:
    """Open the store at a path or URL, migrating its schema forward.

    A path or "sqlite:///path" opens a SQLite file, created when missing if `create`;
    ":memory:" (or "sqlite://") a private in-memory store. Raises StoreError with what to do
    when the target cannot be opened.
    """
    name = str(target)
    path = _sqlite_path(target)
    if path is not None:
        if path.is_dir():
            raise StoreError(f"cannot open store {name!r}: it is a folder; give a file path")
        if not path.exists():
            if not create:
                raise StoreError(
                    f"cannot open store {name!r}: no such file; check the path, or create "
                    "the store first"
                )
            if not path.parent.is_dir():
                raise StoreError(
                    f"cannot create store {name!r}: folder {str(path.parent)!r} does not "
                    "exist; create it first"
                )
    return SqlStore(sqlite_engine(path), name)
