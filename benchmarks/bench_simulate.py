"""Generating simulated scenarios of 10^5 to 10^7 observations, and writing them out.

Each size is simulated on the generated theatre with `simulate_tables(...,
target_observations=N)`; the time includes the rounds that scale the intensity to the
target (a first round at intensity 1, then usually one at the scaled intensity). The
peak resident memory of the process is read after each size (sizes grow, so it is the
peak of the largest so far). The smallest size is also written to disk as
`truceline simulate` does and read back with `load_scenario`.

    python -m benchmarks.bench_simulate [--smoke] [--large]
"""

from __future__ import annotations

import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from truceline.simulation import generate_theatre, simulate_tables
from truceline.simulation.files import load_scenario, write_scenario

SIZES: tuple[tuple[int, int], ...] = ((100_000, 7), (1_000_000, 30))
"""(observations, days) of each run."""
LARGE: tuple[int, int] = (10_000_000, 366)
"""A year at 10^7 observations: run only with `large=True` (it needs about 15 GiB)."""
SMOKE_SIZES: tuple[tuple[int, int], ...] = ((1_000, 2), (10_000, 7))


def _peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024, 1)


def run(smoke: bool = False, large: bool = False) -> dict[str, Any]:
    """Seconds and memory per size; write and read-back seconds for the smallest. `large`
    adds a year at 10^7 observations."""
    theatre = generate_theatre(7)
    results: dict[str, Any] = {"sizes": []}
    sizes = SMOKE_SIZES if smoke else (*SIZES, LARGE) if large else SIZES
    for target, days in sizes:
        started = time.perf_counter()
        tables = simulate_tables(theatre, days=days, seed=7, target_observations=target)
        seconds = time.perf_counter() - started
        entry: dict[str, Any] = {
            "target_observations": target,
            "days": days,
            "observations": len(tables.observations),
            "true_events": len(tables.truth),
            "coverage_gaps": len(tables.coverage_gaps),
            "intensity": tables.intensity,
            "seconds": round(seconds, 2),
            "peak_rss_mib": _peak_rss_mib(),
        }
        if (target, days) == sizes[0]:
            folder = Path(tempfile.mkdtemp(prefix="truceline-bench-simulate-"))
            try:
                started = time.perf_counter()
                manifest = write_scenario(tables, folder / "scenario", days=days)
                entry["write_seconds"] = round(time.perf_counter() - started, 2)
                entry["written_bytes"] = sum(f["bytes"] for f in manifest["files"])
                started = time.perf_counter()
                load_scenario(folder / "scenario")
                entry["load_seconds"] = round(time.perf_counter() - started, 2)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        results["sizes"].append(entry)
        del tables
    return results


if __name__ == "__main__":
    print(json.dumps(run(smoke="--smoke" in sys.argv, large="--large" in sys.argv), indent=1))
