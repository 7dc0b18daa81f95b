"""PostgreSQL stores: URL forms, the schema per store, the pool, PostGIS, and the errors
that say what to check."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.pool import QueuePool
from store_helpers import incident, observation
from tests.store_backends import _conninfo, fresh_schema

from truceline.errors import StoreError
from truceline.store import BBox, delete_store, open_store, store_exists
from truceline.store.dialect import POOL_SIZE, ensure_postgis
from truceline.store.sql_store import SqlStore


def _schemas(server: str, prefix: str) -> set[str]:
    with psycopg.connect(_conninfo(server)) as conn:
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (prefix + "%",)
        ).fetchall()
    return {r[0] for r in rows}


def test_every_url_form_opens_the_same_store_through_psycopg_3(postgresql_server: str) -> None:
    with fresh_schema(postgresql_server) as url:
        with open_store(url) as store:
            assert store.add_observations([observation(1), observation(2)]) == 2
        rest = url.split("://", 1)[1].replace("root@", "root:secret@")
        for scheme in ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"):
            with open_store(f"{scheme}://{rest}", create=False) as store:
                assert isinstance(store, SqlStore)
                assert store.engine.dialect.driver == "psycopg"
                assert store.observation_count() == 2
                assert "secret" not in store.name
                assert "secret" not in repr(store)


def test_the_engine_has_a_sized_pool_that_pings(postgresql_server: str) -> None:
    with fresh_schema(postgresql_server) as url, open_store(url) as store:
        assert isinstance(store, SqlStore)
        pool = store.engine.pool
        assert isinstance(pool, QueuePool)
        assert pool.size() == POOL_SIZE
        assert store.engine.pool._pre_ping
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW search_path").scalar_one().startswith("test_")


def test_stores_in_two_schemas_of_one_database_are_apart(postgresql_server: str) -> None:
    with (
        fresh_schema(postgresql_server) as one_url,
        fresh_schema(postgresql_server) as two_url,
        open_store(one_url) as one,
        open_store(two_url) as two,
    ):
        one.add_observations([observation(i) for i in range(10)])
        two.add_observations([observation(i) for i in range(3)])
        two.replace_incidents([], [incident("a", ("obs-1",))])
        assert (one.observation_count(), one.incident_count()) == (10, 0)
        assert (two.observation_count(), two.incident_count()) == (3, 1)


def test_opening_without_create_never_creates(postgresql_server: str) -> None:
    with fresh_schema(postgresql_server) as url:
        schema = url.rsplit("=", 1)[1]
        with pytest.raises(StoreError, match=rf"no store at .*schema '{schema}' does not exist"):
            open_store(url, create=False)
        assert _schemas(postgresql_server, schema) == set()
        assert not store_exists(url)
        with psycopg.connect(_conninfo(postgresql_server)) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        with pytest.raises(StoreError, match="holds no Truceline store yet; check --db"):
            open_store(url, create=False)
        open_store(url).close()
        assert store_exists(url)


def test_a_schema_with_other_tables_is_refused_and_left_alone(postgresql_server: str) -> None:
    with fresh_schema(postgresql_server) as url:
        schema = url.rsplit("=", 1)[1]
        with psycopg.connect(_conninfo(postgresql_server)) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
            conn.execute(f'CREATE TABLE "{schema}".fires (lat float8, lon float8)')
        with pytest.raises(StoreError, match=r"schema '.*' is not a Truceline store .*fires"):
            open_store(url)
        with pytest.raises(StoreError, match="holds no Truceline store; nothing was deleted"):
            delete_store(url)
        with psycopg.connect(_conninfo(postgresql_server)) as conn:
            tables = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
            ).fetchall()
        assert tables == [("fires",)]


def test_delete_drops_the_store_and_its_schema_and_nothing_else(postgresql_server: str) -> None:
    with fresh_schema(postgresql_server) as url, fresh_schema(postgresql_server) as other:
        schema = url.rsplit("=", 1)[1]
        with open_store(url) as store, open_store(other) as neighbour:
            store.add_observations([observation(1)])
            neighbour.add_observations([observation(1)])
        delete_store(url)
        assert _schemas(postgresql_server, schema) == set()
        with open_store(other, create=False) as neighbour:
            assert neighbour.observation_count() == 1
        # a schema holding more than the store is emptied of the store only
        with open_store(url) as store:
            store.add_observations([observation(1)])
        with psycopg.connect(_conninfo(postgresql_server)) as conn:
            conn.execute(f'CREATE TABLE "{schema}".notes (body text)')
        with pytest.raises(StoreError, match=r"also holds tables .*\(notes\); nothing was"):
            delete_store(url)
        assert store_exists(url)


def test_an_unreachable_server_says_what_to_check() -> None:
    with pytest.raises(
        StoreError,
        match=r"cannot connect to the PostgreSQL server .*check the host, port, user and "
        r"database in the URL, and that the server is running",
    ):
        open_store("postgresql://root@127.0.0.1:1/test?schema=nowhere")


def test_a_missing_database_or_user_says_what_to_fix(postgresql_server: str) -> None:
    base = postgresql_server.rsplit("/", 1)[0]
    with pytest.raises(
        StoreError, match=r"database \"truceline_no_such_database\" does not exist; create the"
    ):
        open_store(f"{base}/truceline_no_such_database?schema=x")
    stranger = base.replace("root@", "truceline_no_such_user@")
    with pytest.raises(StoreError, match=r"the server refused the login .*check the user"):
        open_store(f"{stranger}/test?schema=x")


def test_a_server_without_postgis_says_which_package_to_install(postgresql_server: str) -> None:
    with fresh_schema(postgresql_server) as url, open_store(url) as store:
        assert isinstance(store, SqlStore)
        with (
            store.engine.begin() as conn,
            pytest.raises(StoreError, match="install postgresql-15-postgis-3"),
        ):
            ensure_postgis(conn, "postgis_not_on_this_server")


def test_points_are_made_by_the_database_and_searched_through_gist(
    postgresql_server: str,
) -> None:
    """The point column is filled on insert, and a box query goes through its GiST index
    (the planner is told to avoid sequential scans: the table is small)."""
    with fresh_schema(postgresql_server) as url, open_store(url) as store:
        assert isinstance(store, SqlStore)
        store.add_observations([observation(i) for i in range(2_000)])
        store.replace_incidents([], [incident("a", ("obs-1",), lon=37.25, lat=48.5)])
        with store.engine.connect() as conn:
            x, y, srid = conn.execute(
                text("SELECT ST_X(geom), ST_Y(geom), ST_SRID(geom) FROM incidents")
            ).one()
            assert (x, y, srid) == (37.25, 48.5, 4326)
            mismatched = conn.execute(
                text(
                    "SELECT count(*) FROM observations WHERE ST_X(geom) <> lon OR ST_Y(geom) <> lat"
                )
            ).scalar_one()
            assert mismatched == 0
            conn.exec_driver_sql("SET enable_seqscan = off")
            box = BBox(33.0, 46.0, 34.0, 47.0)
            plans = []
            for table in ("observations", "incidents"):
                plan = conn.exec_driver_sql(
                    f"EXPLAIN SELECT id FROM {table} WHERE geom && "
                    "ST_MakeEnvelope(33, 46, 34, 47, 4326)"
                ).scalars()
                plans.append("\n".join(plan))
            assert "ix_observations_geom" in plans[0]
            assert "ix_incidents_geom" in plans[1]
        assert len(store.observations(bbox=box)) == sum(
            1
            for i in range(2_000)
            if 33.0 <= observation(i).lon <= 34.0 and 46.0 <= observation(i).lat <= 47.0
        )
