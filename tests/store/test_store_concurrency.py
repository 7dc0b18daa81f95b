"""Several processes creating, writing and reading one SQLite store at once: each observation
stored once, nobody failing on a lock."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
import traceback
from collections.abc import Callable
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import DBAPIError
from store_helpers import incident, observation

from truceline.errors import StoreError
from truceline.store import open_store
from truceline.store.dialect import store_error
from truceline.store.sql_store import SqlStore


def _writer(path: str, first: int, last: int, start: Barrier) -> int:
    """Open the store (maybe creating it), then add observations first..last in batches."""
    start.wait(timeout=60)
    with open_store(path) as store:
        added = 0
        for low in range(first, last, 250):
            added += store.add_observations(
                [observation(i) for i in range(low, min(low + 250, last))]
            )
        store.replace_incidents([], [incident(f"from-{first}", (observation(first).id,))])
    return added


def _reader(path: str, total: int, start: Barrier) -> list[int]:
    """Open the store (maybe creating it) and count observations until all `total` are in;
    every snapshot read must hold distinct ids in order."""
    start.wait(timeout=60)
    counts: list[int] = []
    deadline = time.monotonic() + 60
    with open_store(path) as store:
        while time.monotonic() < deadline:
            ids = [o.id for o in store.observations()]
            if len(set(ids)) != len(ids):
                raise AssertionError(f"an observation was read twice: {len(ids)} rows")
            counts.append(len(ids))
            if len(ids) == total:
                break
    return counts


def _run(index: int, task: Callable[..., Any], args: tuple[Any, ...], results: Any) -> None:
    """Run a task in a worker, sending back its result or its error."""
    try:
        results.put((index, task(*args), None))
    except BaseException:
        results.put((index, None, traceback.format_exc()))


def _race(path: Path, tasks: list[tuple[Callable[..., Any], tuple[Any, ...]]]) -> list[Any]:
    """Run each task(path, *args, barrier) in its own spawned process, all released together;
    their results in task order."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(len(tasks))
    results = context.Queue()
    workers = [
        context.Process(target=_run, args=(index, task, (str(path), *args, start), results))
        for index, (task, args) in enumerate(tasks)
    ]
    for worker in workers:
        worker.start()
    got: dict[int, Any] = {}
    for _ in workers:
        index, value, error = results.get(timeout=120)
        assert error is None, error
        got[index] = value
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    return [got[index] for index in range(len(tasks))]


def test_two_processes_store_overlapping_observations_exactly_once(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"  # not there yet: both processes race to create it
    added = _race(path, [(_writer, (0, 2_000)), (_writer, (1_000, 3_000))])
    assert sum(added) == 3_000
    assert min(added) >= 1_000  # each stored at least the part only it had
    with open_store(path) as store:
        assert store.observation_count() == 3_000
        assert store.incident_count() == 2
        assert [o.id for o in store.observations()] == [observation(i).id for i in range(3_000)]
        assert store.schema_version() == 1


def test_three_writers_and_a_reader_create_and_fill_one_store(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"  # all four race to create it
    total = 2_000
    writers = [(_writer, (first, first + 1_000)) for first in (0, 500, 1_000)]
    *added, counts = _race(path, [*writers, (_reader, (total,))])
    assert sum(added) == total
    assert counts == sorted(counts)  # a reader never sees rows vanish
    assert counts[-1] == total
    with open_store(path) as store:
        assert [o.id for o in store.observations()] == [observation(i).id for i in range(total)]
        assert store.incident_count() == 3


def test_opening_a_new_file_waits_for_a_writer_instead_of_failing(tmp_path: Path) -> None:
    """Switching a new file to WAL while another connection writes it must wait, not fail:
    SQLite itself answers "database is locked" at once there, whatever the busy timeout."""
    path = tmp_path / "new.sqlite"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        holder.execute("BEGIN IMMEDIATE")  # the file is new, still in rollback mode
        release = threading.Timer(0.3, holder.execute, args=("ROLLBACK",))
        release.start()
        try:
            with open_store(path) as store:
                assert store.schema_version() == 1
                assert store.add_observations([observation(1)]) == 1
        finally:
            release.join()
        assert holder.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        holder.close()


def test_a_read_turned_write_after_another_write_says_to_run_again(tmp_path: Path) -> None:
    path = tmp_path / "snapshot.sqlite"
    with open_store(path) as store:
        assert isinstance(store, SqlStore)
        store.add_observations([observation(1)])
        other = sqlite3.connect(path, isolation_level=None)
        try:
            with store.engine.connect() as conn, conn.begin():
                conn.exec_driver_sql("SELECT count(*) FROM observations").scalar_one()
                other.execute("DELETE FROM observations")
                with pytest.raises(DBAPIError) as caught:
                    conn.exec_driver_sql("DELETE FROM sources")
        finally:
            other.close()
    error = store_error(str(path), "store sources", caught.value)
    assert isinstance(error, StoreError)
    assert "changed it after this transaction began reading; run it again" in str(error)
