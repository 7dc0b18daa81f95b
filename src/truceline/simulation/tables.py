"""A simulated scenario as columns: the form that scales to millions of observations.

`simulate_tables` runs the simulation and keeps everything as numpy columns: the
observations as an `ObservationTable` (sorted by id), when each reached the monitor, which
true event each reports, and the truth itself as a `TruthTable` (one row per true event,
sorted by event id). `simulate` (scenario.py) is a thin wrapper that turns the same
result into `Observation` and `TruthEvent` objects for small scenarios.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
from shapely.geometry.base import BaseGeometry

from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.prenotification import PreNotification
from truceline.errors import InputError
from truceline.observations.model import Credibility, Reliability
from truceline.observations.table import (
    DOMAINS,
    KINDS,
    FloatArray,
    IntArray,
    ObservationTable,
    StrArray,
)
from truceline.simulation.broken_rules import broken_rules
from truceline.simulation.events import EventTable, Window
from truceline.simulation.gaps import CoverageGap
from truceline.simulation.placement import ObjectArray, TheatreFrame, unset
from truceline.simulation.planning import plan
from truceline.simulation.reports import Reports, missing
from truceline.simulation.sensors import SensorContext, SensorModel, default_sensors
from truceline.sources.registry import Source, SourceRegistry

__all__ = [
    "DEFAULT_START",
    "MAX_INTENSITY",
    "ScenarioTables",
    "TruthTable",
    "component_rng",
    "simulate_tables",
]

DEFAULT_START = datetime(2025, 9, 1, tzinfo=UTC)
MAX_INTENSITY = 100_000.0
TARGET_TOLERANCE = 0.1
"""`target_observations` is met within this relative tolerance."""
RNG_LABELS = (
    "violations",
    "permitted",
    "training",
    "harvest",
    "satellite",
    "patrol",
    "uav",
    "weather",
)

Progress = Callable[[str], None]
"""Told the name of each step as it starts (for a progress display)."""


def component_rng(seed: int, label: str) -> np.random.Generator:
    """The generator of one component of the simulation, independent of the others."""
    import zlib

    return np.random.default_rng([seed, zlib.crc32(label.encode())])


@dataclass(frozen=True, eq=False)
class TruthTable:
    """What really happened: one row per true event, seen or not, sorted by event id.

    Text columns hold "" where the event has no value (no rule, no party...).
    """

    ids: StrArray
    category: StrArray
    """A `Category` value."""
    rule: StrArray
    """The primary rule of a violation, the act alleged by a false report; "" otherwise."""
    rules: StrArray
    """Every act the event truly breaks, sorted codes joined by ";" ("" for none)."""
    party: StrArray
    kind: StrArray
    t: FloatArray
    """When it happened, seconds since the epoch."""
    lon: FloatArray
    lat: FloatArray
    weapon_class: StrArray
    domain: StrArray
    victim: StrArray
    """The party it was aimed at ("" when none)."""
    origin_lon: FloatArray
    """Where fire came from, NaN when it has no separate origin."""
    origin_lat: FloatArray
    prenotification_id: StrArray
    distance_m: FloatArray
    """Distance to the line of contact, metres."""
    along_m: FloatArray
    """Position along the line of contact of the nearest line point, metres."""
    note: ObjectArray
    """What happened, in words (str)."""

    def __len__(self) -> int:
        return int(self.ids.size)

    def equals(self, other: TruthTable) -> bool:
        """Column by column equality (NaN equal to NaN)."""
        return all(_same(getattr(self, f.name), getattr(other, f.name)) for f in fields(TruthTable))


@dataclass(frozen=True, eq=False)
class ScenarioTables:
    """A simulated scenario as columns (see the module doc)."""

    loaded: LoadedAgreement
    sources: list[Source]
    """Every source that can report in this scenario, sorted by id."""
    observations: ObservationTable
    received_t: FloatArray
    """Per observation row: when it reached the monitor, seconds since the epoch."""
    event_index: IntArray
    """Per observation row: its row in `truth`."""
    truth: TruthTable
    prenotifications: list[PreNotification]
    """Sorted by start, then id."""
    coverage_gaps: list[CoverageGap]
    """Sorted by start, sensor, source, sector, end."""
    start: datetime
    end: datetime
    seed: int
    source_refs: StrArray = field(default_factory=lambda: np.empty(0, dtype=str))
    """Per observation row: its `source_ref`."""
    attributes: dict[str, np.ndarray] = field(default_factory=dict)
    """Per observation row: attribute columns (float, NaN when absent; or str, "" when
    absent)."""
    intensity: float = 1.0
    """The intensity the scenario was simulated at (after scaling to a target size)."""

    def registry(self) -> SourceRegistry:
        """A source registry holding exactly this scenario's sources."""
        return SourceRegistry(self.sources)

    def observation_ids(self, event_row: int) -> StrArray:
        """Sorted ids of the observations of one true event."""
        return np.asarray(self.observations.ids[self.event_index == event_row], dtype=np.str_)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    if a.shape != b.shape:
        return False
    if a.dtype.kind == "f" and b.dtype.kind == "f":
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.array_equal(a, b))


