"""Everything that differs between database backends, in one place.

The tables and queries are plain SQLAlchemy Core; only opening a connection, starting a
write transaction, "insert unless the key is there", refreshing the planner's statistics
and reading the driver's error messages depend on the backend.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Insert, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import StaticPool

from truceline.errors import StoreError

BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for another process's write to finish."""

_WRITE = "truceline_write"

_RETRY_FIRST_S = 0.001
_RETRY_MAX_S = 0.05
"""Back-off between attempts to switch a file to WAL while another connection writes it."""


def sqlite_engine(path: Path | None) -> Engine:
    """An engine on one SQLite file (None: a private in-memory database).

    Every connection gets WAL journaling, foreign keys and a busy timeout; transactions
    are started by us, writes with BEGIN IMMEDIATE so that two writers queue instead of
    failing on a lock upgrade.
    """
    if path is None:
        engine = create_engine(
            "sqlite://",
            poolclass=StaticPool,
            connect_args={"check_same_thread": False},
        )
    else:
        engine = create_engine(
            "sqlite:///" + str(path),
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000},
        )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if path is not None:
                _switch_to_wal(cursor)
                cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA cache_size = -65536")
            cursor.execute("PRAGMA temp_store = MEMORY")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    return exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY


def _switch_to_wal(cursor: sqlite3.Cursor) -> None:
    """Put the file in WAL mode, waiting up to the busy timeout for other writers.

    Switching reads the file header and then rewrites it, upgrading a read to a write. SQLite
    never waits on such an upgrade (it could deadlock), so while another connection writes a
    file still in rollback mode (a new store being created) the pragma fails with
    SQLITE_BUSY at once, busy timeout or not. It is retried here instead; once the header
    says WAL, the pragma no longer writes and cannot fail this way.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    delay = _RETRY_FIRST_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL").fetchall()
            return
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(2 * delay, _RETRY_MAX_S)


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection inside a write transaction, committed on success."""
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE: True})
        with conn.begin():
            yield conn


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection inside a read transaction: one consistent snapshot."""
    with engine.connect() as conn, conn.begin():
        yield conn


def insert_ignoring_existing(conn: Connection, table: Table) -> Insert:
    """INSERT that skips rows whose primary key is already stored."""
    keys = [c.name for c in table.primary_key.columns]
    name = conn.dialect.name
    if name == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=keys)
    if name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=keys)
    raise StoreError(f"database backend {name!r} is not supported; use SQLite or PostgreSQL")


def execute_many(conn: Connection, stmt: Insert, rows: Sequence[Sequence[Any]]) -> int:
    """Run an INSERT for many rows given as tuples in the table's column order; returns the
    number of rows written.

    With a positional driver (SQLite) the compiled statement goes to the driver's
    executemany directly, skipping SQLAlchemy's per-row parameter handling, which costs
    more than SQLite's own work on large batches.
    """
    if not rows:
        return 0
    compiled = stmt.compile(dialect=conn.dialect)
    names = [c.name for c in stmt.table.columns]
    if compiled.positiontup is not None and list(compiled.positiontup) == names:
        return conn.exec_driver_sql(str(compiled), list(rows)).rowcount
    return conn.execute(stmt, [dict(zip(names, row, strict=True)) for row in rows]).rowcount


def upsert(conn: Connection, table: Table) -> Insert:
    """INSERT that replaces the non-key columns of rows whose primary key is stored."""
    keys = [c.name for c in table.primary_key.columns]
    name = conn.dialect.name
    stmt: sqlite.Insert | postgresql.Insert
    if name == "sqlite":
        stmt = sqlite.insert(table)
    elif name == "postgresql":
        stmt = postgresql.insert(table)
    else:
        raise StoreError(f"database backend {name!r} is not supported; use SQLite or PostgreSQL")
    update = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
    return stmt.on_conflict_do_update(index_elements=keys, set_=update)


def refresh_statistics(conn: Connection, table: Table) -> None:
    """Let the query planner see how a table's values are spread after a large load."""
    name = conn.dialect.identifier_preparer.quote(table.name)
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA analysis_limit = 1000")
    conn.exec_driver_sql(f"ANALYZE {name}")


def store_error(name: str, action: str, exc: DBAPIError) -> StoreError:
    """A StoreError saying what went wrong with the database and what to do about it."""
    detail = str(exc.orig) if exc.orig is not None else str(exc)
    low = detail.lower()
    if "not a database" in low:
        return StoreError(
            f"cannot open store {name!r}: {detail}; give --db a new path or a Truceline store"
        )
    if "malformed" in low or "corrupt" in low:
        return StoreError(
            f"store {name!r}: cannot {action}: the file is damaged ({detail}); restore it "
            "from a backup, or give --db a new path"
        )
    code = getattr(exc.orig, "sqlite_errorcode", None)
    if code == sqlite3.SQLITE_BUSY_SNAPSHOT:
        # Returned at once, without waiting: a read transaction tried to write after
        # another connection had written.
        return StoreError(
            f"store {name!r}: cannot {action}: another process changed it after this "
            "transaction began reading; run it again (write transactions must start with "
            "BEGIN IMMEDIATE)"
        )
    if "locked" in low or "busy" in low:
        return StoreError(
            f"store {name!r}: cannot {action}: another process held it locked for more than "
            f"{BUSY_TIMEOUT_MS // 1000} s; try again when it has finished"
        )
    if "unable to open" in low:
        return StoreError(
            f"cannot open store {name!r}: {detail}; check that its folder exists and is writable"
        )
    if "readonly" in low or "read-only" in low:
        return StoreError(
            f"store {name!r}: cannot {action}: the file is read-only; check its permissions"
        )
    if "full" in low:
        return StoreError(f"store {name!r}: cannot {action}: {detail}; free some disk space")
    return StoreError(f"store {name!r}: cannot {action}: {detail}")
