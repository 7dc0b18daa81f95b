"""Sensor models: who sees which simulated event, and how they report it.

One small class per sensor model. A sensor owns its sources (as they appear in the source
registry), decides per event whether it sees it (vectorised over the event table), and
turns each detection into an `Observation` with the sensor's own location and time errors
and reporting delay. Most sensors report an event at most once (`EventSensor`, overriding
`coverage`); satellites report what burns at each overpass.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import numpy as np

from truceline.agreement.model import Agreement, Party
from truceline.observations.model import (
    Credibility,
    Domain,
    Kind,
    Observation,
    Reliability,
    SourceType,
)
from truceline.simulation.events import DAY_S, HOUR_S, EventTable, Window
from truceline.simulation.placement import (
    BoolArray,
    FloatArray,
    ObjectArray,
    TheatreFrame,
    unset,
)
from truceline.simulation.truth import Category
from truceline.sources.registry import BUILTIN_SOURCES, Source

Detection = tuple[int, Observation]
"""An observation and the index, in the event table, of the event it reports."""

MISSION = "Monitoring mission"
"""Operator of the mission's own sensors."""


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
    def observe(
        self, events: EventTable, ctx: SensorContext, rng: np.random.Generator
    ) -> list[Detection]:
        """Every observation this sensor makes of the events."""

    def plan_noise(
        self, ctx: SensorContext, rng: np.random.Generator, intensity: float
    ) -> EventTable:
        """False detections of this sensor (events only its sources report)."""
        return EventTable.empty()


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
        self, events: EventTable, index: np.ndarray, rng: np.random.Generator
    ) -> ObjectArray:
        """Which of the sensor's sources reports each detected event."""
        ids = np.array([s.id for s in self.sources], dtype=object)
        return ids[rng.integers(len(ids), size=index.size)]

    def location_uncertainty(
        self, events: EventTable, index: np.ndarray, rng: np.random.Generator
    ) -> FloatArray:
        low, high = self.location_uncertainty_m
        return rng.uniform(low, high, index.size)

    def attributes(
        self, events: EventTable, index: np.ndarray, ctx: SensorContext, rng: np.random.Generator
    ) -> list[dict[str, Any]]:
        """Extra attributes of each report (origin of fire, bearing, affiliation...)."""
        return [{} for _ in range(index.size)]

    def observe(
        self, events: EventTable, ctx: SensorContext, rng: np.random.Generator
    ) -> list[Detection]:
        p = np.zeros(len(events))
        for kind, probability in self.detection.items():
            p[events.kind == kind.value] = probability
        p *= self.coverage(events, ctx)
        p[~unset(events.forced_source)] = 0.0
        forced = self.forced_here(events)
        index = np.flatnonzero((rng.random(len(events)) < p) | forced)
        sources = self.pick_sources(events, index, rng)
        own = forced[index]
        sources[own] = events.forced_source[index][own]
        return self._report(events, index, sources, ctx, rng)

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
        sources = self.pick_sources(table, np.arange(n), rng)
        table.forced_source[:] = sources
        table.note[:] = [f"false detection by {s}" for s in sources]
        return table

    def _report(
        self,
        events: EventTable,
        index: np.ndarray,
        sources: ObjectArray,
        ctx: SensorContext,
        rng: np.random.Generator,
    ) -> list[Detection]:
        if index.size == 0:
            return []
        radius = self.location_uncertainty(events, index, rng)
        x = events.x[index] + rng.normal(0.0, 1.0, index.size) * radius / 2
        y = events.y[index] + rng.normal(0.0, 1.0, index.size) * radius / 2
        lon, lat = ctx.frame.to_lonlat(x, y)
        t_unc = rng.uniform(*self.time_uncertainty_s, index.size)
        t_err = np.clip(rng.normal(0.0, 1.0, index.size) * t_unc / 2, -t_unc, t_unc)
        observed = events.t[index] + t_err
        received = events.t[index] + rng.uniform(*self.latency_s, index.size)
        calibre = np.where(rng.random(index.size) < 0.5, events.calibre_mm[index], np.nan)
        observations = build_observations(
            [self._by_id[s] for s in sources],
            refs=[f"{events.id[i]}/{self.name}" for i in index.tolist()],
            observed=observed,
            time_uncertainty_s=t_unc,
            received=received,
            lon=lon,
            lat=lat,
            location_uncertainty_m=radius,
            domain=events.domain[index],
            kind=events.kind[index],
            weapon_class=_reported_classes(events, index, ctx, rng, self.class_accuracy),
            calibre_mm=calibre,
            attributes=self.attributes(events, index, ctx, rng),
        )
        return list(zip(index.tolist(), observations, strict=True))


