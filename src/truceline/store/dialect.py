"""Everything that differs between database backends, in one place.

The tables and queries are plain SQLAlchemy Core; only opening a connection, starting a
transaction, "insert unless the key is there", bulk loading, the spatial column and its
box query, refreshing the planner's statistics and reading the driver's error messages
depend on the backend.

Two backends: SQLite (one file, one machine) and PostgreSQL with PostGIS (through psycopg 3
and SQLAlchemy's connection pool), where each store lives in one schema of a database.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    URL,
    ColumnElement,
    Connection,
    Engine,
    Insert,
    String,
    Table,
    and_,
    create_engine,
    event,
    func,
    inspect,
    literal_column,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeEngine, UserDefinedType

from truceline.errors import StoreError

BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for another process's write to finish; also how long a
PostgreSQL writer keeps retrying a transaction that conflicted with another one."""

_WRITE = "truceline_write"

_RETRY_FIRST_S = 0.001
_RETRY_MAX_S = 0.05
"""Back-off between attempts to switch a file to WAL while another connection writes it."""

# PostgreSQL

POOL_SIZE = 5
"""Connections a PostgreSQL store keeps open."""

POOL_OVERFLOW = 10
"""Extra connections a PostgreSQL store may open under load, closed when returned."""

POOL_TIMEOUT_S = 30
"""How long a thread waits for a free connection before the call fails."""

CONNECT_TIMEOUT_S = 10
"""How long to wait for the PostgreSQL server to answer a new connection."""

SCHEMA_PARAMETER = "schema"
"""The URL query parameter naming the PostgreSQL schema that holds a store."""

DEFAULT_SCHEMA = "public"

SRID = 4326
"""WGS 84 longitude/latitude: the spatial reference of the point columns."""

POINT_COLUMN = "geom"
"""The PostGIS point column added beside `lon` and `lat` on PostgreSQL."""

POINT_TABLES = ("observations", "incidents")
"""Tables with `lon`/`lat` columns that get a PostGIS point on PostgreSQL."""

POSTGIS_PACKAGE = "postgresql-15-postgis-3"
"""The Debian/Ubuntu package that provides PostGIS 3 for PostgreSQL 15."""

_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")

# One key for every Truceline process: opening a store (creating its schema, the PostGIS
# extension, the tables) runs under this transaction-level advisory lock.
_OPEN_LOCK = 0x7472_7563_656C_696E  # "truceline" in ASCII, cut to 63 bits

_RETRYABLE_STATES = frozenset({"40001", "40P01"})  # serialization failure, deadlock


CODE = String().with_variant(String(collation="C"), "postgresql")
"""Identifiers and codes: VARCHAR, compared byte by byte on PostgreSQL (COLLATE "C"), so
that ids sort as Python sorts them and as SQLite sorts them, whatever the database's locale."""


class Point(UserDefinedType[Any]):
    """PostGIS `geometry(Point, 4326)`; only ever written by the database itself."""

    cache_ok = True

    def __init__(self, *_spec: Any, **_kw: Any) -> None:
        """Reflection passes the type's arguments ("Point", "4326"); there is one kind."""

    def get_col_spec(self, **kw: Any) -> str:
        return f"geometry(Point,{SRID})"


# psycopg logs a warning when a batch sent in pipeline mode is abandoned after an error; a
# conflict that is retried is not worth one on the terminal of a program that set up no
# logging (with logging configured, the warning goes where the program sends it).
logging.getLogger("psycopg").addHandler(logging.NullHandler())

# Teach SQLAlchemy's PostgreSQL reflection the PostGIS type, so that inspecting a store's
# tables does not warn about an unknown type (what GeoAlchemy2 does for the full type).
postgresql.base.ischema_names.setdefault("geometry", Point)


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


# PostgreSQL targets


