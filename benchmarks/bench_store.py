"""Store speed: bulk writes and reads of observations on SQLite.

    python -m benchmarks.bench_store [n]

n FIRMS-like observations (three attributes each), spread over a year in time order, are
written to a new store in one batch (the bulk path: indexes built after the rows), then
n/20 more (row-by-row index updates), then n/10 again (all already present); then every
observation is read back with iter_observations, and one day is queried.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from truceline.observations.model import Credibility, Kind, Observation, Reliability
from truceline.store import TimeWindow, open_store

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def observations(n: int, seed: int) -> list[Observation]:
    """n observations over one year (year number `seed` after 2024), in time order."""
    rng = np.random.default_rng(seed)
    seconds = np.sort(rng.integers(0, 365 * 86_400, n)) + seed * 365 * 86_400
    lon, lat = rng.uniform(22.0, 40.0, n), rng.uniform(44.0, 52.0, n)
    frp = rng.uniform(0.0, 50.0, n)
    out = []
    for i in range(n):
        moment = T0 + timedelta(seconds=int(seconds[i]))
        out.append(
            Observation(
                source_id="firms-viirs-noaa20",
                source_ref=f"{seed}-{i}",
                observed_at=moment,
                time_uncertainty_s=300.0,
                received_at=moment,
                lon=float(lon[i]),
                lat=float(lat[i]),
                location_uncertainty_m=375.0,
                kind=Kind.THERMAL_ANOMALY,
                reliability=Reliability.B,
                credibility=Credibility.POSSIBLY_TRUE,
                attributes={"frp": float(frp[i]), "confidence": "n", "daynight": "D"},
            )
        )
    return out


def run(n: int = 1_000_000) -> dict[str, float]:
    """Rows per second of each step, and the file size per observation."""
    first, more = observations(n, seed=0), observations(max(n // 20, 1), seed=1)
    result: dict[str, float] = {"observations": float(n)}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite"
        with open_store(path) as store:
            started = time.perf_counter()
            store.add_observations(first)
            result["add_bulk_rows_per_second"] = n / (time.perf_counter() - started)
            started = time.perf_counter()
            store.add_observations(more)
            result["add_more_rows_per_second"] = len(more) / (time.perf_counter() - started)
            again = first[: max(n // 10, 1)]
            started = time.perf_counter()
            store.add_observations(again)
            result["add_present_rows_per_second"] = len(again) / (time.perf_counter() - started)
            started = time.perf_counter()
            total = sum(len(chunk) for chunk in store.iter_observations())
            result["iter_rows_per_second"] = total / (time.perf_counter() - started)
            day = TimeWindow(datetime(2024, 6, 1, tzinfo=UTC), datetime(2024, 6, 2, tzinfo=UTC))
            started = time.perf_counter()
            store.observations(window=day)
            result["one_day_query_seconds"] = time.perf_counter() - started
        result["bytes_per_observation"] = path.stat().st_size / total
    return result


POSTGRESQL = "postgresql://root@127.0.0.1:5432/test"
"""The PostgreSQL database of run_backends (TRUCELINE_BENCH_POSTGRESQL overrides it)."""


def run_backends(n: int = 100_000, postgresql: str | None = None) -> dict[str, float]:
    """Rows per second of add_observations on SQLite and on PostgreSQL, side by side: n
    observations into a new store (one batch), then n/20 more, then n/10 already present.

    The PostgreSQL store lives in a new schema of the database, deleted afterwards.
    """
    import os

    from truceline.store import delete_store, store_exists

    url = postgresql or os.environ.get("TRUCELINE_BENCH_POSTGRESQL", POSTGRESQL)
    first, more = observations(n, seed=0), observations(max(n // 20, 1), seed=1)
    again = first[: max(n // 10, 1)]
    result: dict[str, float] = {"observations": float(n)}
    with tempfile.TemporaryDirectory() as folder:
        targets = {
            "sqlite": str(Path(folder) / "bench.sqlite"),
            "postgresql": f"{url}?schema=bench_store_{os.getpid()}",
        }
        for backend, target in targets.items():
            try:
                with open_store(target) as store:
                    for step, batch in (
                        ("add_bulk", first),
                        ("add_more", more),
                        ("add_present", again),
                    ):
                        started = time.perf_counter()
                        store.add_observations(batch)
                        seconds = time.perf_counter() - started
                        result[f"{backend}_{step}_rows_per_second"] = len(batch) / seconds
            finally:
                if backend == "postgresql" and store_exists(target):
                    delete_store(target)
    return result


if __name__ == "__main__":
    print(run(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000))