_DOMAINS = {d.value: d for d in Domain}
_KINDS = {k.value: k for k in Kind}


def build_observations(
    sources: Sequence[Source],
    *,
    refs: Sequence[str],
    observed: FloatArray,
    time_uncertainty_s: FloatArray,
    received: FloatArray,
    lon: FloatArray,
    lat: FloatArray,
    location_uncertainty_m: FloatArray,
    domain: Sequence[str] | ObjectArray,
    kind: Sequence[str] | ObjectArray,
    weapon_class: Sequence[str | None] | None = None,
    calibre_mm: FloatArray | None = None,
    attributes: Sequence[Mapping[str, Any]] | None = None,
) -> list[Observation]:
    """Simulated reports, graded as their sources are; times in seconds since the epoch.

    Values are rounded as a feed would give them (whole seconds, 1e-6 degree); a report
    always arrives at least a second after what it reports.
    """
    n = len(refs)
    observed_s = np.round(observed)
    received_s = np.maximum(np.round(received), observed_s + 1.0)
    calibre = np.full(n, np.nan) if calibre_mm is None else calibre_mm
    calibres = [float(c) if np.isfinite(c) else None for c in calibre.tolist()]
    classes = weapon_class if weapon_class is not None else [None] * n
    extra = attributes if attributes is not None else [{}] * n
    out: list[Observation] = []
    for j, (o_lon, o_lat, t_obs, t_rec, t_unc, radius) in enumerate(
        zip(
            np.round(lon, 6).tolist(),
            np.round(lat, 6).tolist(),
            observed_s.tolist(),
            received_s.tolist(),
            np.round(time_uncertainty_s, 1).tolist(),
            np.round(location_uncertainty_m, 1).tolist(),
            strict=True,
        )
    ):
        source = sources[j]
        out.append(
            Observation(
                source_id=source.id,
                source_ref=refs[j],
                observed_at=datetime.fromtimestamp(t_obs, tz=UTC),
                time_uncertainty_s=t_unc,
                received_at=datetime.fromtimestamp(t_rec, tz=UTC),
                lon=o_lon,
                lat=o_lat,
                location_uncertainty_m=radius,
                domain=_DOMAINS[domain[j]],
                kind=_KINDS[kind[j]],
                weapon_class=classes[j],
                calibre_mm=calibres[j],
                reliability=source.reliability,
                credibility=source.credibility,
                attributes={"simulated": True, **extra[j]},
            )
        )
    return out