def postgresql_url(target: str) -> URL:
    """The URL of a PostgreSQL store, on the psycopg 3 driver, its schema checked.

    Accepts postgresql://, postgres:// and postgresql+DRIVER://; `?schema=NAME` names the
    schema that holds the store (default "public").
    """
    try:
        url = make_url("postgresql://" + target.split("://", 1)[1]).set(
            drivername="postgresql+psycopg"
        )
    except (ArgumentError, ValueError, IndexError):
        raise StoreError(
            f"cannot open store {target!r}: not a valid database URL; give "
            "postgresql://USER@HOST:PORT/DATABASE?schema=NAME"
        ) from None
    if not url.database:
        raise StoreError(
            f"cannot open store {display_name(url)!r}: the URL names no database; give "
            "postgresql://USER@HOST:PORT/DATABASE?schema=NAME"
        )
    if "search_path" in str(url.query.get("options", "")):
        raise StoreError(
            f"cannot open store {display_name(url)!r}: the URL sets search_path in its "
            "options; name the store's schema with ?schema=NAME instead"
        )
    schema = url.query.get(SCHEMA_PARAMETER, DEFAULT_SCHEMA)
    if not isinstance(schema, str) or not _SCHEMA_NAME.fullmatch(schema):
        raise StoreError(
            f"cannot open store {display_name(url)!r}: schema {schema!r} is not a plain name; "
            "give ?schema= once, with lower-case letters, digits and _ (at most 63, not "
            "starting with a digit)"
        )
    if schema.startswith("pg_") or schema == "information_schema":
        raise StoreError(
            f"cannot open store {display_name(url)!r}: schema {schema!r} belongs to "
            "PostgreSQL itself; choose another ?schema= name"
        )
    return url


def display_name(url: URL) -> str:
    """A URL as it may be shown: without its password."""
    return url.render_as_string(hide_password=True)


def schema_of(engine: Engine) -> str | None:
    """The PostgreSQL schema holding the store of an engine; None on SQLite."""
    if engine.dialect.name != "postgresql":
        return None
    return _schema_of_url(engine.url)


def _schema_of_url(url: URL) -> str:
    schema = url.query.get(SCHEMA_PARAMETER, DEFAULT_SCHEMA)
    return schema if isinstance(schema, str) else DEFAULT_SCHEMA


