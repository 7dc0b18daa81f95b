"""Several processes (and threads) creating, writing and reading one store at once, on SQLite
and on PostgreSQL: each observation and incident stored once, nothing lost, nobody failing on
a lock or a conflict."""

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
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from store_helpers import determination, incident, observation

from truceline.errors import StoreError
from truceline.fusion.incident import Incident
from truceline.store import Store, open_store
from truceline.store.dialect import store_error
from truceline.store.migrations import LATEST_VERSION
from truceline.store.sql_store import SqlStore
from truceline.store.tables import incident_observations


def _writer(target: str, first: int, last: int, start: Barrier) -> int:
    """Open the store (maybe creating it), then add observations first..last in batches;
    after each batch, replace the incidents every writer shares (and one of its own) and
    judge them."""
    start.wait(timeout=60)
    with open_store(target) as store:
        added = 0
        own = incident(f"from-{first}", (observation(first).id,))
        for low in range(first, last, 250):
            added += store.add_observations(
                [observation(i) for i in range(low, min(low + 250, last))]
            )
            store.replace_incidents([own.id], [*_shared_incidents(), own])
            store.put_determinations([determination(i.id) for i in [*_shared_incidents(), own]])
    return added


def _check_incidents(store: Store, writers: list[int]) -> None:
    """The shared incidents and one per writer, each stored once with its links and its
    determination."""
    assert isinstance(store, SqlStore)
    stored = store.incidents()
    expected = [i.id for i in _shared_incidents()] + [f"inc-from-{first}" for first in writers]
    assert sorted(i.id for i in stored) == sorted(expected)
    assert len(store.determinations()) == len(stored)
    with store.engine.connect() as conn:
        links = conn.execute(select(func.count()).select_from(incident_observations)).scalar()
    assert links == sum(len(set(i.observation_ids)) for i in stored)


def _reader(target: str, total: int, start: Barrier) -> list[int]:
    """Open the store (maybe creating it) and count observations until all `total` are in;
    every snapshot read must hold distinct ids in order."""
    start.wait(timeout=60)
    counts: list[int] = []
    deadline = time.monotonic() + 60
    with open_store(target) as store:
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


def _shared_incidents() -> list[Incident]:
    """Incidents every replacer stores: the same ids and content, so they overlap fully."""
    return [incident(f"shared-{n}", (f"obs-{n}", f"obs-{n + 1}")) for n in range(20)]


def _race(target: str | Path, tasks: list[tuple[Callable[..., Any], tuple[Any, ...]]]) -> list[Any]:
    """Run each task(target, *args, barrier) in its own spawned process, all released
    together; their results in task order."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(len(tasks))
    results = context.Queue()
    workers = [
        context.Process(target=_run, args=(index, task, (str(target), *args, start), results))
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


def test_two_processes_store_overlapping_observations_exactly_once(store_target: str) -> None:
    # not there yet: both processes race to create it
    added = _race(store_target, [(_writer, (0, 2_000)), (_writer, (1_000, 3_000))])
    assert sum(added) == 3_000
    assert min(added) >= 1_000  # each stored at least the part only it had
    with open_store(store_target) as store:
        assert store.observation_count() == 3_000
        _check_incidents(store, [0, 1_000])
        assert [o.id for o in store.observations()] == [observation(i).id for i in range(3_000)]
        assert store.schema_version() == LATEST_VERSION


def test_three_writers_and_a_reader_create_and_fill_one_store(store_target: str) -> None:
    total = 2_000  # all four race to create the store
    writers = [(_writer, (first, first + 1_000)) for first in (0, 500, 1_000)]
    *added, counts = _race(store_target, [*writers, (_reader, (total,))])
    assert sum(added) == total
    assert counts == sorted(counts)  # a reader never sees rows vanish
    assert counts[-1] == total
    with open_store(store_target) as store:
        assert [o.id for o in store.observations()] == [observation(i).id for i in range(total)]
        _check_incidents(store, [0, 500, 1_000])


def test_threads_sharing_one_store_store_everything_once(store_target: str) -> None:
    """Threads share one store (and its connection pool), adding overlapping batches and
    replacing the same incidents at once."""
    errors: list[BaseException] = []
    added: list[int] = []
    lock = threading.Lock()

    with open_store(store_target) as store:

        def work(first: int) -> None:
            try:
                count = 0
                for low in range(first, first + 600, 150):
                    count += store.add_observations([observation(i) for i in range(low, low + 150)])
                    store.replace_incidents([], _shared_incidents())
                with lock:
                    added.append(count)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(first,)) for first in (0, 300, 600, 900)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []
        assert sum(added) == 1_500
        assert store.observation_count() == 1_500
        assert [o.id for o in store.observations()] == [observation(i).id for i in range(1_500)]
        assert store.incidents() == sorted(_shared_incidents(), key=lambda i: (i.start, i.id))


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
                assert store.schema_version() == LATEST_VERSION
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