def _reported_classes(
    events: EventTable,
    index: np.ndarray,
    ctx: SensorContext,
    rng: np.random.Generator,
    accuracy: float,
) -> list[str | None]:
    """The weapon class a sighting names: right with probability `accuracy`."""
    classes = ctx.weapon_classes
    wrong = rng.random(index.size) >= accuracy
    picks = rng.integers(max(len(classes), 1), size=index.size)
    out: list[str | None] = []
    for j, i in enumerate(index.tolist()):
        true = events.weapon_class[i]
        if events.kind[i] != Kind.WEAPON_SIGHTING.value or true is None:
            out.append(None)
        elif wrong[j] and len(classes) > 1:
            other = [c for c in classes if c != true]
            out.append(other[int(picks[j]) % len(other)])
        else:
            out.append(str(true))
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
    events: EventTable, index: np.ndarray, rng: np.random.Generator, share: float
) -> list[dict[str, Any]]:
    """Markings identify the party of armed people, weapons, aircraft and vessels."""
    identifiable = {
        Kind.AIRCRAFT.value,
        Kind.VESSEL.value,
        Kind.WEAPON_SIGHTING.value,
        Kind.ARMED_PRESENCE.value,
        Kind.MOVEMENT.value,
    }
    seen = rng.random(index.size) < share
    return [
        {"affiliation": events.party[i]}
        if seen[j] and events.kind[i] in identifiable and events.party[i]
        else {}
        for j, i in enumerate(index.tolist())
    ]


# The mission's own sensors ------------------------------------------------------------------


class UavFleet(EventSensor):
    """Mission UAVs flying over the zones: precise (tens of metres) and prompt."""

    name = "uav"
    detection: ClassVar[Mapping[Kind, float]] = {
        Kind.EXPLOSION: 0.55,
        Kind.IMPACT: 0.5,
        Kind.LAUNCH: 0.55,
        Kind.SMALL_ARMS_FIRE: 0.3,
        Kind.WEAPON_SIGHTING: 0.75,
        Kind.ARMED_PRESENCE: 0.75,
        Kind.MOVEMENT: 0.75,
        Kind.AIRCRAFT: 0.5,
        Kind.VESSEL: 0.7,
        Kind.DAMAGE: 0.4,
    }
    location_uncertainty_m = (30.0, 100.0)
    time_uncertainty_s = (2.0, 10.0)
    latency_s = (60.0, 900.0)
    class_accuracy = 0.9
    noise_per_100km_day = 0.1
    noise_kinds = (Kind.MOVEMENT, Kind.ARMED_PRESENCE)
    reach_m = 80_000.0
    """UAVs patrol up to this far from the line; beyond, they see a third as much."""
    origin_share = 0.5
    """Share of fire reports that trace the fire back to where it came from."""

    def __init__(self, airframes: int = 3) -> None:
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

    def coverage(self, events: EventTable, ctx: SensorContext) -> FloatArray:
        return np.where(events.distance_m <= self.reach_m, 1.0, 0.3)

    def attributes(
        self, events: EventTable, index: np.ndarray, ctx: SensorContext, rng: np.random.Generator
    ) -> list[dict[str, Any]]:
        out = _affiliation(events, index, rng, 0.6)
        traced = rng.random(index.size) < self.origin_share
        dx = rng.normal(0.0, 150.0, index.size)
        dy = rng.normal(0.0, 150.0, index.size)
        has = np.isfinite(events.ox[index]) & traced
        if has.any():
            lon, lat = ctx.frame.to_lonlat(
                events.ox[index][has] + dx[has], events.oy[index][has] + dy[has]
            )
            for j, o_lon, o_lat in zip(np.flatnonzero(has), lon, lat, strict=True):
                out[j]["origin_lon"] = round(float(o_lon), 6)
                out[j]["origin_lat"] = round(float(o_lat), 6)
        return out


