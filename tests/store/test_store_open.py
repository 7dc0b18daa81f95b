"""Opening stores: paths, URLs, SQLite settings, and the errors that say what to do."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from store_helpers import observation

from truceline.errors import InputError, StoreError
from truceline.store import BBox, TimeWindow, delete_store, open_store, store_exists
from truceline.store.migrations import LATEST_VERSION
from truceline.store.sql_store import SqlStore


def test_creates_a_missing_file_and_reopens_it(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    with open_store(path) as store:
        assert store.schema_version() == LATEST_VERSION
        assert store.add_observations([observation(1)]) == 1
    assert path.is_file()
    with open_store(str(path), create=False) as store:
        assert store.observation_count() == 1


def test_sqlite_url_opens_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "url.sqlite"
    with open_store(path) as store:
        store.add_observations([observation(1), observation(2)])
    with open_store(f"sqlite:///{path}") as store:
        assert store.observation_count() == 2


def test_file_uses_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    path = tmp_path / "wal.sqlite"
    with open_store(path) as store:
        store.add_observations([observation(1)])
        assert isinstance(store, SqlStore)
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() >= 1000
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        raw.close()


def test_memory_store_is_private_and_works(tmp_path: Path) -> None:
    with open_store(":memory:") as one, open_store("sqlite://") as two:
        one.add_observations([observation(1)])
        assert one.observation_count() == 1
        assert two.observation_count() == 0


def test_missing_file_without_create_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "absent.sqlite"
    with pytest.raises(StoreError, match=r"absent\.sqlite.*no such file"):
        open_store(path, create=False)
    assert not path.exists()


def test_missing_folder_is_refused_with_the_folder_named(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"folder .*nowhere.* does not exist"):
        open_store(tmp_path / "nowhere" / "x.sqlite")


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="it is a folder"):
        open_store(tmp_path)


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite"
    path.write_text("latitude,longitude\n48.5,37.5\n" * 200, encoding="utf-8")
    with pytest.raises(
        StoreError, match=r"cannot open store '.*x\.sqlite': file is not a database"
    ):
        open_store(path)
    assert path.read_text(encoding="utf-8").startswith("latitude")


def test_another_sqlite_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE fires (lat REAL, lon REAL)")
    raw.commit()
    raw.close()
    with pytest.raises(StoreError, match=r"not a Truceline store.*fires"):
        open_store(path)
    raw = sqlite3.connect(path)
    try:
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        raw.close()
    assert tables == {"fires"}


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("mysql://user@host/db", "'mysql' backend is not supported"),
        ("not a url://", "not a valid database URL"),
        ("postgresql://root@127.0.0.1:5432/test?schema=Mission-1", "is not a plain name"),
        ("postgresql://root@127.0.0.1:5432/test?schema=a&schema=b", "give \\?schema= once"),
        ("postgresql://root@127.0.0.1:5432/test?schema=pg_temp", "belongs to PostgreSQL"),
        ("postgresql://root@127.0.0.1:5432/", "the URL names no database"),
        (
            "postgresql://root@127.0.0.1:5432/test?options=-csearch_path%3Dx",
            r"name the store's schema with \?schema=NAME instead",
        ),
    ],
)
def test_bad_targets_are_refused_before_connecting(target: str, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        open_store(target)


def test_a_closed_store_says_so(tmp_path: Path) -> None:
    store = open_store(tmp_path / "c.sqlite")
    store.close()
    with pytest.raises(StoreError, match="is closed"):
        store.observation_count()


def test_time_window_must_be_aware_and_ordered() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    kyiv = timezone(timedelta(hours=3))
    window = TimeWindow(datetime(2025, 9, 1, 3, tzinfo=kyiv), datetime(2025, 9, 1, 4, tzinfo=kyiv))
    assert window.start == datetime(2025, 9, 1, tzinfo=UTC)
    assert window.start.utcoffset() == timedelta(0)
    with pytest.raises(InputError, match="no time zone") as caught:
        TimeWindow(datetime(2025, 9, 1), datetime(2025, 9, 2, tzinfo=UTC))
    assert caught.value.field == "start"
    with pytest.raises(InputError, match="is after end"):
        TimeWindow(datetime(2025, 9, 2, tzinfo=UTC), datetime(2025, 9, 1, tzinfo=UTC))
    with pytest.raises(InputError, match="expected a datetime"):
        TimeWindow("2025-09-01", datetime(2025, 9, 1, tzinfo=UTC))  # type: ignore[arg-type]


def test_bbox_is_validated() -> None:
    box = BBox(30, 45, 40, 52)
    assert (box.min_lon, box.max_lat) == (30.0, 52.0)
    assert isinstance(box.min_lon, float)
    with pytest.raises(InputError, match=r"min_lon 40\.0 is greater than max_lon 30\.0"):
        BBox(40, 45, 30, 52)
    with pytest.raises(InputError, match=r"max_lat: 91 is outside \[-90, 90\]"):
        BBox(30, 45, 40, 91)
    with pytest.raises(InputError, match=r"min_lat 52\.0 is greater than max_lat 45\.0"):
        BBox(30, 52, 40, 45)
    with pytest.raises(InputError, match="expected a number"):
        BBox(30, 45, 40, True)
    with pytest.raises(InputError, match="outside"):
        BBox(float("nan"), 45, 40, 52)


def test_a_damaged_store_says_so(tmp_path: Path) -> None:
    path = tmp_path / "damaged.sqlite"
    with open_store(path) as store:
        store.add_observations([observation(i) for i in range(2_000)])
    size = path.stat().st_size
    with path.open("r+b") as handle:  # overwrite everything after the schema pages
        handle.seek(8 * 4096)
        handle.write(b"\xff" * (size - 8 * 4096))
    with (
        pytest.raises(StoreError, match=r"the file is damaged .*restore it from a backup"),
        open_store(path) as store,
    ):
        list(store.iter_observations())


def test_deleting_a_sqlite_store_removes_its_files(tmp_path: Path) -> None:
    path = tmp_path / "gone.sqlite"
    with open_store(path) as store:
        store.add_observations([observation(1)])
    assert store_exists(path)
    delete_store(str(path))
    assert not store_exists(path)
    assert list(tmp_path.iterdir()) == []
