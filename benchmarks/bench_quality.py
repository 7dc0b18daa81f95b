"""Quality of determinations against the ground truth, and time to alert.

    python -m benchmarks.bench_quality [--smoke]

The standard scenario: the generated theatre (seed 7), 30 days from 1 September 2025,
about 10^6 observations. Every observation is fused and judged in one pass and the
determinations are scored against the truth (docs/evaluation.md). The time to alert comes
from a streaming replay of 6 hours of arrivals (from 06:00 UTC on day 15, what arrived before
is judged in one pass first) in batches of 5 seconds: replaying all 30 days batch by batch
would take hours. The smoke run: one day of the normal intensity, replayed whole.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from typing import Any

from truceline.evaluation.run import evaluate, replay_window, simulated
from truceline.simulation.theatre import generate_theatre

SEED = 7


@dataclass(frozen=True)
class Setting:
    days: int
    observations: int | None
    replay_from_day: float | None
    replay_hours: float | None


STANDARD = Setting(days=30, observations=1_000_000, replay_from_day=15.25, replay_hours=6.0)
SMOKE = Setting(days=1, observations=None, replay_from_day=None, replay_hours=None)


def run(smoke: bool = False) -> dict[str, Any]:
    """Every figure of `truceline evaluate` on the standard scenario (or a tiny one)."""
    setting = SMOKE if smoke else STANDARD
    started = time.perf_counter()
    data = simulated(
        generate_theatre(seed=SEED),
        days=setting.days,
        seed=SEED,
        observations=setting.observations,
    )
    simulated_s = time.perf_counter() - started
    window = replay_window(data, from_day=setting.replay_from_day, hours=setting.replay_hours)
    result = evaluate(data, window=window).to_json()
    result["seconds"]["simulation"] = round(simulated_s, 3)
    result["command"] = "python -m benchmarks.bench_quality" + (" --smoke" if smoke else "")
    return result


if __name__ == "__main__":
    print(json.dumps(run(smoke="--smoke" in sys.argv[1:]), indent=2))
