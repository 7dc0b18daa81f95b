"""Ingest one feed file into a store: stream, validate, deduplicate, store in batches."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from truceline.errors import InputError
from truceline.ledger.screening import screen_observation
from truceline.observations.model import Kind, Observation
from truceline.sources.base import Adapter, Rejection, adapter_for, excerpt
from truceline.sources.registry import SourceRegistry, with_source_releasability
from truceline.sources.thermal.baseline import BaselineModel
from truceline.sources.thermal.classify import Classification, Strategy, classify
from truceline.sources.thermal.history import Detections

MAX_KEPT_REJECTIONS = 100
STRICT_SHOWN = 10


class ObservationSink(Protocol):
    """Where ingested observations go (the store)."""

    def add_observations(self, batch: Sequence[Observation]) -> int:
        """Store a batch; returns how many were new (an id already stored is not new)."""
        ...


NO_BASELINE = "no thermal baseline: every FIRMS detection kept as a thermal anomaly"


@dataclass(frozen=True)
class ThermalOptions:
    """Score FIRMS detections against a background model while ingesting them."""

    model: BaselineModel
    strategy: Strategy = Strategy.SAME_DAY
    name: str = "baseline"
    """How the report names the model (its file)."""
    distance_to_line_km: (
        Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.float64]] | None
    ) = None
    """Distance of (lon, lat) points to the line of contact in km, when a line is known."""


@dataclass(frozen=True)
class IngestReport:
    """What happened to one file."""

    file: str
    rows_read: int
    """Records read: accepted plus rejected."""
    accepted: int
    stored_new: int
    duplicates: int
    """Accepted records already stored, or repeated within the file."""
    rejected: int
    rejections: tuple[Rejection, ...]
    """The first 100 rejections."""
    seconds: float
    thermal: str = NO_BASELINE
    """How FIRMS detections were weighed: the baseline and strategy used, or that none was."""
    anomalous: int = 0
    """Detections kept as thermal anomalies (all of them without a baseline)."""
    normal: int = 0
    """Detections consistent with the background, stored as kind 'fire'."""


def _progress(enabled: bool, console: Console | None) -> AbstractContextManager[Progress | None]:
    if not enabled:
        return nullcontext(None)
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console if console is not None else Console(stderr=True),
        transient=True,
    )


def _screened(
    adapter: Adapter, path: Path, registry: SourceRegistry, received_at: datetime
) -> Iterator[Observation | Rejection]:
    """The adapter's output, with observations of unregistered sources turned away, as
    are those with a refused evidence URI or, from a source with a public key, without a
    valid signature; the others given their source's default releasability when they give
    none."""
    for item in adapter.read(path, received_at=received_at):
        if not isinstance(item, Observation):
            yield item
        elif item.source_id not in registry:
            yield adapter.unknown_source(str(path), None, item.source_id, item.source_ref)
        else:
            source = registry.get(item.source_id)
            refused = screen_observation(item, source)
            if refused is not None:
                yield Rejection(str(path), None, refused[0], refused[1], excerpt(item.source_ref))
            else:
                yield with_source_releasability(item, source)


def _validate_whole_file(
    adapter: Adapter, path: Path, registry: SourceRegistry, received_at: datetime
) -> None:
    """For strict mode: raise InputError with the first rejections, if there is any."""
    rejections: list[Rejection] = []
    count = 0
    for item in _screened(adapter, path, registry, received_at):
        if isinstance(item, Rejection):
            count += 1
            if len(rejections) < STRICT_SHOWN:
                rejections.append(item)
    if count:
        listed = "\n  ".join(str(r) for r in rejections)
        more = f"\n  ... and {count - len(rejections)} more" if count > len(rejections) else ""
        raise InputError(
            f"{path}: {count} bad record(s), nothing stored (strict mode); fix them or ingest "
            f"without --strict to keep the good ones:\n  {listed}{more}",
            field=rejections[0].field,
        )


def thermal_observation(obs: Observation, result: Classification, i: int) -> Observation:
    """Detection `i` of a classified batch as an observation: kind `thermal_anomaly` when
    anomalous, `fire` when normal; the score, strategy and reason as attributes; the
    credibility of an anomaly from the evidence (docs/thermal.md)."""
    anomalous = bool(result.anomalous[i])
    attributes = {
        **obs.attributes,
        "thermal_score": float(result.score[i]),
        "thermal_p": float(f"{result.p[i]:.4g}"),
        "thermal_strategy": result.strategy.value,
        "thermal_reason": str(result.reason[i]),
    }
    return obs.model_copy(
        update={
            "kind": Kind.THERMAL_ANOMALY if anomalous else Kind.FIRE,
            "credibility": result.credibility(i, obs.credibility),
            "attributes": attributes,
        }
    )


def _classified(
    adapter: Adapter,
    path: Path,
    registry: SourceRegistry,
    received_at: datetime,
    thermal: ThermalOptions,
) -> tuple[dict[str, int], Classification]:
    """First pass over a FIRMS file: the whole file classified as one batch, and the index
    of each observation id in it."""
    positions: dict[str, int] = {}
    lat: list[float] = []
    lon: list[float] = []
    days: list[np.datetime64] = []
    frp: list[float] = []
    night: list[bool] = []
    for item in _screened(adapter, path, registry, received_at):
        if not isinstance(item, Observation):
            continue
        positions[item.id] = len(lat)
        lat.append(item.lat)
        lon.append(item.lon)
        days.append(np.datetime64(item.observed_at.date(), "D"))
        power = item.attributes.get("frp")
        frp.append(float(power) if isinstance(power, int | float) else float("nan"))
        night.append(str(item.attributes.get("daynight", "")).upper() == "N")
    detections = Detections(
        lat=np.asarray(lat, dtype=np.float64),
        lon=np.asarray(lon, dtype=np.float64),
        day=np.asarray(days, dtype="datetime64[D]"),
        frp=np.asarray(frp, dtype=np.float64),
        night=np.asarray(night, dtype=np.bool_),
    )
    distance = None
    if thermal.distance_to_line_km is not None and len(detections):
        distance = thermal.distance_to_line_km(detections.lon, detections.lat)
    result = classify(detections, thermal.model, thermal.strategy, distance_to_line_km=distance)
    return positions, result


def ingest_file(
    path: Path,
    sink: ObservationSink,
    *,
    registry: SourceRegistry,
    adapter: str | None = None,
    strict: bool = False,
    progress: bool = True,
    received_at: datetime | None = None,
    batch_size: int = 5000,
    console: Console | None = None,
    thermal: ThermalOptions | None = None,
) -> IngestReport:
    """Read one file with its adapter and store its good observations in `sink`.

    Bad records are reported and skipped; with `strict`, any bad record refuses the whole
    file (the file is validated first and nothing is stored). Raises InputError when the
    file as a whole cannot be read (unknown format, missing columns, not GeoJSON). With
    `progress`, a progress bar is drawn on `console` (default: standard error) while reading.

    With `thermal`, a FIRMS file is first read as a whole and classified against the
    background model (the retrospective strategy needs the whole batch); each detection is
    then stored as a `thermal_anomaly` or, when it is consistent with the background, as a
    `fire`. Without it, every detection stays a `thermal_anomaly` and the report says that
    no baseline was used.
    """
    if batch_size < 1:
        raise InputError(f"batch_size must be at least 1, got {batch_size}", field="batch_size")
    started = time.perf_counter()
    try:
        total = path.stat().st_size
    except OSError as exc:
        raise InputError(
            f"{path}: cannot be read ({exc.strerror or exc}); check the path"
        ) from None
    received = received_at if received_at is not None else datetime.now(UTC)
    reader = adapter_for(path, adapter, registry=registry)
    if strict:
        _validate_whole_file(reader, path, registry, received)
        reader = type(reader)(registry)
    scored: tuple[dict[str, int], Classification] | None = None
    if thermal is not None and reader.name == "firms":
        scored = _classified(reader, path, registry, received, thermal)
        reader = type(reader)(registry)
    seen: set[str] = set()
    batch: list[Observation] = []
    rejections: list[Rejection] = []
    accepted = stored_new = rejected = anomalous = normal = 0
    with _progress(progress, console) as bar:
        task = bar.add_task(path.name, total=total) if bar is not None else None
        for item in _screened(reader, path, registry, received):
            if isinstance(item, Rejection):
                rejected += 1
                if len(rejections) < MAX_KEPT_REJECTIONS:
                    rejections.append(item)
                continue
            accepted += 1
            if item.id in seen:
                continue
            seen.add(item.id)
            if scored is not None and item.id in scored[0]:
                item = thermal_observation(item, scored[1], scored[0][item.id])
            if item.kind is Kind.FIRE:
                normal += 1
            elif item.kind is Kind.THERMAL_ANOMALY:
                anomalous += 1
            batch.append(item)
            if len(batch) >= batch_size:
                stored_new += sink.add_observations(batch)
                batch = []
                if bar is not None and task is not None:
                    bar.update(task, completed=reader.bytes_read)
        if batch:
            stored_new += sink.add_observations(batch)
        if bar is not None and task is not None:
            bar.update(task, completed=total)
    return IngestReport(
        file=str(path),
        rows_read=accepted + rejected,
        accepted=accepted,
        stored_new=stored_new,
        duplicates=accepted - stored_new,
        rejected=rejected,
        rejections=tuple(rejections),
        seconds=time.perf_counter() - started,
        thermal=_thermal_words(thermal, scored is not None, reader.name),
        anomalous=anomalous,
        normal=normal,
    )


def _thermal_words(thermal: ThermalOptions | None, used: bool, adapter: str) -> str:
    if thermal is None:
        return NO_BASELINE if adapter == "firms" else "not a FIRMS file: no thermal scoring"
    if not used:
        return "not a FIRMS file: no thermal scoring"
    years = ", ".join(str(y) for y in thermal.model.years)
    line = "" if thermal.distance_to_line_km is not None else ", no line of contact"
    return (
        f"thermal baseline {thermal.name} (normal years {years}), "
        f"strategy {thermal.strategy.value}{line}"
    )
