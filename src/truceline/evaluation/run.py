"""One evaluation: determine, match, score, replay, and check against the targets."""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from truceline.adjudication.adjudicator import Adjudicator
from truceline.adjudication.determination import Determination
from truceline.agreement.loaded import LoadedAgreement
from truceline.errors import InputError
from truceline.evaluation.data import EvaluationData, from_tables
from truceline.evaluation.matching import match
from truceline.evaluation.metrics import Quality, quality
from truceline.evaluation.replay import DEFAULT_BATCH_SECONDS, Replay, Window, replay
from truceline.fusion.aggregate import fuse_table
from truceline.fusion.build import build_incidents
from truceline.fusion.incident import Incident
from truceline.fusion.parameters import DEFAULT, FusionParameters
from truceline.geometry.theatre import Theatre
from truceline.simulation.tables import DEFAULT_START, simulate_tables


@dataclass(frozen=True)
class Targets:
    """The quality the product aims for on the standard scenario."""

    clear_f1: float = 0.95
    """Clear-breach F1, at least."""
    false_clear_per_10k: float = 1.0
    """False clear breaches per 10,000 reported background events, at most."""
    alert_p95_s: float = 60.0
    """95th percentile of the time to alert after the corroborating observation, below."""


@dataclass(frozen=True)
class Check:
    """One target, the measured value, and whether it is met (None: nothing to measure)."""

    name: str
    value: float | None
    target: str
    passed: bool | None


@dataclass(frozen=True)
class Latency:
    """Time to alert, from the streaming replay (seconds; None when no alert was raised)."""

    alerts: int
    from_observation_median_s: float | None
    from_observation_p95_s: float | None
    from_event_median_s: float | None
    from_event_p95_s: float | None
    batch_processing_median_s: float | None
    batch_processing_p95_s: float | None
    batch_processing_max_s: float | None
    observations: int
    preloaded: int
    batches: int
    batch_seconds: float
    window_start: str | None
    window_end: str | None
    wall_s: float


