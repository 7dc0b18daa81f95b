"""Two processes writing the same SQLite store at once: each observation stored once."""

from __future__ import annotations

import multiprocessing
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from store_helpers import incident, observation

from truceline.store import open_store


def _writer(path: str, first: int, last: int, start: Barrier, results: Any) -> None:
    """Open the store (maybe creating it), then add observations first..last in batches."""
    start.wait(timeout=60)
    with open_store(path) as store:
        added = 0
        for low in range(first, last, 250):
            added += store.add_observations(
                [observation(i) for i in range(low, min(low + 250, last))]
            )
        store.replace_incidents([], [incident(f"from-{first}", (observation(first).id,))])
    results.put(added)


def test_two_processes_store_overlapping_observations_exactly_once(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"  # not there yet: both processes race to create it
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    results = context.Queue()
    workers = [
        context.Process(target=_writer, args=(str(path), first, last, start, results))
        for first, last in ((0, 2_000), (1_000, 3_000))
    ]
    for worker in workers:
        worker.start()
    added = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert sum(added) == 3_000
    assert min(added) >= 1_000  # each stored at least the part only it had
    with open_store(path) as store:
        assert store.observation_count() == 3_000
        assert store.incident_count() == 2
        assert [o.id for o in store.observations()] == [observation(i).id for i in range(3_000)]
        assert store.schema_version() == 1
