"""Store fixtures over both backends, registered for every test folder by tests/conftest.py:
a SQLite file, and a fresh schema (random name, dropped afterwards) in the local PostgreSQL
database.

The PostgreSQL server is TRUCELINE_TEST_POSTGRESQL (default the local test database); when it
cannot be reached the PostgreSQL tests fail, saying how to start it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from truceline.store import Store, open_store

POSTGRESQL = os.environ.get("TRUCELINE_TEST_POSTGRESQL", "postgresql://root@127.0.0.1:5432/test")
"""The PostgreSQL database the tests make their schemas in."""

BACKENDS = ["sqlite", "postgresql"]

_HOW_TO_START = (
    "start it with 'bash scripts/services.sh' (or 'pg_ctlcluster 15 main start'), or point "
    "TRUCELINE_TEST_POSTGRESQL at a PostgreSQL 15 database with PostGIS 3 "
    "(postgresql://USER@HOST:PORT/DATABASE)"
)


def _conninfo(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgresql_server() -> str:
    """The URL of the test database, after checking the server answers and has PostGIS."""
    try:
        with psycopg.connect(_conninfo(POSTGRESQL), connect_timeout=5) as conn:
            available = conn.execute(
                "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'"
            ).fetchone()
    except psycopg.Error as exc:
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRESQL} ({exc}); {_HOW_TO_START}")
    if available is None or available[0] == 0:
        pytest.fail(
            f"PostgreSQL at {POSTGRESQL} has no PostGIS; install postgresql-15-postgis-3 "
            "('bash scripts/services.sh' does)"
        )
    return POSTGRESQL


def drop_schema(server: str, schema: str) -> None:
    with psycopg.connect(_conninfo(server), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@contextmanager
def fresh_schema(server: str) -> Iterator[str]:
    """The URL of a store in a new schema of the test database, dropped afterwards."""
    schema = f"test_{uuid.uuid4().hex[:16]}"
    try:
        yield f"{server}?schema={schema}"
    finally:
        drop_schema(server, schema)


@contextmanager
def _targets(
    backend: str, folder: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[[], str]]:
    """A maker of new store targets on one backend, all removed afterwards."""
    with ExitStack() as stack:
        count = 0

        def make() -> str:
            nonlocal count
            count += 1
            if backend == "sqlite":
                return str(folder / f"store-{count}.sqlite")
            server = request.getfixturevalue("postgresql_server")
            return stack.enter_context(fresh_schema(server))

        yield make


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The name of a store backend: "sqlite" or "postgresql"."""
    name: str = request.param
    if name == "postgresql":
        request.getfixturevalue("postgresql_server")
    return name


@pytest.fixture
def new_target(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[[], str]]:
    """Makes targets of new, empty stores on the backend (a file path, or a URL with a fresh
    schema)."""
    with _targets(backend, tmp_path, request) as make:
        yield make


@pytest.fixture
def store_target(new_target: Callable[[], str]) -> str:
    """The target of a new, empty store on the backend."""
    return new_target()


@pytest.fixture
def scratch(backend: str, request: pytest.FixtureRequest) -> Iterator[Store]:
    """One open store for a property test, emptied by `emptied` before each example (an
    in-memory SQLite store, or a fresh PostgreSQL schema)."""
    if backend == "sqlite":
        with open_store(":memory:") as store:
            yield store
        return
    with (
        fresh_schema(request.getfixturevalue("postgresql_server")) as url,
        open_store(url) as store,
    ):
        yield store