@dataclass(frozen=True)
class Evaluation:
    """The result of one evaluation."""

    scenario: dict[str, Any]
    quality: Quality
    latency: Latency | None
    checks: tuple[Check, ...]
    seconds: dict[str, float]
    """Measured wall-clock seconds of each step."""

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of everything."""
        return {
            "scenario": self.scenario,
            "quality": asdict(self.quality),
            "latency": None if self.latency is None else asdict(self.latency),
            "checks": [asdict(c) for c in self.checks],
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
        }


def simulated(
    loaded: LoadedAgreement,
    *,
    days: int,
    seed: int,
    observations: int | None = None,
    intensity: float = 1.0,
    start: datetime = DEFAULT_START,
    progress: Callable[[str], None] | None = None,
) -> EvaluationData:
    """Simulate a scenario for evaluation (about `observations` observations when given)."""
    return from_tables(
        simulate_tables(
            loaded,
            days=days,
            start=start,
            seed=seed,
            intensity=intensity,
            target_observations=observations,
            progress=progress,
        )
    )


def determine(
    data: EvaluationData, params: FusionParameters = DEFAULT
) -> tuple[list[Incident], list[Determination], dict[str, float]]:
    """Fuse every observation and judge every incident in one pass (the batch path)."""
    t0 = time.perf_counter()
    table = data.table
    incidents = build_incidents(table, fuse_table(table, params))
    t1 = time.perf_counter()
    adjudicator = Adjudicator(data.loaded, Theatre(data.loaded), data.registry())
    determinations = adjudicator.adjudicate(incidents, list(data.prenotifications))
    t2 = time.perf_counter()
    return incidents, determinations, {"fusion": t1 - t0, "adjudication": t2 - t1}


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return float(np.percentile(np.asarray(values, dtype=np.float64), q, method="linear"))


def latency_of(result: Replay, window: Window) -> Latency:
    """Medians and 95th percentiles of a replay."""
    from_obs = [a.from_observation_s for a in result.alerts]
    from_event = [a.from_event_s for a in result.alerts]
    processing = result.processing_s.tolist()

    def when(t: float | None) -> str | None:
        return None if t is None else _iso(t)

    return Latency(
        alerts=len(result.alerts),
        from_observation_median_s=_percentile(from_obs, 50),
        from_observation_p95_s=_percentile(from_obs, 95),
        from_event_median_s=_percentile(from_event, 50),
        from_event_p95_s=_percentile(from_event, 95),
        batch_processing_median_s=_percentile(processing, 50),
        batch_processing_p95_s=_percentile(processing, 95),
        batch_processing_max_s=max(processing) if processing else None,
        observations=result.observations,
        preloaded=result.preloaded,
        batches=result.batches,
        batch_seconds=result.batch_seconds,
        window_start=when(window.start),
        window_end=when(window.end),
        wall_s=result.wall_s,
    )


def _iso(t: float) -> str:
    from datetime import UTC

    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


def replay_window(data: EvaluationData, *, from_day: float | None, hours: float | None) -> Window:
    """Arrivals from `from_day` days after the scenario's start, for `hours` hours (None:
    from the start, to the end)."""
    for name, value in (("from_day", from_day), ("hours", hours)):
        if value is not None and not (math.isfinite(value) and value >= 0):
            raise InputError(f"{name} must be a number of at least 0, got {value!r}", field=name)
    start = data.start + timedelta(days=from_day) if from_day else None
    end = None
    if hours is not None:
        end = (start or data.start) + timedelta(hours=hours)
    return Window(
        start=None if start is None else start.timestamp(),
        end=None if end is None else end.timestamp(),
    )


def checks(result: Quality, latency: Latency | None, targets: Targets) -> tuple[Check, ...]:
    """Each target against what was measured."""
    f1 = result.clear.f1
    rate = result.background.per_10k
    p95 = None if latency is None else latency.from_observation_p95_s
    return (
        Check(
            "clear-breach F1",
            f1,
            f"≥ {targets.clear_f1:g}",
            None if f1 is None else f1 >= targets.clear_f1,
        ),
        Check(
            "false clear breaches per 10,000 background events",
            rate,
            f"≤ {targets.false_clear_per_10k:g}",
            None if rate is None else rate <= targets.false_clear_per_10k,
        ),
        Check(
            "time to alert after the corroborating observation, p95 (s)",
            p95,
            f"< {targets.alert_p95_s:g}",
            None if p95 is None else p95 < targets.alert_p95_s,
        ),
    )


def evaluate(
    data: EvaluationData,
    *,
    params: FusionParameters = DEFAULT,
    targets: Targets | None = None,
    window: Window | None = None,
    batch_seconds: float = DEFAULT_BATCH_SECONDS,
    run_replay: bool = True,
    advance: Callable[[int], None] | None = None,
    stage: Callable[[str], None] | None = None,
) -> Evaluation:
    """Determine in one pass and score it; replay the stream for the time to alert.

    `stage(name)` is told when each step begins, `advance(n)` after each replayed batch.
    """
    targets = targets or Targets()
    window = window or Window()
    seconds: dict[str, float] = {}
    if stage:
        stage("fusing and judging every observation")
    incidents, determinations, spent = determine(data, params)
    seconds.update(spent)
    t0 = time.perf_counter()
    result = quality(match(data, incidents, determinations), data)
    seconds["scoring"] = time.perf_counter() - t0
    latency = None
    if run_replay:
        if stage:
            stage("replaying the stream in order of arrival")
        replayed = replay(
            data, batch_seconds=batch_seconds, window=window, params=params, advance=advance
        )
        seconds["replay"] = replayed.wall_s
        latency = latency_of(replayed, window)
    scenario = {
        "agreement": f"{data.loaded.agreement.id} v{data.loaded.agreement.version}",
        "start": _iso(data.start.timestamp()),
        "end": _iso(data.end.timestamp()),
        "seed": data.seed,
        "observations": len(data.observation_ids),
        "events": len(data.truth),
        "events_by_category": dict(Counter(data.truth.category.tolist()).most_common()),
        "prenotifications": len(data.prenotifications),
    }
    return Evaluation(
        scenario=scenario,
        quality=result,
        latency=latency,
        checks=checks(result, latency, targets),
        seconds=seconds,
    )
