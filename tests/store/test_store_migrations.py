"""Schema migrations: recorded, applied forward on open, refused when the store is newer."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Connection, inspect, text
from store_helpers import observation

from truceline.errors import StoreError
from truceline.store import open_store
from truceline.store.dialect import sqlite_engine
from truceline.store.migrations import LATEST_VERSION, MIGRATIONS, Migration
from truceline.store.sql_store import SqlStore
from truceline.store.tables import metadata


def _add_note_column(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE sources ADD COLUMN note TEXT"))
    conn.execute(text("CREATE INDEX ix_sources_note ON sources (note)"))


def _recorded(path: Path) -> list[tuple[int, str]]:
    engine = sqlite_engine(path)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT version, description FROM schema_migrations ORDER BY version")
            ).all()
    finally:
        engine.dispose()
    return [(int(v), str(d)) for v, d in rows]


def test_a_new_store_records_every_migration_with_its_time(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with open_store(path) as store:
        assert store.schema_version() == LATEST_VERSION
    assert _recorded(path) == [(m.version, m.description) for m in MIGRATIONS]
    engine = sqlite_engine(path)
    try:
        with engine.connect() as conn:
            applied = conn.execute(text("SELECT applied_at_us FROM schema_migrations")).scalar()
    finally:
        engine.dispose()
    assert isinstance(applied, int)
    assert applied > 1_700_000_000 * 1_000_000  # after November 2023, in microseconds


def test_a_v1_store_is_upgraded_when_a_migration_is_added(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with open_store(path) as store:
        store.add_observations([observation(1), observation(2)])
    later = (*MIGRATIONS, Migration(len(MIGRATIONS) + 1, "note on sources", _add_note_column))
    store = SqlStore(sqlite_engine(path), str(path), migrations=later)
    try:
        assert store.schema_version() == len(later)
        assert store.observation_count() == 2
        columns = {c["name"] for c in inspect(store.engine).get_columns("sources")}
        assert "note" in columns
    finally:
        store.close()
    assert [v for v, _ in _recorded(path)] == list(range(1, len(later) + 1))
    # opening again with the same list applies nothing twice
    SqlStore(sqlite_engine(path), str(path), migrations=later).close()
    assert len(_recorded(path)) == len(later)


def test_a_store_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "newer.sqlite"
    later = (*MIGRATIONS, Migration(len(MIGRATIONS) + 1, "note on sources", _add_note_column))
    SqlStore(sqlite_engine(path), str(path), migrations=later).close()
    with pytest.raises(StoreError, match=r"schema version 2 is newer than this Truceline knows"):
        open_store(path)


def test_a_failing_migration_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "fail.sqlite"
    open_store(path).close()

    def broken(conn: Connection) -> None:
        conn.execute(text("CREATE TABLE half_done (x INTEGER)"))
        conn.execute(text("SELECT * FROM no_such_table"))

    later = (*MIGRATIONS, Migration(len(MIGRATIONS) + 1, "broken", broken))
    with pytest.raises(StoreError, match="no such table: no_such_table"):
        SqlStore(sqlite_engine(path), str(path), migrations=later)
    with open_store(path) as store:
        assert store.schema_version() == LATEST_VERSION
        assert isinstance(store, SqlStore)
        assert not inspect(store.engine).has_table("half_done")


def test_a_migration_list_with_a_gap_is_refused(tmp_path: Path) -> None:
    gap = (*MIGRATIONS, Migration(len(MIGRATIONS) + 2, "gap", _add_note_column))
    with pytest.raises(StoreError, match="without gaps"):
        SqlStore(sqlite_engine(tmp_path / "g.sqlite"), "g.sqlite", migrations=gap)


def test_the_migrated_schema_matches_the_table_definitions(tmp_path: Path) -> None:
    with open_store(tmp_path / "schema.sqlite") as store:
        assert isinstance(store, SqlStore)
        inspector = inspect(store.engine)
        for table in metadata.sorted_tables:
            columns = inspector.get_columns(table.name)
            assert [c["name"] for c in columns] == [c.name for c in table.columns], table.name
            for found, column in zip(columns, table.columns, strict=True):
                assert found["nullable"] == column.nullable, f"{table.name}.{column.name}"
                expected = column.type.compile(dialect=store.engine.dialect)
                assert str(found["type"]) == expected, f"{table.name}.{column.name}"
            primary = inspector.get_pk_constraint(table.name)["constrained_columns"]
            assert primary == [c.name for c in table.primary_key.columns], table.name
            indexes = {i["name"]: i["column_names"] for i in inspector.get_indexes(table.name)}
            assert indexes == {i.name: [c.name for c in i.columns] for i in table.indexes}
            keys = {
                (tuple(k["constrained_columns"]), k["referred_table"], k["options"].get("ondelete"))
                for k in inspector.get_foreign_keys(table.name)
            }
            assert keys == {
                (tuple(k.parent.name for k in [fk]), fk.column.table.name, fk.ondelete)
                for fk in table.foreign_keys
            }
        assert set(inspector.get_table_names()) == {t.name for t in metadata.sorted_tables}