def simulate_tables(
    loaded: LoadedAgreement,
    *,
    days: int = 7,
    start: datetime = DEFAULT_START,
    seed: int = 7,
    intensity: float = 1.0,
    land: BaseGeometry | None = None,
    target_observations: int | None = None,
    sensors: Sequence[SensorModel] | None = None,
    progress: Progress | None = None,
) -> ScenarioTables:
    """Simulate `days` of events and observations under an agreement, as columns.

    `intensity` scales every rate (violations, background, noise); 1 gives a few thousand
    observations a week on a 350 km line. With `target_observations`, the intensity is
    scaled (from `intensity` as a first guess) until the number of observations lies
    within 10 % of the target. `land` (WGS 84 polygons, e.g. a country outline) keeps land
    events inside it. `sensors` replaces the default sensor models. `progress` is told the
    name of each step.
    """
    _check(seed, intensity, target_observations)
    Window(start, days)  # checks start and days before any work
    if target_observations is None:
        return _run(loaded, days, start, seed, float(intensity), land, sensors, progress)
    return _to_target(
        loaded, days, start, seed, float(intensity), land, sensors, progress, target_observations
    )


def _check(seed: int, intensity: float, target: int | None) -> None:
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}", field="seed")
    if not (isinstance(intensity, int | float) and math.isfinite(intensity)) or not (
        0 < intensity <= MAX_INTENSITY
    ):
        raise InputError(
            f"intensity must be a number above 0 and at most {MAX_INTENSITY:g}, got {intensity!r}",
            field="intensity",
        )
    if target is not None and (
        not isinstance(target, int) or isinstance(target, bool) or not 1 <= target <= 10**9
    ):
        raise InputError(
            f"target_observations must be a whole number from 1 to 10^9, got {target!r}",
            field="target_observations",
        )


def _to_target(
    loaded: LoadedAgreement,
    days: int,
    start: datetime,
    seed: int,
    intensity: float,
    land: BaseGeometry | None,
    sensors: Sequence[SensorModel] | None,
    progress: Progress | None,
    target: int,
) -> ScenarioTables:
    """Scale the intensity until the count is within tolerance of the target.

    The count grows about linearly with the intensity; each round rescales by the ratio
    of target to count. A first round at a small intensity keeps the cost of guessing low.
    """
    guess = intensity
    for _ in range(6):
        tables = _run(loaded, days, start, seed, guess, land, sensors, progress)
        count = len(tables.observations)
        if abs(count - target) <= TARGET_TOLERANCE * target:
            return tables
        scaled = guess * target / max(count, 1)
        if scaled > MAX_INTENSITY:
            raise InputError(
                f"{target} observations need an intensity above {MAX_INTENSITY:g} over "
                f"{days} days; simulate more days or ask for fewer observations",
                field="target_observations",
            )
        guess = float(f"{scaled:.6g}")
    raise InputError(
        f"could not reach {target} observations within {TARGET_TOLERANCE:.0%} "
        f"(last run: {count}); the scenario is too small for that target, simulate more days",
        field="target_observations",
    )


