"""The store: everything Truceline keeps, queryable. SQLite on one machine, PostgreSQL with
PostGIS for a service.

with open_store("truceline.sqlite") as store:
    store.add_observations(batch)
    recent = store.observations(window=TimeWindow(start, end))

with open_store("postgresql://user@host/truceline?schema=mission") as store:
    ...
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from truceline.errors import StoreError
from truceline.store.base import BBox, Store, TimeWindow
from truceline.store.dialect import (
    DEFAULT_SCHEMA,
    display_name,
    postgresql_engine,
    postgresql_url,
    quoted,
    schema_of,
    sqlite_engine,
    store_error,
    table_names,
)
from truceline.store.sql_store import SqlStore

__all__ = [
    "BBox",
    "Store",
    "TimeWindow",
    "delete_store",
    "is_url",
    "open_store",
    "store_engine",
    "store_exists",
]

MEMORY = ":memory:"
"""Target of a private in-memory store, gone when closed (for tests and trials)."""

_POSTGRESQL_SCHEMES = ("postgresql", "postgres")


def is_url(target: str | Path) -> bool:
    """Whether a store target is a database URL rather than a file path."""
    return isinstance(target, str) and "://" in target


def _is_postgresql(target: str | Path) -> bool:
    if not is_url(target):
        return False
    scheme = str(target).split("://", 1)[0].split("+", 1)[0].lower()
    return scheme in _POSTGRESQL_SCHEMES


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
            f"cannot open store {target!r}: not a valid database URL; give a file path, "
            "sqlite:///path or postgresql://USER@HOST:PORT/DATABASE?schema=NAME"
        ) from None
    if url.get_backend_name() != "sqlite":
        raise StoreError(
            f"cannot open store {target!r}: the {url.get_backend_name()!r} backend is not "
            "supported; give a path to a SQLite file, sqlite:///path or a postgresql:// URL"
        )
    if not url.database or url.database == MEMORY:
        return None
    return Path(url.database)


def store_engine(target: str | Path, *, create: bool = True) -> tuple[Engine, str]:
    """The SQLAlchemy engine for a store target, and the name to show for it.

    A path (or sqlite:///path) gives a SQLite engine, after checking the file (or, when
    `create`, its folder) is there; a postgresql:// URL a pooled psycopg 3 engine, the URL's
    password hidden in the name. Nothing is opened yet.
    """
    if _is_postgresql(target):
        url = postgresql_url(str(target))
        return postgresql_engine(url), display_name(url)
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
    return sqlite_engine(path), name


def open_store(target: str | Path, *, create: bool = True) -> Store:
    """Open the store at a path or URL, migrating its schema forward.

    A path or "sqlite:///path" opens a SQLite file, created when missing if `create`;
    ":memory:" (or "sqlite://") a private in-memory store;
    "postgresql://USER@HOST:PORT/DATABASE?schema=NAME" (also postgres:// or
    postgresql+DRIVER://, always used through psycopg 3) the store in that schema of a
    PostgreSQL database with PostGIS, schema "public" when none is named, created when
    missing if `create`. Raises StoreError with what to do when the target cannot be opened.
    """
    engine, name = store_engine(target, create=create)
    return SqlStore(engine, name, create=create)


def store_exists(target: str | Path) -> bool:
    """Whether a store (or, for a path, any file) is at the target, without creating one."""
    if not _is_postgresql(target):
        path = _sqlite_path(target)
        return path is not None and path.exists()
    engine, name = store_engine(target)
    schema = schema_of(engine) or DEFAULT_SCHEMA
    try:
        with engine.connect() as conn:
            return "schema_migrations" in table_names(conn, schema)
    except DBAPIError as exc:
        raise store_error(name, "look for the store", exc) from None
    finally:
        engine.dispose()


def delete_store(target: str | Path) -> None:
    """Delete the store at a target: a SQLite file with its journal files; in PostgreSQL,
    the store's tables in its schema, then the schema if it is left empty (never "public").

    Refuses a PostgreSQL schema that holds tables other than a Truceline store's, or no
    store at all, and deletes nothing then.
    """
    if not _is_postgresql(target):
        path = _sqlite_path(target)
        if path is None:
            return
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    from truceline.store.tables import metadata, schema_migrations

    engine, name = store_engine(target)
    schema = schema_of(engine) or DEFAULT_SCHEMA
    ours = {t.name for t in metadata.sorted_tables}
    try:
        with engine.begin() as conn:
            found = set(table_names(conn, schema))
            if schema_migrations.name not in found:
                raise StoreError(
                    f"cannot delete store {name!r}: schema {schema!r} holds no Truceline "
                    "store; nothing was deleted"
                )
            others = sorted(found - ours)
            if others:
                raise StoreError(
                    f"cannot delete store {name!r}: schema {schema!r} also holds tables "
                    f"that are not the store's ({', '.join(others[:5])}); nothing was "
                    "deleted: remove them yourself or use another schema"
                )
            for table in reversed(metadata.sorted_tables):
                conn.exec_driver_sql(
                    f"DROP TABLE IF EXISTS {quoted(conn, schema)}.{quoted(conn, table.name)}"
                )
            # The function behind the ledger's append-only triggers (migration 4).
            conn.exec_driver_sql(
                f"DROP FUNCTION IF EXISTS {quoted(conn, schema)}.ledger_refuse_change()"
            )
            if schema != DEFAULT_SCHEMA:
                left = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_class c JOIN pg_namespace n "
                        "ON n.oid = c.relnamespace WHERE n.nspname = :schema"
                    ),
                    {"schema": schema},
                ).scalar_one()
                if not left:
                    conn.exec_driver_sql(f"DROP SCHEMA {quoted(conn, schema)}")
    except DBAPIError as exc:
        raise store_error(name, "delete the store", exc) from None
    finally:
        engine.dispose()
