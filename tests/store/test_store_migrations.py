"""Schema migrations: recorded, applied forward on open, refused when the store is newer; the
same logical schema on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Connection, inspect, text
from store_helpers import observation

from truceline.errors import StoreError
from truceline.store import open_store, store_engine
from truceline.store.dialect import dialect_columns, dialect_indexes
from truceline.store.migrations import LATEST_VERSION, MIGRATIONS, Migration
from truceline.store.sql_store import SqlStore
from truceline.store.tables import metadata


def _add_note_column(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE sources ADD COLUMN note TEXT"))
    conn.execute(text("CREATE INDEX ix_sources_note ON sources (note)"))


def _recorded(target: str) -> list[tuple[int, str, int]]:
    engine, _ = store_engine(target)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT version, description, applied_at_us FROM schema_migrations "
                    "ORDER BY version"
                )
            ).all()
    finally:
        engine.dispose()
    return [(int(v), str(d), a) for v, d, a in rows]


def test_a_new_store_records_every_migration_with_its_time(store_target: str) -> None:
    with open_store(store_target) as store:
        assert store.schema_version() == LATEST_VERSION
    recorded = _recorded(store_target)
    assert [(v, d) for v, d, _ in recorded] == [(m.version, m.description) for m in MIGRATIONS]
    applied = recorded[0][2]
    assert isinstance(applied, int)
    assert applied > 1_700_000_000 * 1_000_000  # after November 2023, in microseconds


def test_a_v1_store_is_upgraded_when_a_migration_is_added(store_target: str) -> None:
    with open_store(store_target) as store:
        store.add_observations([observation(1), observation(2)])
    later = (*MIGRATIONS, Migration(len(MIGRATIONS) + 1, "note on sources", _add_note_column))
    store = SqlStore(*store_engine(store_target), migrations=later)
    try:
        assert store.schema_version() == len(later)
        assert store.observation_count() == 2
        columns = {c["name"] for c in inspect(store.engine).get_columns("sources", store.schema)}
        assert "note" in columns
    finally:
        store.close()
    assert [v for v, _, _ in _recorded(store_target)] == list(range(1, len(later) + 1))
    # opening again with the same list applies nothing twice
    SqlStore(*store_engine(store_target), migrations=later).close()
    assert len(_recorded(store_target)) == len(later)


def test_a_store_newer_than_the_code_is_refused(store_target: str) -> None:
    later = (*MIGRATIONS, Migration(len(MIGRATIONS) + 1, "note on sources", _add_note_column))
    SqlStore(*store_engine(store_target), migrations=later).close()
    with pytest.raises(
        StoreError, match=rf"schema version {len(later)} is newer than this Truceline knows"
    ):
        open_store(store_target)


def test_a_failing_migration_leaves_the_store_as_it_was(store_target: str) -> None:
    open_store(store_target).close()

    def broken(conn: Connection) -> None:
        conn.execute(text("CREATE TABLE half_done (x INTEGER)"))
        conn.execute(text("SELECT * FROM no_such_table"))

    later = (*MIGRATIONS, Migration(len(MIGRATIONS) + 1, "broken", broken))
    with pytest.raises(StoreError, match="no_such_table"):
        SqlStore(*store_engine(store_target), migrations=later)
    with open_store(store_target) as store:
        assert store.schema_version() == LATEST_VERSION
        assert isinstance(store, SqlStore)
        assert not inspect(store.engine).has_table("half_done", store.schema)


def test_a_migration_list_with_a_gap_is_refused(store_target: str) -> None:
    gap = (*MIGRATIONS, Migration(len(MIGRATIONS) + 2, "gap", _add_note_column))
    with pytest.raises(StoreError, match="without gaps"):
        SqlStore(*store_engine(store_target), migrations=gap)


def test_the_migrated_schema_matches_the_table_definitions(
    new_target: Callable[[], str],
) -> None:
    """Columns, types, nullability, keys, indexes and foreign keys as in `tables`, plus the
    backend's own additions (PostGIS points on PostgreSQL) and nothing else."""
    with open_store(new_target()) as store:
        assert isinstance(store, SqlStore)
        inspector = inspect(store.engine)
        dialect = store.engine.dialect
        schema = store.schema
        for table in metadata.sorted_tables:
            extra = dialect_columns(dialect.name, table.name)
            columns = inspector.get_columns(table.name, schema)
            assert [c["name"] for c in columns] == [c.name for c in table.columns] + extra
            for found, column in zip(columns, table.columns, strict=False):
                assert found["nullable"] == column.nullable, f"{table.name}.{column.name}"
                expected = column.type.compile(dialect=dialect)
                assert str(found["type"]) == expected, f"{table.name}.{column.name}"
            primary = inspector.get_pk_constraint(table.name, schema)["constrained_columns"]
            assert primary == [c.name for c in table.primary_key.columns], table.name
            indexes = {
                i["name"]: i["column_names"] for i in inspector.get_indexes(table.name, schema)
            }
            wanted = {str(i.name): [c.name for c in i.columns] for i in table.indexes}
            wanted |= {name: extra for name in dialect_indexes(dialect.name, table.name)}
            assert indexes == wanted
            keys = {
                (tuple(k["constrained_columns"]), k["referred_table"], k["options"].get("ondelete"))
                for k in inspector.get_foreign_keys(table.name, schema)
            }
            assert keys == {
                (tuple(k.parent.name for k in [fk]), fk.column.table.name, fk.ondelete)
                for fk in table.foreign_keys
            }
        names = set(inspector.get_table_names(schema))
        assert names == {t.name for t in metadata.sorted_tables}
        if dialect.name == "postgresql":
            with store.engine.connect() as conn:
                _check_postgresql_extras(conn, str(schema))


def _check_postgresql_extras(conn: Connection, schema: str) -> None:
    """Identifiers sort bytewise; points are generated geometry(Point, 4326) with GiST."""
    collations = conn.execute(
        text(
            "SELECT table_name, column_name, collation_name FROM information_schema.columns "
            "WHERE table_schema = :schema AND data_type = 'character varying'"
        ),
        {"schema": schema},
    ).all()
    assert collations
    assert {c for _, _, c in collations} == {"C"}
    points = conn.execute(
        text(
            "SELECT f_table_name, type, srid FROM geometry_columns "
            "WHERE f_table_schema = :schema ORDER BY f_table_name"
        ),
        {"schema": schema},
    ).all()
    assert [tuple(p) for p in points] == [
        ("incidents", "POINT", 4326),
        ("observations", "POINT", 4326),
    ]
    generated = conn.execute(
        text(
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = :schema "
            "AND column_name = 'geom' AND is_generated = 'ALWAYS'"
        ),
        {"schema": schema},
    ).scalar_one()
    assert generated == 2
    methods = conn.execute(
        text(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = :schema AND indexname LIKE '%geom'"
        ),
        {"schema": schema},
    ).scalars()
    assert all("USING gist (geom)" in m for m in methods)