def _run(
    loaded: LoadedAgreement,
    days: int,
    start: datetime,
    seed: int,
    intensity: float,
    land: BaseGeometry | None,
    sensors: Sequence[SensorModel] | None,
    progress: Progress | None,
) -> ScenarioTables:
    say = progress or (lambda _: None)
    window = Window(start, days)
    say("placing the theatre")
    frame = TheatreFrame(loaded, land)
    ctx = SensorContext(frame, window, loaded.agreement)
    rngs = {label: component_rng(seed, label) for label in RNG_LABELS}
    if sensors is None:
        sensors = default_sensors(ctx, rngs)

    say("planning events")
    planned = plan(frame, loaded.agreement, window, rngs, intensity)
    noise = [s.plan_noise(ctx, component_rng(seed, f"noise:{s.name}"), intensity) for s in sensors]
    events = EventTable.concat([planned.events, *noise]).locate(frame)

    batches: list[Reports] = []
    for sensor in sensors:
        say(f"observing: {sensor.name}")
        batches.append(sensor.observe(events, ctx, component_rng(seed, f"observe:{sensor.name}")))
    reports = Reports.concat(batches)

    say("judging the truth")
    agreement = loaded.agreement
    lifted = {
        notice.id: frozenset(agreement.permitted_activity(notice.activity).exempts)
        for notice in planned.prenotifications
    }
    rules = broken_rules(events, frame, agreement, lifted)
    truth, row_of_event = truth_table(events, rules)

    say("building the observation table")
    sources = sorted({s.id: s for sensor in sensors for s in sensor.sources}.values(), key=_id)
    table, keep, refs, attrs = observation_table(reports, sources)
    gaps = sorted((g for s in sensors for g in s.gaps(ctx)), key=CoverageGap.key)
    return ScenarioTables(
        loaded=loaded,
        sources=sources,
        observations=table,
        received_t=reports.received[keep],
        event_index=row_of_event[reports.event[keep]].astype(np.int32),
        truth=truth,
        prenotifications=sorted(planned.prenotifications, key=lambda p: (p.starts_at, p.id)),
        coverage_gaps=gaps,
        start=window.start,
        end=window.end,
        seed=seed,
        source_refs=refs,
        attributes=attrs,
        intensity=intensity,
    )


def _id(source: Source) -> str:
    return source.id


def _text(column: ObjectArray) -> StrArray:
    """An object column of str or None as a str array, "" for None."""
    values = np.where(unset(column), "", column)
    return np.asarray(values.astype(str), dtype=str)


def truth_table(
    events: EventTable, rules: list[tuple[str, ...]]
) -> tuple[TruthTable, npt.NDArray[np.int64]]:
    """The truth sorted by event id, and the truth row of each event-table row."""
    ids = _text(events.id)
    order = np.argsort(ids, kind="stable")
    row_of_event = np.empty(order.size, dtype=np.int64)
    row_of_event[order] = np.arange(order.size)
    joined = np.array([";".join(r) for r in rules], dtype=str) if rules else np.empty(0, str)
    note = np.empty(order.size, dtype=object)
    note[:] = [str(n) for n in events.note[order].tolist()]
    truth = TruthTable(
        ids=ids[order],
        category=_text(events.category)[order],
        rule=_text(events.rule)[order],
        rules=joined[order] if joined.size else np.full(order.size, "", dtype=str),
        party=_text(events.party)[order],
        kind=_text(events.kind)[order],
        t=events.t[order],
        lon=events.lon[order],
        lat=events.lat[order],
        weapon_class=_text(events.weapon_class)[order],
        domain=_text(events.domain)[order],
        victim=_text(events.victim)[order],
        origin_lon=events.origin_lon[order],
        origin_lat=events.origin_lat[order],
        prenotification_id=_text(events.prenotification_id)[order],
        distance_m=events.distance_m[order],
        along_m=events.along_m[order],
        note=note,
    )
    return truth, row_of_event


def observation_ids(source: ObjectArray, ref: ObjectArray) -> StrArray:
    """`truceline.observations.model.observation_id` of each (source, ref), vectorised."""
    ids = [
        "obs-" + hashlib.sha256(f"{s}\x1f{r}".encode()).hexdigest()[:24]
        for s, r in zip(source.tolist(), ref.tolist(), strict=True)
    ]
    return np.array(ids, dtype=str) if ids else np.empty(0, dtype="<U28")