def postgresql_engine(url: URL) -> Engine:
    """An engine on a PostgreSQL database through psycopg 3, with a sized connection pool.

    SQLAlchemy's QueuePool keeps up to POOL_SIZE connections (POOL_OVERFLOW more under
    load) and checks each one with a ping before handing it out, so a restarted server
    costs one failed ping rather than a failed call. Every connection searches the store's
    schema first, then the schema holding PostGIS.
    """
    schema = _schema_of_url(url)
    engine = create_engine(
        url,
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
        pool_timeout=POOL_TIMEOUT_S,
        pool_pre_ping=True,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "application_name": "truceline"},
    )

    @event.listens_for(engine, "do_connect")
    def _without_schema(
        _dialect: Any, _record: Any, _args: list[Any], params: dict[str, Any]
    ) -> None:
        params.pop(SCHEMA_PARAMETER, None)  # ours, not libpq's

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('search_path', quote_ident(%s) || coalesce(', ' || ("
                "SELECT quote_ident(n.nspname) FROM pg_extension e JOIN pg_namespace n "
                "ON n.oid = e.extnamespace WHERE e.extname = 'postgis'), ', public'), false)",
                (schema,),
            )
        dbapi_connection.commit()  # a session setting, kept past this transaction

    return engine


def quoted(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote_identifier(name)


# transactions


@contextmanager
def write_transaction(engine: Engine, *, serializable: bool = True) -> Iterator[Connection]:
    """A connection inside a write transaction, committed on success.

    SQLite: BEGIN IMMEDIATE, one writer at a time. PostgreSQL: SERIALIZABLE, or READ
    COMMITTED when `serializable` is false (for writes made safe by INSERT ... ON CONFLICT
    alone); a conflict with another transaction fails with a retryable error.
    """
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(
                isolation_level="SERIALIZABLE" if serializable else "READ COMMITTED"
            )
        else:
            conn.execution_options(**{_WRITE: True})
        with conn.begin():
            yield conn


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection inside a read transaction: one consistent snapshot."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            yield conn


def is_retryable(exc: DBAPIError) -> bool:
    """Whether a failed transaction may simply be run again: it conflicted with another one
    (PostgreSQL's serialization failure or deadlock)."""
    return getattr(exc.orig, "sqlstate", None) in _RETRYABLE_STATES


# opening


def prepare_store(conn: Connection, name: str, *, create: bool) -> str | None:
    """Make the place of a store ready, inside the write transaction that opens it; returns
    the schema that holds its tables (None on SQLite).

    On PostgreSQL: takes the lock under which stores are opened, so that two processes
    opening one new store create it once; creates the schema when `create` (or refuses a
    missing one).
    """
    if conn.dialect.name != "postgresql":
        return None
    schema = schema_of(conn.engine) or DEFAULT_SCHEMA
    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _OPEN_LOCK})
    exists = conn.execute(
        text("SELECT count(*) FROM pg_namespace WHERE nspname = :schema"), {"schema": schema}
    ).scalar_one()
    if not exists:
        if not create:
            raise StoreError(
                f"no store at {name!r}: schema {schema!r} does not exist; check --db, or "
                "create the store with 'truceline ingest' or 'truceline demo'"
            )
        conn.exec_driver_sql(f"CREATE SCHEMA {quoted(conn, schema)}")
    return schema


def ensure_postgis(conn: Connection, extension: str = "postgis") -> None:
    """Install PostGIS in the database (in schema public) unless it is there.

    Opening runs under an advisory lock, so two stores opened at once do not race here.
    """
    found = conn.execute(
        text("SELECT count(*) FROM pg_extension WHERE extname = :name"), {"name": extension}
    ).scalar_one()
    if found:
        return
    available = conn.execute(
        text("SELECT count(*) FROM pg_available_extensions WHERE name = :name"),
        {"name": extension},
    ).scalar_one()
    if not available:
        raise StoreError(
            f"the PostgreSQL server has no {extension} extension, which the store needs for its "
            f"spatial columns; install {POSTGIS_PACKAGE} (PostGIS 3) on the database server "
            "(e.g. apt-get install " + POSTGIS_PACKAGE + "), then open the store again"
        )
    conn.exec_driver_sql(f"CREATE EXTENSION IF NOT EXISTS {quoted(conn, extension)} SCHEMA public")
    # The search path of this connection was set before PostGIS was there; it names public.


def add_point_column(conn: Connection, table: str) -> None:
    """On PostgreSQL, a PostGIS point computed from `lon` and `lat` (a generated column,
    filled by the database on every insert) with a GiST index; nothing on SQLite."""
    if conn.dialect.name != "postgresql":
        return
    ensure_postgis(conn)
    name = quoted(conn, table)
    conn.exec_driver_sql(
        f"ALTER TABLE {name} ADD COLUMN {POINT_COLUMN} {Point().get_col_spec()} "
        f"GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), {SRID})) STORED"
    )
    create_point_index(conn, table)


def drop_point_column(conn: Connection, table: str) -> None:
    """On PostgreSQL, drop a table's point column (its GiST index goes with it); nothing on
    SQLite. A migration adding columns to a point table drops the point first and adds it
    again last, so that the point stays the table's last column."""
    if conn.dialect.name == "postgresql" and table in POINT_TABLES:
        conn.exec_driver_sql(f"ALTER TABLE {quoted(conn, table)} DROP COLUMN {POINT_COLUMN}")


def drop_point_index(conn: Connection, table: str) -> None:
    """Before a bulk load: drop the GiST index of a table's point column (PostgreSQL)."""
    if conn.dialect.name == "postgresql" and table in POINT_TABLES:
        conn.exec_driver_sql(f"DROP INDEX {quoted(conn, point_index(table))}")


def create_point_index(conn: Connection, table: str) -> None:
    """After a bulk load: build the GiST index of a table's point column again (PostgreSQL
    builds it by sorting the points, much faster than inserting them one by one)."""
    if conn.dialect.name == "postgresql" and table in POINT_TABLES:
        name = quoted(conn, table)
        conn.exec_driver_sql(
            f"CREATE INDEX {quoted(conn, point_index(table))} ON {name} USING gist ({POINT_COLUMN})"
        )


def point_index(table: str) -> str:
    """The name of the GiST index on a table's point column (PostgreSQL only)."""
    return f"ix_{table}_{POINT_COLUMN}"


def dialect_indexes(dialect_name: str, table: str) -> set[str]:
    """Indexes the backend adds beyond those of `truceline.store.tables`."""
    if dialect_name == "postgresql" and table in POINT_TABLES:
        return {point_index(table)}
    return set()


def dialect_columns(dialect_name: str, table: str) -> list[str]:
    """Columns the backend adds beyond those of `truceline.store.tables`, in order."""
    if dialect_name == "postgresql" and table in POINT_TABLES:
        return [POINT_COLUMN]
    return []


# queries


def in_box(
    dialect_name: str,
    table: Table,
    min_lon: float,
    min_lat: float,
    max_lon: float,
    max_lat: float,
) -> ColumnElement[bool]:
    """Rows whose lon/lat lie in the box, edges included.

    On PostgreSQL the point column's GiST index finds the candidates (`&&` compares boxes
    of single-precision bounds, rounded outwards) and the exact lon/lat test keeps the
    rows, so both backends give the same answer.
    """
    exact = and_(
        table.c.lon.between(min_lon, max_lon),
        table.c.lat.between(min_lat, max_lat),
    )
    if dialect_name != "postgresql":
        return exact
    point: ColumnElement[Any] = literal_column(f'"{table.name}".{POINT_COLUMN}')
    envelope = func.ST_MakeEnvelope(min_lon, min_lat, max_lon, max_lat, literal_column(str(SRID)))
    return and_(point.op("&&", return_type=_BOOL)(envelope), exact)


_BOOL: TypeEngine[bool] = postgresql.BOOLEAN()


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


def copy_ignoring_existing(conn: Connection, table: Table, rows: Sequence[Sequence[Any]]) -> int:
    """PostgreSQL: load rows (tuples in the table's column order, sorted by key, no key
    twice) with COPY into a temporary table, then insert those whose key is not stored;
    returns how many were inserted.

    COPY is several times faster than INSERT statements for many rows, and the one
    INSERT ... SELECT ... ON CONFLICT DO NOTHING keeps the guarantee of stored-once.
    """
    if not rows:
        return 0
    names = ", ".join(quoted(conn, c.name) for c in table.columns)
    keys = ", ".join(quoted(conn, c.name) for c in table.primary_key.columns)
    target = quoted(conn, table.name)
    staging = quoted(conn, f"staging_{table.name}")
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS "
        f"SELECT {names} FROM {target} WITH NO DATA"
    )
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f"COPY {staging} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()
    result = conn.exec_driver_sql(
        f"INSERT INTO {target} ({names}) SELECT {names} FROM {staging} ORDER BY {keys} "
        f"ON CONFLICT ({keys}) DO NOTHING"
    )
    conn.exec_driver_sql(f"DROP TABLE {staging}")
    return result.rowcount