class SiteNetwork(EventSensor):
    """Sensors at fixed sites spaced along the line; the nearest site in range reports."""

    spacing_m: ClassVar[float] = 30_000.0
    offset_m: ClassVar[float] = 1_500.0
    ranges_m: ClassVar[Mapping[Kind, float]] = {}
    prefix: ClassVar[str] = "site"
    label: ClassVar[str] = "Site"
    source_type: ClassVar[SourceType] = SourceType.FIXED_CAMERA
    grade: ClassVar[tuple[Reliability, Credibility]] = (Reliability.B, Credibility.PROBABLY_TRUE)

    def __init__(self, frame: TheatreFrame) -> None:
        count = max(2, int(frame.length_m // self.spacing_m))
        along = (np.arange(count) + 0.5) * frame.length_m / count
        offset = np.where(np.arange(count) % 2 == 0, self.offset_m, -self.offset_m)
        self.site_x, self.site_y = frame.points_along(along, offset)
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

    def _nearest(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, np.ndarray]:
        dx = x[:, None] - self.site_x[None, :]
        dy = y[:, None] - self.site_y[None, :]
        d2 = dx * dx + dy * dy
        nearest = d2.argmin(axis=1)
        return np.sqrt(d2[np.arange(x.size), nearest]), nearest

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
        self, events: EventTable, index: np.ndarray, rng: np.random.Generator
    ) -> ObjectArray:
        if index.size == 0:
            return np.empty(0, dtype=object)
        _, nearest = self._nearest(events.x[index], events.y[index])
        return np.asarray(self._ids[nearest], dtype=object)

    def site_range(self, events: EventTable, index: np.ndarray) -> FloatArray:
        """Distance from the reporting (nearest) site to each event, metres."""
        if index.size == 0:
            return np.empty(0)
        return self._nearest(events.x[index], events.y[index])[0]


class AcousticArrays(SiteNetwork):
    """Acoustic arrays along the line: locate fire to 1-2 km and give where it came from."""

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
    bearing_sd_deg = 4.0

    def location_uncertainty(
        self, events: EventTable, index: np.ndarray, rng: np.random.Generator
    ) -> FloatArray:
        return np.clip(1_000.0 + 0.04 * self.site_range(events, index), 1_000.0, 2_000.0)

    def attributes(
        self, events: EventTable, index: np.ndarray, ctx: SensorContext, rng: np.random.Generator
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = [{} for _ in range(index.size)]
        has = np.isfinite(events.ox[index])
        if has.any():
            sel = index[has]
            bearing = ctx.frame.bearing_deg(
                events.x[sel], events.y[sel], events.ox[sel], events.oy[sel]
            )
            bearing = np.mod(bearing + rng.normal(0.0, self.bearing_sd_deg, sel.size), 360.0)
            for j, b in zip(np.flatnonzero(has), bearing, strict=True):
                out[j]["fire_from_bearing_deg"] = round(float(b), 1)
        return out


class FixedCameras(SiteNetwork):
    """Day and thermal cameras at fixed sites along the line."""

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

    def location_uncertainty(
        self, events: EventTable, index: np.ndarray, rng: np.random.Generator
    ) -> FloatArray:
        return np.clip(100.0 + 0.05 * self.site_range(events, index), 100.0, 800.0)


class GroundPatrols(EventSensor):
    """Mission patrols: very reliable, but by day only and where they are let through.

    Each day, each 30 km sector of the line is open to patrols with probability
    `access_share`. Patrols hear fire within 10 km and see what is within 20 km of the line.
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
        # access[day, sector]: whether patrols could reach that sector that day
        self.access = rng.random((ctx.window.days + 1, sectors)) < self.access_share

    def coverage(self, events: EventTable, ctx: SensorContext) -> FloatArray:
        if len(events) == 0:
            return np.zeros(0)
        since = events.t - ctx.window.t0
        day = np.clip((since // DAY_S).astype(int), 0, self.access.shape[0] - 1)
        sector = np.clip((events.along_m // self.sector_m).astype(int), 0, self.access.shape[1] - 1)
        hour = (since % DAY_S) / HOUR_S
        daytime = (hour >= self.hours_utc[0]) & (hour < self.hours_utc[1])
        heard = np.isin(events.kind, [k.value for k in _FIRE])
        reach = np.where(heard, self.heard_m, self.seen_m)
        covered = self.access[day, sector] & daytime & (events.distance_m <= reach)
        return np.asarray(covered, dtype=np.float64)

    def location_uncertainty(
        self, events: EventTable, index: np.ndarray, rng: np.random.Generator
    ) -> FloatArray:
        heard = np.isin(events.kind[index], [k.value for k in _FIRE])
        return np.where(
            heard, rng.uniform(2_000.0, 4_000.0, index.size), rng.uniform(100.0, 300.0, index.size)
        )


_FIRE = (Kind.EXPLOSION, Kind.IMPACT, Kind.LAUNCH, Kind.SMALL_ARMS_FIRE)


class SatelliteImagery(EventSensor):
    """High-resolution imagery tasked over the zones: sees parked weapons, vehicles and
    vessels within 100 km of the line, reported hours later."""

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
    """Social media, local press and open-source analysts: late, coarse, often right."""

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
    latency_s = (2 * HOUR_S, 24 * HOUR_S)
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
        self, events: EventTable, index: np.ndarray, ctx: SensorContext, rng: np.random.Generator
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for i in index.tolist():
            false = events.category[i] == Category.FALSE_REPORT.value
            out.append({"accused": events.victim[i] if false else events.party[i]})
        return out

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


ORBITS: tuple[Orbit, ...] = (
    Orbit("firms-viirs-noaa20", (0.75, 10.75), 0.8, 375.0),
    Orbit("firms-viirs-noaa21", (1.17, 11.17), 0.8, 375.0),
    Orbit("firms-viirs-snpp", (1.58, 11.58), 0.8, 375.0),
    Orbit("firms-modis", (0.5, 9.0, 11.5, 20.0), 0.5, 1_000.0),
)
"""Overpass times over the theatre (UTC hours, each day with +/-15 min jitter)."""


class SatelliteThermal(SensorModel):
    """Thermal satellites (the FIRMS sources): they see only what burns at an overpass."""

    name = "satellite"
    pass_jitter_s = 900.0
    extra_pixels = 0.35
    """Mean number of extra pixels a fire lights up besides the first."""
    latency_s = (1 * HOUR_S, 3 * HOUR_S)
    noise_per_100km_day = 0.6

    def __init__(
        self, window: Window, rng: np.random.Generator, orbits: Sequence[Orbit] = ORBITS
    ) -> None:
        builtin = {s.id: s for s in BUILTIN_SOURCES}
        super().__init__([builtin[o.source_id] for o in orbits])
        self._orbits = {o.source_id: o for o in orbits}
        source: list[str] = []
        times: list[float] = []
        for day in range(-1, window.days + 1):
            for orbit in orbits:
                for hour in orbit.hours_utc:
                    t = window.t0 + day * DAY_S + hour * HOUR_S + rng.normal(0, self.pass_jitter_s)
                    if window.t0 <= t < window.t1:
                        source.append(orbit.source_id)
                        times.append(float(np.floor(t)))
        order = np.argsort(np.array(times), kind="stable")
        self.pass_source = np.array(source, dtype=object)[order]
        self.pass_time = np.array(times)[order]

    def observe(
        self, events: EventTable, ctx: SensorContext, rng: np.random.Generator
    ) -> list[Detection]:
        normal = np.isfinite(events.burn_until) & unset(events.forced_source)
        burning = np.flatnonzero(normal)
        rows: list[np.ndarray] = []
        passes: list[np.ndarray] = []
        pixels: list[np.ndarray] = []
        for k, (source_id, t) in enumerate(zip(self.pass_source, self.pass_time, strict=True)):
            lit = burning[(events.t[burning] <= t) & (events.burn_until[burning] >= t)]
            seen = lit[rng.random(lit.size) < self._orbits[source_id].detection]
            count = 1 + rng.poisson(self.extra_pixels, seen.size)
            rows.append(np.repeat(seen, count))
            passes.append(np.full(int(count.sum()), k))
            pixels.append(np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count))
        # Forced (noise) detections: one pixel at the event's own time, from its source.
        forced = np.flatnonzero(self.forced_here(events))
        row = np.concatenate([*rows, forced]).astype(int)
        regular = np.concatenate(passes).astype(int) if passes else np.empty(0, dtype=int)
        pass_index = np.concatenate([regular, np.full(forced.size, -1)])
        pixel = np.concatenate([*pixels, np.zeros(forced.size)]).astype(int)
        source_id = np.concatenate([self.pass_source[regular], events.forced_source[forced]])
        time = np.concatenate([self.pass_time[regular], events.t[forced]])
        n = row.size
        pixel_m = np.array([self._orbits[s].pixel_m for s in source_id], dtype=np.float64)
        x = events.x[row] + rng.normal(0.0, 1.0, n) * pixel_m / 3
        y = events.y[row] + rng.normal(0.0, 1.0, n) * pixel_m / 3
        lon, lat = ctx.frame.to_lonlat(x, y)
        frp = np.round(rng.lognormal(np.log(6.0), 0.9, n), 1).tolist()
        confidence = np.array(["low", "nominal", "high"], dtype=object)[
            rng.choice(3, size=n, p=[0.1, 0.7, 0.2])
        ].tolist()
        percent = rng.integers(30, 101, n).tolist()
        hour = (time % DAY_S) / HOUR_S
        daynight = np.where((hour >= 4.0) & (hour < 17.0), "D", "N").tolist()
        viirs = np.array(["viirs" in s for s in source_id], dtype=bool).tolist()
        attributes = [
            {
                "frp": frp[j],
                "daynight": daynight[j],
                "confidence": confidence[j] if viirs[j] else percent[j],
            }
            for j in range(n)
        ]
        ids = events.id[row].tolist()
        observations = build_observations(
            [self._by_id[s] for s in source_id],
            refs=[
                f"{ids[j]}/{source_id[j]}/{p}/{q}"
                for j, (p, q) in enumerate(zip(pass_index.tolist(), pixel.tolist(), strict=True))
            ],
            observed=time,
            time_uncertainty_s=np.full(n, 60.0),
            received=time + rng.uniform(*self.latency_s, n),
            lon=lon,
            lat=lat,
            location_uncertainty_m=pixel_m,
            domain=[Domain.LAND.value] * n,
            kind=[Kind.THERMAL_ANOMALY.value] * n,
            attributes=attributes,
        )
        return list(zip(row.tolist(), observations, strict=True))

    def plan_noise(
        self, ctx: SensorContext, rng: np.random.Generator, intensity: float
    ) -> EventTable:
        """Single false hot pixels at overpasses (industry, sun glint, sensor noise)."""
        mean = self.noise_per_100km_day * ctx.frame.length_m / 100_000.0 * ctx.window.days
        n = int(rng.poisson(mean * intensity))
        if n == 0 or self.pass_time.size == 0:
            return EventTable.empty()
        x, y = ctx.frame.sample_near_line(
            rng, n, party=None, min_m=0.0, max_m=100_000.0, what="satellite noise"
        )
        k = rng.integers(self.pass_time.size, size=n)
        return EventTable.make(
            n,
            category=Category.NOISE.value,
            kind=Kind.THERMAL_ANOMALY.value,
            t=self.pass_time[k],
            x=x,
            y=y,
            forced_source=self.pass_source[k],
            note=[f"false hot pixel of {s}" for s in self.pass_source[k]],
        )


def default_sensors(
    ctx: SensorContext, rngs: Mapping[str, np.random.Generator]
) -> list[SensorModel]:
    """The demo's sensors: satellites, UAVs, acoustic arrays, cameras, patrols, open sources,
    and one report channel per party."""
    sensors: list[SensorModel] = [
        SatelliteThermal(ctx.window, rngs["satellite"]),
        UavFleet(),
        AcousticArrays(ctx.frame),
        FixedCameras(ctx.frame),
        GroundPatrols(ctx, rngs["patrol"]),
        SatelliteImagery(),
        OpenSources(),
    ]
    sensors += [PartyReports(p) for p in ctx.agreement.parties]
    return sensors