def observation_table(
    reports: Reports, sources: Sequence[Source]
) -> tuple[ObservationTable, npt.NDArray[np.int64], StrArray, dict[str, np.ndarray]]:
    """The reports as an `ObservationTable` (sorted by id, one row per id: the copy
    received first), the report row of each table row, refs and attribute columns."""
    ids = observation_ids(reports.source, reports.ref)
    order = np.lexsort((reports.received, ids))
    sorted_ids = ids[order]
    first = np.ones(order.size, dtype=bool)
    first[1:] = sorted_ids[1:] != sorted_ids[:-1]
    keep = order[first]
    r = reports.take(keep)
    n = len(r)
    by_id = {s.id: s for s in sources}
    source_text = r.source.astype(str)
    vocabulary, source_codes = np.unique(source_text, return_inverse=True)
    present = [by_id[str(s)] for s in vocabulary.tolist()]
    groups = sorted({s.independence_group for s in present})
    parties = sorted({s.party for s in present if s.party is not None})
    group_of = np.array([groups.index(s.independence_group) for s in present], dtype=np.int32)
    party_of = np.array(
        [-1 if s.party is None else parties.index(s.party) for s in present], dtype=np.int32
    )
    is_party_of = np.array([s.is_party_channel for s in present], dtype=bool)
    reliability_of = np.array([list(Reliability).index(s.reliability) for s in present])
    credibility_of = np.array([int(s.credibility) for s in present])
    source_code: IntArray = np.asarray(source_codes.reshape(-1), dtype=np.int32)
    own = credibility_of[source_code] if n else np.empty(0, dtype=np.int64)
    credibility = np.where(r.credibility > 0, r.credibility, own)
    grade = reliability_of[source_code] * len(Credibility) + credibility - 1 if n else credibility
    weapon_text = r.weapon_class.astype(str)
    weapons = sorted({w for w in np.unique(weapon_text).tolist() if w})
    weapon_code = np.full(n, -1, dtype=np.int32)
    for code, name in enumerate(weapons):
        weapon_code[weapon_text == name] = code
    origin_lon = _float_attr(r.attrs, "origin_lon", n, -180.0, 180.0)
    origin_lat = _float_attr(r.attrs, "origin_lat", n, -90.0, 90.0)
    no_origin = np.isnan(origin_lon) | np.isnan(origin_lat)
    origin_lon[no_origin] = np.nan
    origin_lat[no_origin] = np.nan
    bearing = _float_attr(r.attrs, "fire_from_bearing_deg", n, -360.0, 360.0) % 360.0
    table = ObservationTable(
        ids=ids[keep],
        lon=r.lon,
        lat=r.lat,
        t=r.t,
        time_unc=r.time_unc,
        loc_unc=r.loc_unc,
        kind=_codes(r.kind, {k.value: i for i, k in enumerate(KINDS)}).astype(np.int8),
        domain=_codes(r.domain, {d.value: i for i, d in enumerate(DOMAINS)}).astype(np.int8),
        grade=np.asarray(grade, dtype=np.int8),
        source=source_code,
        group=group_of[source_code] if n else np.empty(0, dtype=np.int32),
        is_party=is_party_of[source_code] if n else np.empty(0, dtype=bool),
        party=party_of[source_code] if n else np.empty(0, dtype=np.int32),
        weapon=weapon_code,
        calibre=r.calibre,
        origin_lon=origin_lon,
        origin_lat=origin_lat,
        bearing=bearing,
        sources=tuple(str(s) for s in vocabulary.tolist()),
        groups=tuple(groups),
        parties=tuple(parties),
        weapon_classes=tuple(weapons),
    )
    refs = r.ref.astype(str) if n else np.empty(0, dtype=str)
    return table, keep, refs, dict(r.attrs)


def _codes(values: ObjectArray, codes: Mapping[str, int]) -> npt.NDArray[np.int64]:
    if values.size == 0:
        return np.empty(0, dtype=np.int64)
    names, inverse = np.unique(values.astype(str), return_inverse=True)
    lookup = np.array([codes[str(name)] for name in names.tolist()], dtype=np.int64)
    return np.asarray(lookup[inverse.reshape(-1)], dtype=np.int64)


def _float_attr(
    attrs: Mapping[str, np.ndarray], name: str, n: int, low: float, high: float
) -> FloatArray:
    column = attrs.get(name)
    if column is None or column.dtype != np.float64:
        return np.full(n, np.nan)
    out = column.copy()
    out[missing(column) | (out < low) | (out > high)] = np.nan
    return out
