"""Sensor models: who sees which simulated event, and how they report it.

One small class per sensor model. A sensor owns its sources (as they appear in the source
registry), decides per event whether it sees it (vectorised over the event table), and
turns its detections into a `Reports` batch (columns) with the sensor's own location and
time errors and reporting delay. Most sensors report an event at most once
(`EventSensor`, overriding `coverage`); satellites report what burns at each overpass.
Sensors that plan coverage and lose some of it (clouds, cancelled or jammed UAV sorties,
patrol sectors closed to the mission) list it as `CoverageGap`s.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
from pyproj import Geod
from scipy.spatial import cKDTree

from truceline.agreement.model import Agreement, Party
from truceline.observations.model import (
    Credibility,
    Kind,
    Reliability,
    SourceType,
)
from truceline.simulation.events import DAY_S, HOUR_S, EventTable, Window
from truceline.simulation.gaps import CoverageGap, GapReason, gap, strip, strip_label
from truceline.simulation.placement import (
    BoolArray,
    FloatArray,
    ObjectArray,
    TheatreFrame,
    unset,
)
from truceline.simulation.reports import IndexArray, Reports
from truceline.simulation.truth import Category
from truceline.simulation.weather import Clouds
from truceline.sources.firms import credibility_of_percent, pixel_radius_m
from truceline.sources.registry import BUILTIN_SOURCES, Source

MISSION = "Monitoring mission"
"""Operator of the mission's own sensors."""

_GEOD = Geod(ellps="WGS84")
_FIRE = (Kind.EXPLOSION, Kind.IMPACT, Kind.LAUNCH, Kind.SMALL_ARMS_FIRE)
_IDENTIFIABLE = (
    Kind.AIRCRAFT.value,
    Kind.VESSEL.value,
    Kind.WEAPON_SIGHTING.value,
    Kind.ARMED_PRESENCE.value,
    Kind.MOVEMENT.value,
)

Location = tuple[FloatArray, FloatArray, FloatArray, dict[str, np.ndarray]]
"""Reported longitude, latitude, location uncertainty (m) and attributes of detections."""


@dataclass(frozen=True)
class SensorContext:
    """What sensors know of the world: its geometry, the period and the agreement."""

    frame: TheatreFrame
    window: Window
    agreement: Agreement

    @property
    def weapon_classes(self) -> list[str]:
        return [w.code for w in self.agreement.weapon_classes]


class SensorModel(ABC):
    """One kind of sensor and the sources it reports as."""

    name: str = "sensor"

    def __init__(self, sources: Sequence[Source]) -> None:
        self.sources: tuple[Source, ...] = tuple(sources)
        self._by_id = {s.id: s for s in self.sources}

    def forced_here(self, events: EventTable) -> BoolArray:
        """Events that only one of this sensor's sources reports (its noise)."""
        return np.isin(events.forced_source, list(self._by_id))

    @abstractmethod
    def observe(self, events: EventTable, ctx: SensorContext, rng: np.random.Generator) -> Reports:
        """Every report this sensor makes of the events."""

    def plan_noise(
        self, ctx: SensorContext, rng: np.random.Generator, intensity: float
    ) -> EventTable:
        """False detections of this sensor (events only its sources report)."""
        return EventTable.empty()

    def gaps(self, ctx: SensorContext) -> list[CoverageGap]:
        """The coverage this sensor planned and lost."""
        return []