def lock_for_bulk_load(conn: Connection, table: Table) -> None:
    """Before a bulk load that drops and rebuilds indexes: on PostgreSQL, take the table's
    lock that admits one such load at a time (other writers wait, readers go on until the
    indexes are dropped), so that two loads never deadlock on the index drops."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"LOCK TABLE {quoted(conn, table.name)} IN SHARE ROW EXCLUSIVE MODE")


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


def table_names(conn: Connection, schema: str | None) -> list[str]:
    """The tables of the store's schema (of the file, on SQLite), sorted."""
    if schema is None:
        return sorted(inspect(conn).get_table_names())
    # Tables of extensions (PostGIS's spatial_ref_sys in public) are not the store's.
    query = text(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = :schema AND c.relkind IN ('r', 'p') AND NOT EXISTS ("
        "SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
        "AND d.objid = c.oid AND d.deptype = 'e')"
    )
    return sorted(str(r) for r in conn.execute(query, {"schema": schema}).scalars())


# errors


def store_error(name: str, action: str, exc: DBAPIError) -> StoreError:
    """A StoreError saying what went wrong with the database and what to do about it."""
    detail = str(exc.orig) if exc.orig is not None else str(exc)
    state = getattr(exc.orig, "sqlstate", None)
    if getattr(exc.orig, "__module__", "").startswith("psycopg"):
        return _postgresql_error(name, action, detail, state)
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
    if "full" in low or code == sqlite3.SQLITE_FULL:
        return StoreError(
            f"store {name!r}: cannot {action}: no space left on the device holding the store "
            f"({detail}); nothing of this write was kept; free space and retry"
        )
    return StoreError(f"store {name!r}: cannot {action}: {detail}")


def _postgresql_error(name: str, action: str, detail: str, state: str | None) -> StoreError:
    first = detail.strip().splitlines()[0] if detail.strip() else detail
    low = first.lower()
    if state is None and "fatal:" in low:  # refused at connection time, by the server
        reason = first[low.index("fatal:") + len("fatal:") :].strip()
        if "database" in reason and "does not exist" in reason:
            state = "3D000"
        elif "authentication" in reason or "pg_hba.conf" in reason or "role" in reason:
            state = "28000"
        first = reason
    if state is None and "connect" in low:
        return StoreError(
            f"cannot open store {name!r}: cannot connect to the PostgreSQL server ({first}); "
            "check the host, port, user and database in the URL, and that the server is "
            "running (pg_isready -h HOST -p PORT)"
        )
    if state == "3D000":
        return StoreError(
            f"cannot open store {name!r}: {first}; create the database (createdb NAME) or fix "
            "the database in the URL"
        )
    if state in ("28000", "28P01"):
        return StoreError(
            f"cannot open store {name!r}: the server refused the login ({first}); check the "
            "user and password in the URL and the server's pg_hba.conf"
        )
    if state == "53300":
        return StoreError(
            f"store {name!r}: cannot {action}: the server has no free connection ({first}); "
            "close other clients or raise the server's max_connections"
        )
    if state == "42501":
        return StoreError(
            f"store {name!r}: cannot {action}: the database user lacks a privilege ({first}); "
            "ask the database's owner to grant it (or to create the schema or extension)"
        )
    if state in ("0A000", "58P01") and "extension" in first.lower():
        return StoreError(
            f"store {name!r}: cannot {action}: {first}; install {POSTGIS_PACKAGE} (PostGIS 3) "
            "on the database server, then open the store again"
        )
    if state in _RETRYABLE_STATES:
        return StoreError(
            f"store {name!r}: cannot {action}: other writers kept conflicting with this one "
            f"for more than {BUSY_TIMEOUT_MS // 1000} s ({first}); try again when they have "
            "finished"
        )
    if "NUL" in first and "0x00" in first:
        return StoreError(
            f"store {name!r}: cannot {action}: a value cannot be stored ({first}); text must "
            "not contain NUL characters on PostgreSQL"
        )
    if state in ("22003", "42804"):
        return StoreError(
            f"store {name!r}: cannot {action}: a value cannot be stored ({first}); text must be "
            "valid Unicode and whole numbers within 64 bits (32 bits for counts and versions)"
        )
    if state in ("57P01", "57P02", "57P03", "08000", "08003", "08006"):
        return StoreError(
            f"store {name!r}: cannot {action}: the connection to the server was lost ({first}); "
            "check that the server is running, then try again"
        )
    return StoreError(f"store {name!r}: cannot {action}: {first}")