class EventSensor(SensorModel):
    """A sensor that reports each event it detects once, with its own errors and delay."""

    detection: ClassVar[Mapping[Kind, float]] = {}
    """Probability of reporting an event of each kind it covers; other kinds never."""
    location_uncertainty_m: ClassVar[tuple[float, float]] = (50.0, 100.0)
    """Range of the reported location uncertainty (radius); the true error has a
    standard deviation of half the reported radius per axis."""
    time_uncertainty_s: ClassVar[tuple[float, float]] = (5.0, 10.0)
    latency_s: ClassVar[tuple[float, float]] = (60.0, 600.0)
    """Range of the delay between the event and the report's arrival."""
    class_accuracy: ClassVar[float] = 0.8
    """Probability that a weapon sighting names the right weapon class."""
    noise_per_100km_day: ClassVar[float] = 0.0
    noise_kinds: ClassVar[tuple[Kind, ...]] = ()
    noise_max_m: ClassVar[float] = 15_000.0

    @abstractmethod
    def coverage(self, events: EventTable, ctx: SensorContext) -> FloatArray:
        """Per event, 0 to 1: how well this sensor can see where and when it happened."""

    def pick_sources(
        self, events: EventTable, index: IndexArray, rng: np.random.Generator
    ) -> ObjectArray:
        """Which of the sensor's sources reports each detected event."""
        ids = np.array([s.id for s in self.sources], dtype=object)
        return np.asarray(ids[rng.integers(len(ids), size=index.size)], dtype=object)

    def location_uncertainty(
        self, events: EventTable, index: IndexArray, rng: np.random.Generator
    ) -> FloatArray:
        low, high = self.location_uncertainty_m
        return rng.uniform(low, high, index.size)

    def locate(
        self,
        events: EventTable,
        index: IndexArray,
        ctx: SensorContext,
        rng: np.random.Generator,
    ) -> Location:
        """Where each detection is reported: a normal error of half the radius per axis."""
        radius = np.round(self.location_uncertainty(events, index, rng), 1)
        x = events.x[index] + rng.normal(0.0, 1.0, index.size) * radius / 2
        y = events.y[index] + rng.normal(0.0, 1.0, index.size) * radius / 2
        lon, lat = ctx.frame.to_lonlat(x, y)
        return lon, lat, radius, {}

    def attributes(
        self, events: EventTable, index: IndexArray, ctx: SensorContext, rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        """Extra attribute columns of the reports (origin of fire, affiliation...)."""
        return {}

    def delays(self, events: EventTable, index: IndexArray, rng: np.random.Generator) -> FloatArray:
        """Seconds between each event and its report's arrival."""
        return rng.uniform(*self.latency_s, index.size)

    def observe(self, events: EventTable, ctx: SensorContext, rng: np.random.Generator) -> Reports:
        p = np.zeros(len(events))
        for kind, probability in self.detection.items():
            p[events.kind == kind.value] = probability
        p *= self.coverage(events, ctx)
        p[~unset(events.forced_source)] = 0.0
        forced = self.forced_here(events)
        index = np.flatnonzero((rng.random(len(events)) < p) | forced).astype(np.int64)
        sources = self.pick_sources(events, index, rng)
        own = forced[index]
        sources[own] = events.forced_source[index][own]
        return self.report(events, index, sources, ctx, rng)

    def plan_noise(
        self, ctx: SensorContext, rng: np.random.Generator, intensity: float
    ) -> EventTable:
        if not self.noise_kinds or self.noise_per_100km_day <= 0:
            return EventTable.empty()
        mean = self.noise_per_100km_day * ctx.frame.length_m / 100_000.0 * ctx.window.days
        n = int(rng.poisson(mean * intensity))
        if n == 0:
            return EventTable.empty()
        x, y = ctx.frame.sample_near_line(
            rng, n, party=None, min_m=0.0, max_m=self.noise_max_m, what=f"{self.name} noise"
        )
        table = EventTable.make(
            n,
            category=Category.NOISE.value,
            kind=np.array([k.value for k in self.noise_kinds], dtype=object)[
                rng.integers(len(self.noise_kinds), size=n)
            ],
            t=np.floor(rng.uniform(ctx.window.t0, ctx.window.t1, n)),
            x=x,
            y=y,
        )
        table = self.noise_in_coverage(table, ctx)
        sources = self.pick_sources(table, np.arange(len(table), dtype=np.int64), rng)
        table.forced_source[:] = sources
        table.note[:] = [f"false detection by {s}" for s in sources]
        return table

    def noise_in_coverage(self, table: EventTable, ctx: SensorContext) -> EventTable:
        """The noise events this sensor could have reported at all (where it watched)."""
        return table

    def report(
        self,
        events: EventTable,
        index: IndexArray,
        sources: ObjectArray,
        ctx: SensorContext,
        rng: np.random.Generator,
    ) -> Reports:
        if index.size == 0:
            return Reports.empty()
        lon, lat, radius, located = self.locate(events, index, ctx, rng)
        t_unc = np.round(rng.uniform(*self.time_uncertainty_s, index.size), 1)
        t_err = np.clip(rng.normal(0.0, 1.0, index.size) * t_unc / 2, -t_unc, t_unc)
        observed = events.t[index] + t_err
        received = events.t[index] + self.delays(events, index, rng)
        calibre = np.where(rng.random(index.size) < 0.5, events.calibre_mm[index], np.nan)
        attrs = {**self.attributes(events, index, ctx, rng), **located}
        ids = events.id[index].tolist()
        return Reports.make(
            event=index,
            source=sources,
            ref=np.array([f"{e}/{self.name}" for e in ids], dtype=object),
            t=observed,
            time_unc=t_unc,
            received=received,
            lon=lon,
            lat=lat,
            loc_unc=radius,
            domain=events.domain[index],
            kind=events.kind[index],
            weapon_class=reported_classes(events, index, ctx, rng, self.class_accuracy),
            calibre=calibre,
            attrs=attrs,
        )


def reported_classes(
    events: EventTable,
    index: IndexArray,
    ctx: SensorContext,
    rng: np.random.Generator,
    accuracy: float,
) -> ObjectArray:
    """The weapon class a sighting names: right with probability `accuracy`, "" for others."""
    classes = ctx.weapon_classes
    wrong = rng.random(index.size) >= accuracy
    picks = rng.integers(max(len(classes) - 1, 1), size=index.size)
    true = events.weapon_class[index]
    out = np.full(index.size, "", dtype=object)
    sighting = np.flatnonzero((events.kind[index] == Kind.WEAPON_SIGHTING.value) & ~unset(true))
    position = {c: i for i, c in enumerate(classes)}
    for j in sighting.tolist():
        name = str(true[j])
        if wrong[j] and len(classes) > 1 and name in position:
            k = int(picks[j])
            out[j] = classes[k + 1 if k >= position[name] else k]
        else:
            out[j] = name
    return out


def _mission_source(
    source_id: str, name: str, kind: SourceType, grade: tuple[Reliability, Credibility]
) -> Source:
    return Source(
        id=source_id,
        name=name,
        operator=MISSION,
        type=kind,
        reliability=grade[0],
        credibility=grade[1],
    )


def _affiliation(
    events: EventTable, index: IndexArray, rng: np.random.Generator, share: float
) -> np.ndarray:
    """Markings identify the party of armed people, weapons, aircraft and vessels."""
    seen = rng.random(index.size) < share
    party = events.party[index]
    known = seen & np.isin(events.kind[index], _IDENTIFIABLE) & ~unset(party)
    out = np.full(index.size, "", dtype=object)
    out[known] = party[known]
    return out


# The mission's own sensors ------------------------------------------------------------------


class UavFleet(EventSensor):
    """Mission UAVs: precise (tens of metres) and prompt, but only where and while they fly.

    Each airframe flies two sorties a day of 4-8 hours, each over a box of the line (40 km
    along it, within 20 km of it, or a quarter of the time within 80 km to look into the
    withdrawal bands). It sees only events inside its box during its sortie. Some sorties
    are cancelled (`uav_outage`); satellite-navigation jamming cuts some short (`jamming`)
    and shifts the reported positions of the others by 0.5-3 km while it lasts.
    """

    name = "uav"
    detection: ClassVar[Mapping[Kind, float]] = {
        Kind.EXPLOSION: 0.6,
        Kind.IMPACT: 0.55,
        Kind.LAUNCH: 0.6,
        Kind.SMALL_ARMS_FIRE: 0.35,
        Kind.WEAPON_SIGHTING: 0.8,
        Kind.ARMED_PRESENCE: 0.8,
        Kind.MOVEMENT: 0.8,
        Kind.AIRCRAFT: 0.55,
        Kind.VESSEL: 0.75,
        Kind.DAMAGE: 0.5,
    }
    location_uncertainty_m = (30.0, 100.0)
    time_uncertainty_s = (2.0, 10.0)
    latency_s = (60.0, 900.0)
    class_accuracy = 0.9
    noise_per_100km_day = 0.1
    noise_kinds = (Kind.MOVEMENT, Kind.ARMED_PRESENCE)
    origin_share = 0.5
    """Share of fire reports that trace the fire back to where it came from."""
    line_per_airframe_m = 35_000.0
    """One airframe per this much line (at least three)."""
    sortie_hours = (4.0, 8.0)
    """Endurance of a sortie, hours."""
    box_half_m = 25_000.0
    near_depth_m = 20_000.0
    deep_depth_m = 80_000.0
    deep_share = 0.25
    cancel_share = 0.08
    """Share of sorties cancelled (weather, maintenance, lost link)."""
    jamming_per_100km_day = 0.6
    """Jamming episodes per 100 km of line and per day."""
    jamming_half_m = (10_000.0, 25_000.0)
    jamming_hours = (1.0, 6.0)
    abort_share = 0.5
    """Share of sorties meeting jamming that turn back; the others fly on, misplaced."""
    drift_m = (500.0, 3_000.0)
    jammed_uncertainty_m = 1_000.0

    def __init__(self, ctx: SensorContext, rng: np.random.Generator) -> None:
        airframes = max(3, round(ctx.frame.length_m / self.line_per_airframe_m))
        super().__init__(
            [
                _mission_source(
                    f"uav-{i + 1}",
                    f"Mission UAV {i + 1}",
                    SourceType.UAV,
                    (Reliability.B, Credibility.PROBABLY_TRUE),
                )
                for i in range(airframes)
            ]
        )
        self._ids = np.array([s.id for s in self.sources], dtype=object)
        self._sortie: IndexArray = np.empty(0, dtype=np.int64)
        self._plan(ctx, rng, airframes)

    def _plan(self, ctx: SensorContext, rng: np.random.Generator, airframes: int) -> None:
        window, length = ctx.window, ctx.frame.length_m
        days = window.days
        day = np.repeat(np.arange(days), airframes)
        airframe = np.tile(np.arange(airframes), days)
        first = window.t0 + day * DAY_S + rng.uniform(4.0, 8.0, day.size) * HOUR_S
        first_end = first + rng.uniform(*self.sortie_hours, day.size) * HOUR_S
        second = first_end + rng.uniform(1.0, 3.0, day.size) * HOUR_S
        second_end = second + rng.uniform(*self.sortie_hours, day.size) * HOUR_S
        start = np.concatenate([first, second])
        planned_end = np.concatenate([first_end, second_end])
        self.airframe = np.concatenate([airframe, airframe])
        s = start.size
        self.centre = rng.uniform(0.0, length, s)
        self.depth = np.where(rng.random(s) < self.deep_share, self.deep_depth_m, self.near_depth_m)
        cancelled = rng.random(s) < self.cancel_share
        self.start = np.floor(start)
        self.planned_end = np.floor(np.minimum(planned_end, window.t1))
        self.end = np.where(cancelled, self.start, self.planned_end)

        n_jam = int(rng.poisson(self.jamming_per_100km_day * length / 100_000.0 * days))
        self.jam_centre = rng.uniform(0.0, length, n_jam)
        self.jam_half = rng.uniform(*self.jamming_half_m, n_jam)
        self.jam_start = np.floor(rng.uniform(window.t0, window.t1, n_jam))
        self.jam_end = self.jam_start + np.floor(rng.uniform(*self.jamming_hours, n_jam) * HOUR_S)
        abort_draw = rng.random(s)
        angle = rng.uniform(0.0, 2 * np.pi, (s, max(n_jam, 1)))
        magnitude = rng.uniform(*self.drift_m, (s, max(n_jam, 1)))

        self._gaps: list[CoverageGap] = []
        # (sortie, episode, dx, dy) of sorties flying on through jamming
        self.drifts: list[tuple[int, int, float, float]] = []
        aborted_at = np.full(s, np.nan)
        for k in range(s):
            if cancelled[k]:
                continue
            meets = np.flatnonzero(
                (np.abs(self.jam_centre - self.centre[k]) <= self.jam_half + self.box_half_m)
                & (self.jam_start < self.end[k])
                & (self.jam_end > self.start[k])
            )
            if meets.size == 0:
                continue
            if abort_draw[k] < self.abort_share:
                aborted_at[k] = max(self.start[k], float(self.jam_start[meets].min()))
                self.end[k] = aborted_at[k]
            else:
                for e in meets.tolist():
                    self.drifts.append(
                        (
                            k,
                            e,
                            float(magnitude[k, e] * np.cos(angle[k, e])),
                            float(magnitude[k, e] * np.sin(angle[k, e])),
                        )
                    )
        for k in np.flatnonzero(cancelled | np.isfinite(aborted_at)).tolist():
            a0 = self.centre[k] - self.box_half_m
            a1 = self.centre[k] + self.box_half_m
            reason = GapReason.UAV_OUTAGE if cancelled[k] else GapReason.JAMMING
            begin = self.start[k] if cancelled[k] else aborted_at[k]
            if self.planned_end[k] <= begin:
                continue
            self._gaps.append(
                gap(
                    SourceType.UAV.value,
                    str(self._ids[self.airframe[k]]),
                    reason,
                    float(begin),
                    float(self.planned_end[k]),
                    strip_label(max(a0, 0.0), min(a1, length), float(self.depth[k])),
                    strip(ctx.frame, a0, a1, float(self.depth[k])),
                )
            )

    def gaps(self, ctx: SensorContext) -> list[CoverageGap]:
        return list(self._gaps)

    def sorties_over(self, events: EventTable) -> IndexArray:
        """Per event, the first sortie whose box holds it while flying, -1 when none."""
        sortie = np.full(len(events), -1, dtype=np.int64)
        if len(events) == 0:
            return sortie
        order = np.argsort(events.t, kind="stable")
        times = events.t[order]
        for k in range(self.start.size):
            if self.end[k] <= self.start[k]:
                continue
            lo, hi = np.searchsorted(times, [self.start[k], self.end[k]], side="left")
            if hi <= lo:
                continue
            rows = order[lo:hi]
            inside = (
                (np.abs(events.along_m[rows] - self.centre[k]) <= self.box_half_m)
                & (events.distance_m[rows] <= self.depth[k])
                & (sortie[rows] < 0)
            )
            sortie[rows[inside]] = k
        return sortie

    def coverage(self, events: EventTable, ctx: SensorContext) -> FloatArray:
        self._sortie = self.sorties_over(events)
        return np.asarray(self._sortie >= 0, dtype=np.float64)

    def noise_in_coverage(self, table: EventTable, ctx: SensorContext) -> EventTable:
        """False detections happen only in flight, inside a sortie's box."""
        distance, along = ctx.frame.measure(table.x, table.y)
        located = replace(table, distance_m=distance, along_m=along)
        sortie = self.sorties_over(located)
        kept = table.take(np.flatnonzero(sortie >= 0))
        self._sortie = sortie[sortie >= 0]
        return kept

    def pick_sources(
        self, events: EventTable, index: IndexArray, rng: np.random.Generator
    ) -> ObjectArray:
        if len(self._sortie) != len(events):  # noise planning: any airframe
            return super().pick_sources(events, index, rng)
        sortie = self._sortie[index]
        chosen = self._ids[self.airframe[np.maximum(sortie, 0)]]
        fallback = super().pick_sources(events, index, rng)
        return np.asarray(np.where(sortie >= 0, chosen, fallback), dtype=object)

    def locate(
        self,
        events: EventTable,
        index: IndexArray,
        ctx: SensorContext,
        rng: np.random.Generator,
    ) -> Location:
        radius = np.round(self.location_uncertainty(events, index, rng), 1)
        dx = rng.normal(0.0, 1.0, index.size) * radius / 2
        dy = rng.normal(0.0, 1.0, index.size) * radius / 2
        jammed = np.zeros(index.size, dtype=bool)
        sortie = self._sortie[index] if len(self._sortie) == len(events) else None
        if sortie is not None:
            for k, e, ox, oy in self.drifts:
                hit = (
                    (sortie == k)
                    & (np.abs(events.along_m[index] - self.jam_centre[e]) <= self.jam_half[e])
                    & (events.t[index] >= self.jam_start[e])
                    & (events.t[index] < self.jam_end[e])
                    & ~jammed
                )
                dx[hit] += ox
                dy[hit] += oy
                jammed |= hit
        radius = np.where(jammed, self.jammed_uncertainty_m, radius)
        lon, lat = ctx.frame.to_lonlat(events.x[index] + dx, events.y[index] + dy)
        gnss = np.where(jammed, "degraded", "").astype(object)
        return lon, lat, radius, {"gnss": gnss}

    def attributes(
        self, events: EventTable, index: IndexArray, ctx: SensorContext, rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        affiliation = _affiliation(events, index, rng, 0.6)
        traced = rng.random(index.size) < self.origin_share
        dx = rng.normal(0.0, 150.0, index.size)
        dy = rng.normal(0.0, 150.0, index.size)
        has = np.isfinite(events.ox[index]) & traced
        origin_lon = np.full(index.size, np.nan)
        origin_lat = np.full(index.size, np.nan)
        if has.any():
            lon, lat = ctx.frame.to_lonlat(
                events.ox[index][has] + dx[has], events.oy[index][has] + dy[has]
            )
            origin_lon[has], origin_lat[has] = np.round(lon, 6), np.round(lat, 6)
        return {"affiliation": affiliation, "origin_lon": origin_lon, "origin_lat": origin_lat}


class SiteNetwork(EventSensor):
    """Sensors at fixed sites spaced along the line; the nearest site in range reports.

    A site reports what it really measures: its own position, the bearing to the event
    (with `bearing_sd_deg` error) and a range band (`range_bands_m`). The reported location
    is the middle of the band along the measured bearing; its uncertainty is the radius
    that covers the band's depth and two standard deviations of bearing either side.
    """

    spacing_m: ClassVar[float] = 30_000.0
    offset_m: ClassVar[float] = 1_500.0
    ranges_m: ClassVar[Mapping[Kind, float]] = {}
    range_bands_m: ClassVar[tuple[float, ...]] = (0.0, 1_000.0, 3_000.0, 6_000.0, 12_000.0)
    bearing_sd_deg: ClassVar[float] = 1.0
    prefix: ClassVar[str] = "site"
    label: ClassVar[str] = "Site"
    source_type: ClassVar[SourceType] = SourceType.FIXED_CAMERA
    grade: ClassVar[tuple[Reliability, Credibility]] = (Reliability.B, Credibility.PROBABLY_TRUE)

    def __init__(self, frame: TheatreFrame) -> None:
        count = max(2, int(frame.length_m // self.spacing_m))
        along = (np.arange(count) + 0.5) * frame.length_m / count
        offset = np.where(np.arange(count) % 2 == 0, self.offset_m, -self.offset_m)
        self.site_x, self.site_y = frame.points_along(along, offset)
        lon, lat = frame.to_lonlat(self.site_x, self.site_y)
        self.site_lon, self.site_lat = np.round(lon, 6), np.round(lat, 6)
        self._tree = cKDTree(np.column_stack([self.site_x, self.site_y]))
        super().__init__(
            [
                _mission_source(
                    f"{self.prefix}-{i + 1:02d}",
                    f"{self.label} {i + 1:02d}",
                    self.source_type,
                    self.grade,
                )
                for i in range(count)
            ]
        )
        self._ids = np.array([s.id for s in self.sources], dtype=object)

    def _nearest(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, IndexArray]:
        if x.size == 0:
            return np.empty(0), np.empty(0, dtype=np.int64)
        distance, nearest = self._tree.query(np.column_stack([x, y]))
        return np.asarray(distance, np.float64), np.asarray(nearest, np.int64)

    def coverage(self, events: EventTable, ctx: SensorContext) -> FloatArray:
        reach = np.zeros(len(events))
        for kind, metres in self.ranges_m.items():
            reach[events.kind == kind.value] = metres
        out = np.zeros(len(events))
        candidates = np.flatnonzero(reach > 0)
        if candidates.size:
            distance, _ = self._nearest(events.x[candidates], events.y[candidates])
            out[candidates] = (distance <= reach[candidates]).astype(float)
        return out

    def pick_sources(
        self, events: EventTable, index: IndexArray, rng: np.random.Generator
    ) -> ObjectArray:
        if index.size == 0:
            return np.empty(0, dtype=object)
        _, nearest = self._nearest(events.x[index], events.y[index])
        return np.asarray(self._ids[nearest], dtype=object)

    def site_range(self, events: EventTable, index: IndexArray) -> FloatArray:
        """Distance from the reporting (nearest) site to each event, metres."""
        return self._nearest(events.x[index], events.y[index])[0]

    def locate(
        self,
        events: EventTable,
        index: IndexArray,
        ctx: SensorContext,
        rng: np.random.Generator,
    ) -> Location:
        if index.size == 0:
            empty = np.empty(0)
            return empty, empty, empty, {}
        _, site = self._nearest(events.x[index], events.y[index])
        lon, lat = ctx.frame.to_lonlat(events.x[index], events.y[index])
        s_lon, s_lat = self.site_lon[site], self.site_lat[site]
        azimuth, _, metres = _GEOD.inv(s_lon, s_lat, lon, lat)
        bearing = np.mod(
            np.asarray(azimuth) + rng.normal(0.0, self.bearing_sd_deg, index.size), 360.0
        )
        bearing = np.round(bearing, 1)
        edges = np.asarray(self.range_bands_m)
        band = np.clip(np.searchsorted(edges, np.asarray(metres), side="right") - 1, 0, None)
        band = np.minimum(band, edges.size - 2)
        low, high = edges[band], edges[band + 1]
        middle = (low + high) / 2
        r_lon, r_lat, _ = _GEOD.fwd(s_lon, s_lat, bearing, middle)
        across = high * np.tan(np.radians(2 * self.bearing_sd_deg))
        radius = np.round(np.maximum(np.hypot((high - low) / 2, across), 50.0), 1)
        attrs: dict[str, np.ndarray] = {
            "sensor_lon": s_lon,
            "sensor_lat": s_lat,
            "bearing_deg": bearing,
            "range_min_m": low.astype(np.float64),
            "range_max_m": high.astype(np.float64),
        }
        return (
            np.asarray(r_lon, dtype=np.float64),
            np.asarray(r_lat, dtype=np.float64),
            np.asarray(radius, dtype=np.float64),
            attrs,
        )


class AcousticArrays(SiteNetwork):
    """Acoustic arrays along the line: a bearing to the sound within a few degrees, a
    coarse range band, and where the fire came from."""

    name = "acoustic"
    detection: ClassVar[Mapping[Kind, float]] = {
        Kind.EXPLOSION: 0.8,
        Kind.IMPACT: 0.8,
        Kind.LAUNCH: 0.7,
        Kind.SMALL_ARMS_FIRE: 0.5,
        Kind.AIRCRAFT: 0.3,
    }
    ranges_m: ClassVar[Mapping[Kind, float]] = {
        Kind.EXPLOSION: 25_000.0,
        Kind.IMPACT: 25_000.0,
        Kind.LAUNCH: 25_000.0,
        Kind.SMALL_ARMS_FIRE: 8_000.0,
        Kind.AIRCRAFT: 10_000.0,
    }
    range_bands_m = (0.0, 2_000.0, 5_000.0, 10_000.0, 15_000.0, 25_000.0)
    bearing_sd_deg = 3.0
    spacing_m = 40_000.0
    offset_m = 3_000.0
    prefix = "acoustic"
    label = "Mission acoustic array"
    source_type = SourceType.ACOUSTIC
    grade = (Reliability.C, Credibility.POSSIBLY_TRUE)
    time_uncertainty_s = (1.0, 3.0)
    latency_s = (5.0, 60.0)
    noise_per_100km_day = 0.6
    noise_kinds = (Kind.EXPLOSION,)
    origin_sd_deg = 4.0

    def attributes(
        self, events: EventTable, index: IndexArray, ctx: SensorContext, rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        out = np.full(index.size, np.nan)
        has = np.isfinite(events.ox[index])
        if has.any():
            sel = index[has]
            bearing = ctx.frame.bearing_deg(
                events.x[sel], events.y[sel], events.ox[sel], events.oy[sel]
            )
            bearing = np.mod(bearing + rng.normal(0.0, self.origin_sd_deg, sel.size), 360.0)
            out[has] = np.round(bearing, 1) % 360.0
        return {"fire_from_bearing_deg": out}


class FixedCameras(SiteNetwork):
    """Day and thermal cameras at fixed sites along the line: a precise bearing, a coarse
    range band (from the picture, not a rangefinder)."""

    name = "camera"
    detection: ClassVar[Mapping[Kind, float]] = {
        Kind.EXPLOSION: 0.6,
        Kind.IMPACT: 0.5,
        Kind.LAUNCH: 0.5,
        Kind.SMALL_ARMS_FIRE: 0.4,
        Kind.ARMED_PRESENCE: 0.6,
        Kind.MOVEMENT: 0.6,
        Kind.WEAPON_SIGHTING: 0.5,
        Kind.AIRCRAFT: 0.5,
        Kind.VESSEL: 0.5,
    }
    ranges_m: ClassVar[Mapping[Kind, float]] = {
        Kind.EXPLOSION: 12_000.0,
        Kind.IMPACT: 12_000.0,
        Kind.LAUNCH: 12_000.0,
        Kind.SMALL_ARMS_FIRE: 5_000.0,
        Kind.ARMED_PRESENCE: 8_000.0,
        Kind.MOVEMENT: 8_000.0,
        Kind.WEAPON_SIGHTING: 8_000.0,
        Kind.AIRCRAFT: 10_000.0,
        Kind.VESSEL: 10_000.0,
    }
    range_bands_m = (0.0, 1_000.0, 3_000.0, 6_000.0, 12_000.0)
    bearing_sd_deg = 0.5
    spacing_m = 20_000.0
    offset_m = 1_500.0
    prefix = "camera"
    label = "Mission camera"
    source_type = SourceType.FIXED_CAMERA
    grade = (Reliability.B, Credibility.PROBABLY_TRUE)
    time_uncertainty_s = (1.0, 2.0)
    latency_s = (30.0, 300.0)
    class_accuracy = 0.7
    noise_per_100km_day = 0.15
    noise_kinds = (Kind.EXPLOSION, Kind.MOVEMENT)
    noise_max_m = 6_000.0


class GroundPatrols(EventSensor):
    """Mission patrols: very reliable, but by day only and where they are let in.

    The line is cut into sectors of 30 km. Each day each sector is open to patrols or
    denied (about 40 % denied; a denied sector tends to stay denied the next day, with
    probability `stay_denied`). Patrols hear fire within 10 km and see what is within
    20 km of the line, in open sectors only; every denied sector-day is a coverage gap.
    """

    name = "patrol"
    detection: ClassVar[Mapping[Kind, float]] = {
        Kind.EXPLOSION: 0.5,
        Kind.IMPACT: 0.45,
        Kind.LAUNCH: 0.3,
        Kind.SMALL_ARMS_FIRE: 0.4,
        Kind.WEAPON_SIGHTING: 0.35,
        Kind.ARMED_PRESENCE: 0.35,
        Kind.MOVEMENT: 0.3,
        Kind.AIRCRAFT: 0.25,
        Kind.DAMAGE: 0.4,
    }
    time_uncertainty_s = (60.0, 300.0)
    latency_s = (1 * HOUR_S, 8 * HOUR_S)
    class_accuracy = 0.95
    sector_m = 30_000.0
    access_share = 0.6
    stay_denied = 0.6
    hours_utc = (5.0, 16.0)
    heard_m = 10_000.0
    seen_m = 20_000.0

    def __init__(self, ctx: SensorContext, rng: np.random.Generator) -> None:
        super().__init__(
            [
                _mission_source(
                    "patrol-teams",
                    "Mission ground patrols",
                    SourceType.GROUND_PATROL,
                    (Reliability.A, Credibility.PROBABLY_TRUE),
                )
            ]
        )
        sectors = int(ctx.frame.length_m // self.sector_m) + 1
        # access[day, sector]: whether patrols could enter that sector that day
        days = ctx.window.days
        draws = rng.random((days, sectors))
        # a Markov chain per sector whose long-run open share is `access_share`
        open_after_denied = (1 - self.stay_denied) * 1.0
        open_after_open = 1 - (1 - self.access_share) * open_after_denied / self.access_share
        access = np.empty((days, sectors), dtype=bool)
        access[0] = draws[0] < self.access_share
        for d in range(1, days):
            p = np.where(access[d - 1], open_after_open, open_after_denied)
            access[d] = draws[d] < p
        self.access = access
        self._frame = ctx.frame

    def gaps(self, ctx: SensorContext) -> list[CoverageGap]:
        out: list[CoverageGap] = []
        areas: dict[int, str] = {}
        for day, sector in zip(*np.nonzero(~self.access), strict=True):
            a0 = float(sector * self.sector_m)
            a1 = min(a0 + self.sector_m, ctx.frame.length_m)
            if sector not in areas:
                areas[int(sector)] = strip(ctx.frame, a0, a1, self.seen_m)
            base = ctx.window.t0 + int(day) * DAY_S
            out.append(
                gap(
                    SourceType.GROUND_PATROL.value,
                    self.sources[0].id,
                    GapReason.ACCESS_DENIED,
                    base + self.hours_utc[0] * HOUR_S,
                    base + self.hours_utc[1] * HOUR_S,
                    strip_label(a0, a1, self.seen_m),
                    areas[int(sector)],
                )
            )
        return out

    def open_sector(self, t: FloatArray, along_m: FloatArray, ctx: SensorContext) -> BoolArray:
        """Whether patrols were let into the sector of each place on that day."""
        since = t - ctx.window.t0
        day = np.clip((since // DAY_S).astype(int), 0, self.access.shape[0] - 1)
        sector = np.clip((along_m // self.sector_m).astype(int), 0, self.access.shape[1] - 1)
        return np.asarray(self.access[day, sector], dtype=bool)

    def coverage(self, events: EventTable, ctx: SensorContext) -> FloatArray:
        if len(events) == 0:
            return np.zeros(0)
        since = events.t - ctx.window.t0
        hour = (since % DAY_S) / HOUR_S
        daytime = (hour >= self.hours_utc[0]) & (hour < self.hours_utc[1])
        heard = np.isin(events.kind, [k.value for k in _FIRE])
        reach = np.where(heard, self.heard_m, self.seen_m)
        covered = self.open_sector(events.t, events.along_m, ctx) & daytime
        covered &= events.distance_m <= reach
        return np.asarray(covered, dtype=np.float64)

    def location_uncertainty(
        self, events: EventTable, index: IndexArray, rng: np.random.Generator
    ) -> FloatArray:
        heard = np.isin(events.kind[index], [k.value for k in _FIRE])
        return np.where(
            heard, rng.uniform(2_000.0, 4_000.0, index.size), rng.uniform(100.0, 300.0, index.size)
        )


class SatelliteImagery(EventSensor):
    """Tasked high-resolution imagery (optical and radar) over the zones: sees parked
    weapons, vehicles and vessels within 100 km of the line, reported hours later."""

    name = "imagery"
    detection: ClassVar[Mapping[Kind, float]] = {
        Kind.WEAPON_SIGHTING: 0.5,
        Kind.VESSEL: 0.45,
        Kind.ARMED_PRESENCE: 0.2,
        Kind.MOVEMENT: 0.2,
        Kind.DAMAGE: 0.5,
    }
    location_uncertainty_m = (10.0, 30.0)
    time_uncertainty_s = (1 * HOUR_S, 3 * HOUR_S)
    latency_s = (6 * HOUR_S, 24 * HOUR_S)
    class_accuracy = 0.85
    reach_m = 100_000.0

    def __init__(self) -> None:
        super().__init__(
            [
                Source(
                    id="imagery-desk",
                    name="Tasked high-resolution satellite imagery",
                    operator="Imagery provider",
                    type=SourceType.SATELLITE_IMAGERY,
                    reliability=Reliability.B,
                    credibility=Credibility.PROBABLY_TRUE,
                )
            ]
        )

    def coverage(self, events: EventTable, ctx: SensorContext) -> FloatArray:
        return (events.distance_m <= self.reach_m).astype(float)


# Outside sources ----------------------------------------------------------------------------


class OpenSources(EventSensor):
    """Social media, local press and open-source analysts: late, coarse, often right.

    Delays are log-normal (median 4 h, from 1 h to 3 days); the time is given to the hour
    and the place as the nearest settlement (a 5 km grid), 3-10 km uncertain.
    """

    name = "open_source"
    detection: ClassVar[Mapping[Kind, float]] = {
        Kind.EXPLOSION: 0.3,
        Kind.IMPACT: 0.3,
        Kind.LAUNCH: 0.2,
        Kind.SMALL_ARMS_FIRE: 0.05,
        Kind.AIRCRAFT: 0.5,
        Kind.VESSEL: 0.5,
        Kind.WEAPON_SIGHTING: 0.3,
        Kind.ARMED_PRESENCE: 0.05,
        Kind.MOVEMENT: 0.1,
        Kind.DAMAGE: 0.5,
    }
    location_uncertainty_m = (3_000.0, 10_000.0)
    time_uncertainty_s = (1 * HOUR_S, 6 * HOUR_S)
    latency_s = (1 * HOUR_S, 72 * HOUR_S)
    median_delay_h = 4.0
    settlement_grid_m = 5_000.0
    class_accuracy = 0.6
    noise_per_100km_day = 0.4
    noise_kinds = (Kind.EXPLOSION, Kind.IMPACT)
    noise_max_m = 40_000.0

    def __init__(self) -> None:
        super().__init__(
            [
                Source(
                    id="osint-monitor",
                    name="Open-source monitoring desk",
                    operator="Open sources",
                    type=SourceType.OPEN_SOURCE,
                    reliability=Reliability.D,
                    credibility=Credibility.POSSIBLY_TRUE,
                )
            ]
        )

    def coverage(self, events: EventTable, ctx: SensorContext) -> FloatArray:
        return np.ones(len(events))

    def delays(self, events: EventTable, index: IndexArray, rng: np.random.Generator) -> FloatArray:
        hours = rng.lognormal(np.log(self.median_delay_h), 0.9, index.size) * HOUR_S
        return np.asarray(np.clip(hours, *self.latency_s), dtype=np.float64)

    def locate(
        self,
        events: EventTable,
        index: IndexArray,
        ctx: SensorContext,
        rng: np.random.Generator,
    ) -> Location:
        radius = np.round(self.location_uncertainty(events, index, rng), 1)
        x = events.x[index] + rng.normal(0.0, 1.0, index.size) * radius / 4
        y = events.y[index] + rng.normal(0.0, 1.0, index.size) * radius / 4
        grid = self.settlement_grid_m
        lon, lat = ctx.frame.to_lonlat(np.round(x / grid) * grid, np.round(y / grid) * grid)
        return lon, lat, radius, {}

    def report(
        self,
        events: EventTable,
        index: IndexArray,
        sources: ObjectArray,
        ctx: SensorContext,
        rng: np.random.Generator,
    ) -> Reports:
        reports = super().report(events, index, sources, ctx, rng)
        # "this morning, around nine": the time to the hour, the arrival after the event
        hourly = np.round(reports.t / HOUR_S) * HOUR_S
        return Reports.make(
            event=reports.event,
            source=reports.source,
            ref=reports.ref,
            t=hourly,
            time_unc=np.maximum(reports.time_unc, np.abs(hourly - events.t[reports.event])),
            received=reports.received,
            lon=reports.lon,
            lat=reports.lat,
            loc_unc=reports.loc_unc,
            domain=reports.domain,
            kind=reports.kind,
            weapon_class=reports.weapon_class,
            calibre=reports.calibre,
            attrs=reports.attrs,
        )


class PartyReports(EventSensor):
    """One party's reports to the mission: prompt about what the other side does to it,
    silent about its own acts, and biased: it also reports fire that never happened and
    complains about the other side's permitted activity and training."""

    name = "party"
    detection: ClassVar[Mapping[Kind, float]] = dict.fromkeys(Kind, 1.0)
    location_uncertainty_m = (1_000.0, 5_000.0)
    time_uncertainty_s = (600.0, 3_600.0)
    latency_s = (0.5 * HOUR_S, 6 * HOUR_S)
    class_accuracy = 0.7
    reports_share = 0.55
    """Share of the other side's violations against it that a party reports."""
    complaint_share = 0.15
    """Share of the other side's permitted activity and training it reports as violations."""
    false_reports_per_100km_day = 0.3

    def __init__(self, party: Party) -> None:
        super().__init__(
            [
                Source(
                    id=f"party-{party.code.lower()}",
                    name=f"Reports of {party.name}",
                    operator=party.name,
                    type=SourceType.PARTY_REPORT,
                    party=party.code,
                    reliability=Reliability.D,
                    credibility=Credibility.DOUBTFUL,
                )
            ]
        )
        self.party = party.code
        self.name = f"party-{party.code.lower()}"

    def coverage(self, events: EventTable, ctx: SensorContext) -> FloatArray:
        other = np.not_equal(events.party, self.party) & ~unset(events.party)
        against = (events.category == Category.VIOLATION.value) & other
        against &= events.victim == self.party
        complaint = (
            (events.category == Category.PERMITTED_ACTIVITY.value)
            | (events.category == Category.TRAINING.value)
        ) & other
        return np.where(against, self.reports_share, np.where(complaint, self.complaint_share, 0.0))

    def attributes(
        self, events: EventTable, index: IndexArray, ctx: SensorContext, rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        false = events.category[index] == Category.FALSE_REPORT.value
        accused = np.where(false, events.victim[index], events.party[index])
        return {"accused": np.asarray(accused, dtype=object)}

    def plan_noise(
        self, ctx: SensorContext, rng: np.random.Generator, intensity: float
    ) -> EventTable:
        """False reports: fire on its own side, blamed on the other side, that never was."""
        fire_rules = {
            kind: act.code
            for act in reversed(ctx.agreement.prohibited_acts)
            for kind in act.kinds
            if kind in _FIRE
        }
        kinds = [k for k in (Kind.EXPLOSION, Kind.IMPACT, Kind.SMALL_ARMS_FIRE) if k in fire_rules]
        others = [p for p in ctx.frame.parties if p != self.party]
        mean = self.false_reports_per_100km_day * ctx.frame.length_m / 100_000.0
        n = int(rng.poisson(mean * ctx.window.days * intensity))
        if n == 0 or not kinds or not others:
            return EventTable.empty()
        x, y = ctx.frame.sample_near_line(
            rng, n, party=self.party, min_m=300.0, max_m=12_000.0, what=f"{self.name} reports"
        )
        kind = np.array([k.value for k in kinds], dtype=object)[rng.integers(len(kinds), size=n)]
        accused = np.array(others, dtype=object)[rng.integers(len(others), size=n)]
        return EventTable.make(
            n,
            category=Category.FALSE_REPORT.value,
            kind=kind,
            t=np.floor(rng.uniform(ctx.window.t0, ctx.window.t1, n)),
            x=x,
            y=y,
            rule=[fire_rules[Kind(k)] for k in kind],
            party=self.party,
            victim=accused,
            forced_source=self.sources[0].id,
            note=[f"{self.party} reported {a} fire that did not happen" for a in accused],
        )


# Satellites ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Orbit:
    """When a thermal satellite passes over the theatre and how well it sees fire."""

    source_id: str
    hours_utc: tuple[float, ...]
    detection: float
    pixel_m: float
    threshold_mw: float
    """The weakest fire (fire radiative power, MW) the instrument detects."""
    satellites: tuple[str, ...]
    """The FIRMS `satellite` codes of its passes, in turn."""


ORBITS: tuple[Orbit, ...] = (
    Orbit("firms-viirs-noaa20", (0.75, 10.75), 0.9, 375.0, 1.0, ("N20",)),
    Orbit("firms-viirs-noaa21", (1.17, 11.17), 0.9, 375.0, 1.0, ("N21",)),
    Orbit("firms-viirs-snpp", (1.58, 11.58), 0.9, 375.0, 1.0, ("N",)),
    Orbit("firms-modis", (0.5, 9.0, 11.5, 20.0), 0.8, 1_000.0, 8.0, ("Terra", "Aqua")),
)
"""Overpass times over the theatre (UTC hours, each day with +/-15 min jitter)."""

MAX_BURN_S = 12 * HOUR_S
"""No fire burns longer (planning clips burn times to 12 h)."""


class SatelliteThermal(SensorModel):
    """Thermal satellites (the FIRMS sources): they see only what burns at an overpass,
    under a clear sky, and hot enough for the instrument.

    Reports are what FIRMS publishes: the granule's start minute, 5-decimal coordinates, a
    pixel size (`scan`, `track`) growing towards the edge of the swath, fire radiative power,
    confidence, and the credibility that confidence gives.
    """

    name = "satellite"
    pass_jitter_s = 900.0
    extra_pixels = 0.35
    """Mean number of extra pixels a fire lights up besides the first."""
    frp_sd = 0.35
    """Log-normal spread of the fire radiative power measured at a pass."""
    latency_s = (1 * HOUR_S, 3 * HOUR_S)
    noise_per_100km_day = 0.6

    def __init__(
        self,
        window: Window,
        rng: np.random.Generator,
        clouds: Clouds,
        orbits: Sequence[Orbit] = ORBITS,
    ) -> None:
        builtin = {s.id: s for s in BUILTIN_SOURCES}
        super().__init__([builtin[o.source_id] for o in orbits])
        self._orbits = {o.source_id: o for o in orbits}
        self.clouds = clouds
        source: list[str] = []
        satellite: list[str] = []
        times: list[float] = []
        for day in range(-1, window.days + 1):
            for orbit in orbits:
                for k, hour in enumerate(orbit.hours_utc):
                    t = window.t0 + day * DAY_S + hour * HOUR_S + rng.normal(0, self.pass_jitter_s)
                    if window.t0 <= t < window.t1:
                        source.append(orbit.source_id)
                        satellite.append(orbit.satellites[k % len(orbit.satellites)])
                        times.append(float(np.floor(t)))
        order = np.argsort(np.array(times), kind="stable")
        self.pass_source = np.array(source, dtype=object)[order]
        self.pass_satellite = np.array(satellite, dtype=object)[order]
        self.pass_time = np.array(times)[order]

    def gaps(self, ctx: SensorContext) -> list[CoverageGap]:
        return self.clouds.gaps(SourceType.SATELLITE_THERMAL.value)

    def observe(self, events: EventTable, ctx: SensorContext, rng: np.random.Generator) -> Reports:
        normal = np.isfinite(events.burn_until) & unset(events.forced_source)
        burning = np.flatnonzero(normal)
        burning = burning[np.argsort(events.t[burning], kind="stable")]
        starts = events.t[burning]
        cell = self.clouds.cell_of(events.x, events.y)
        rows: list[np.ndarray] = []
        passes: list[np.ndarray] = []
        powers: list[np.ndarray] = []
        for k, (source_id, t) in enumerate(zip(self.pass_source, self.pass_time, strict=True)):
            orbit = self._orbits[str(source_id)]
            lo, hi = np.searchsorted(starts, [t - MAX_BURN_S, t], side="right")
            lit = burning[lo:hi]
            lit = lit[events.burn_until[lit] >= t]
            lit = lit[~self.clouds.cloudy(cell[lit], t)]
            power = events.frp_mw[lit] * rng.lognormal(0.0, self.frp_sd, lit.size)
            seen = (power >= orbit.threshold_mw) & (rng.random(lit.size) < orbit.detection)
            count = 1 + rng.poisson(self.extra_pixels, int(seen.sum()))
            rows.append(np.repeat(lit[seen], count))
            passes.append(np.full(int(count.sum()), k))
            powers.append(np.repeat(power[seen] / count, count))
        # Forced (noise) detections: one pixel at the event's own pass, from its source.
        forced = np.flatnonzero(self.forced_here(events))
        forced_pass = np.searchsorted(self.pass_time, events.t[forced])
        forced_pass = np.clip(forced_pass, 0, max(self.pass_time.size - 1, 0))
        row = np.concatenate([*rows, forced]).astype(np.int64)
        pass_index = np.concatenate([*passes, forced_pass]).astype(np.int64)
        frp = np.concatenate([*powers, events.frp_mw[forced]])
        return self._firms_reports(events, row, pass_index, frp, ctx, rng)

    def _firms_reports(
        self,
        events: EventTable,
        row: IndexArray,
        pass_index: IndexArray,
        frp: FloatArray,
        ctx: SensorContext,
        rng: np.random.Generator,
    ) -> Reports:
        n = row.size
        if n == 0:
            return Reports.empty()
        source_id = self.pass_source[pass_index]
        satellite = self.pass_satellite[pass_index]
        time = self.pass_time[pass_index]
        viirs = np.array(["viirs" in s for s in source_id.tolist()], dtype=bool)
        nominal = np.where(viirs, 0.375, 1.0)
        # pixels grow towards the edge of the swath (scan angle u in [0, 1))
        u = rng.random(n) ** 2
        scan = np.round(nominal * (1.0 + np.where(viirs, 1.1, 3.8) * u), 2)
        track = np.round(nominal * (1.0 + np.where(viirs, 1.0, 1.0) * u), 2)
        x = events.x[row] + rng.normal(0.0, 1.0, n) * scan * 1000.0 / 3
        y = events.y[row] + rng.normal(0.0, 1.0, n) * track * 1000.0 / 3
        lon, lat = ctx.frame.to_lonlat(x, y)
        lon, lat = np.round(lon, 5), np.round(lat, 5)
        minute = np.floor(time / 60.0) * 60.0
        hour = (time % DAY_S) / HOUR_S
        daynight = np.where((hour >= 4.0) & (hour < 17.0), "D", "N").astype(object)
        words = np.array(["low", "nominal", "high"], dtype=object)[
            rng.choice(3, size=n, p=[0.1, 0.7, 0.2])
        ]
        percent = rng.integers(30, 101, n)
        confidence = np.where(viirs, words, percent.astype(str).astype(object)).astype(object)
        credibility = np.where(
            viirs,
            np.select([words == "high", words == "nominal"], [2, 3], 4),
            np.array([int(credibility_of_percent(int(p))) for p in percent.tolist()]),
        )
        pairs, inverse = np.unique(np.column_stack([scan, track]), axis=0, return_inverse=True)
        radius = np.array([pixel_radius_m(float(s), float(t)) for s, t in pairs])[
            inverse.reshape(-1)
        ]
        refs = firms_refs(lat, lon, minute, satellite, source_id)
        return Reports.make(
            event=row,
            source=source_id,
            ref=refs,
            t=minute,
            time_unc=300.0,
            received=time + rng.uniform(*self.latency_s, n),
            lon=lon,
            lat=lat,
            loc_unc=radius,
            domain="land",
            kind=Kind.THERMAL_ANOMALY.value,
            credibility=credibility,
            attrs={
                "scan": scan,
                "track": track,
                "frp": np.round(np.maximum(frp, 0.1), 1),
                "confidence": confidence,
                "daynight": daynight,
                "satellite": satellite.astype(object),
                "instrument": np.where(viirs, "VIIRS", "MODIS").astype(object),
            },
        )

    def plan_noise(
        self, ctx: SensorContext, rng: np.random.Generator, intensity: float
    ) -> EventTable:
        """Single false hot pixels at overpasses under a clear sky (industry, sun glint)."""
        mean = self.noise_per_100km_day * ctx.frame.length_m / 100_000.0 * ctx.window.days
        n = int(rng.poisson(mean * intensity))
        if n == 0 or self.pass_time.size == 0:
            return EventTable.empty()
        x, y = ctx.frame.sample_near_line(
            rng, n, party=None, min_m=0.0, max_m=100_000.0, what="satellite noise"
        )
        k = rng.integers(self.pass_time.size, size=n)
        clear = ~self.clouds.cloudy(self.clouds.cell_of(x, y), self.pass_time[k])
        x, y, k = x[clear], y[clear], k[clear]
        n = int(clear.sum())
        thresholds = np.array([self._orbits[str(s)].threshold_mw for s in self.pass_source[k]])
        return EventTable.make(
            n,
            category=Category.NOISE.value,
            kind=Kind.THERMAL_ANOMALY.value,
            t=self.pass_time[k],
            x=x,
            y=y,
            frp_mw=np.round(thresholds * rng.uniform(1.0, 3.0, n), 1),
            forced_source=self.pass_source[k],
            note=[f"false hot pixel of {s}" for s in self.pass_source[k]],
        )


def firms_refs(
    lat: FloatArray,
    lon: FloatArray,
    minute: FloatArray,
    satellite: ObjectArray,
    source_id: ObjectArray,
) -> ObjectArray:
    """The `source_ref` the FIRMS adapter gives each detection as written (5-decimal
    coordinates, the minute, the satellite): `truceline.sources.firms.detection_ref`."""
    import hashlib
    from datetime import UTC, datetime

    platforms = {"Terra": "TERRA", "Aqua": "AQUA"}
    out = np.empty(lat.size, dtype=object)
    day_of: dict[float, tuple[str, str]] = {}
    for j, (la, lo, m, sat, src) in enumerate(
        zip(
            lat.tolist(),
            lon.tolist(),
            minute.tolist(),
            satellite.tolist(),
            source_id.tolist(),
            strict=True,
        )
    ):
        stamp = day_of.get(m)
        if stamp is None:
            when = datetime.fromtimestamp(m, tz=UTC)
            stamp = (when.strftime("%Y-%m-%d"), when.strftime("%H%M"))
            day_of[m] = stamp
        platform = platforms.get(sat, src)
        key = f"{la + 0:.5f}|{lo + 0:.5f}|{stamp[0]}|{stamp[1]}|{platform}"
        out[j] = hashlib.sha256(key.encode()).hexdigest()[:32]
    return out


def default_sensors(
    ctx: SensorContext, rngs: Mapping[str, np.random.Generator]
) -> list[SensorModel]:
    """The default sensors: satellites, UAVs, acoustic arrays, cameras, patrols, imagery,
    open sources, and one report channel per party."""
    clouds = Clouds(ctx.frame, ctx.window, rngs["weather"])
    sensors: list[SensorModel] = [
        SatelliteThermal(ctx.window, rngs["satellite"], clouds),
        UavFleet(ctx, rngs["uav"]),
        AcousticArrays(ctx.frame),
        FixedCameras(ctx.frame),
        GroundPatrols(ctx, rngs["patrol"]),
        SatelliteImagery(),
        OpenSources(),
    ]
    sensors += [PartyReports(p) for p in ctx.agreement.parties]
    return sensors
