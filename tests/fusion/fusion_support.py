"""Shared material of the fusion tests: a source registry, observation builders, a
hypothesis strategy and an in-memory store that implements FusionStore."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from truceline.fusion.incident import Incident
from truceline.fusion.incremental import FusionUpdate
from truceline.observations.model import (
    Credibility,
    Domain,
    Kind,
    Observation,
    Reliability,
    SourceType,
)
from truceline.sources.registry import Source, SourceRegistry
from truceline.store.base import BBox, TimeWindow

T0 = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
"""Reference time of the test observations."""
LON0, LAT0 = 37.56, 48.73
"""Reference place (Kramatorsk)."""

SOURCES = (
    Source(id="uav-1", name="UAV 1", operator="Mission UAV wing", type=SourceType.UAV),
    Source(id="uav-2", name="UAV 2", operator="Mission UAV wing", type=SourceType.UAV),
    Source(id="uav-isr", name="Coalition ISR", operator="Coalition", type=SourceType.UAV),
    Source(id="acoustic", name="Acoustic array", operator="Mission", type=SourceType.ACOUSTIC),
    Source(id="camera", name="Camera 7", operator="Mission", type=SourceType.FIXED_CAMERA),
    Source(id="patrol", name="Patrol", operator="Mission", type=SourceType.GROUND_PATROL),
    Source(id="osint", name="Open sources", operator="Press", type=SourceType.OPEN_SOURCE),
    Source(
        id="party-ua",
        name="UA reports",
        operator="UA MoD",
        type=SourceType.PARTY_REPORT,
        party="UA",
    ),
    Source(
        id="party-ru",
        name="RU reports",
        operator="RU MoD",
        type=SourceType.PARTY_REPORT,
        party="RU",
    ),
)


def registry() -> SourceRegistry:
    """The built-in sources plus the test sources."""
    result = SourceRegistry()
    for source in SOURCES:
        result.add(source)
    return result


def offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    """A point east_m and north_m metres from (lon, lat), on a local flat approximation."""
    import math

    dlat = north_m / 111_195.0
    dlon = east_m / (111_195.0 * math.cos(math.radians(lat)))
    return lon + dlon, lat + dlat


def obs(
    source: str,
    ref: str,
    *,
    east_m: float = 0.0,
    north_m: float = 0.0,
    dt_s: float = 0.0,
    kind: Kind = Kind.EXPLOSION,
    r: float = 100.0,
    u: float = 60.0,
    grade: str = "B2",
    domain: Domain = Domain.LAND,
    **extra: Any,
) -> Observation:
    """One observation near the reference place and time."""
    lon, lat = offset(LON0, LAT0, east_m, north_m)
    return Observation(
        source_id=source,
        source_ref=ref,
        observed_at=T0 + timedelta(seconds=dt_s),
        received_at=T0 + timedelta(seconds=max(dt_s, 0.0) + 60.0),
        lon=lon,
        lat=lat,
        location_uncertainty_m=r,
        time_uncertainty_s=u,
        kind=kind,
        domain=domain,
        reliability=Reliability(grade[0]),
        credibility=Credibility(int(grade[1])),
        **extra,
    )


GRADE_CODES = [f"{r.value}{c.value}" for r in Reliability for c in Credibility]


@st.composite
def observation_lists(draw: st.DrawFn, max_size: int = 24, min_size: int = 0) -> list[Observation]:
    """Observations crowded into a few km and a few hours, so that many of them link."""
    size = draw(st.integers(min_size, max_size))
    source_ids = [s.id for s in SOURCES] + ["firms-viirs-noaa20"]
    result = []
    for n in range(size):
        kind = draw(st.sampled_from(list(Kind)))
        result.append(
            obs(
                draw(st.sampled_from(source_ids)),
                f"r{n}",
                east_m=draw(st.floats(-4000, 4000, allow_nan=False)),
                north_m=draw(st.floats(-4000, 4000, allow_nan=False)),
                dt_s=draw(st.floats(0, 6 * 3600, allow_nan=False)),
                kind=kind,
                r=draw(st.sampled_from([0.0, 20.0, 375.0, 1000.0, 5000.0, 400_000.0])),
                u=draw(st.sampled_from([0.0, 5.0, 60.0, 900.0, 3600.0, 43_200.0])),
                grade=draw(st.sampled_from(GRADE_CODES)),
                domain=draw(st.sampled_from(list(Domain))),
                weapon_class=draw(st.sampled_from([None, None, "mlrs", "artillery"])),
                calibre_mm=draw(st.sampled_from([None, None, 122.0, 152.0])),
                attributes=draw(
                    st.sampled_from(
                        [
                            {},
                            {"fire_from_bearing_deg": 80},
                            {"fire_from_bearing_deg": 100.5},
                            {"origin_lon": 37.9, "origin_lat": 48.9},
                            {"origin_lon": 38.0, "origin_lat": 48.8, "fire_from_bearing_deg": 90},
                        ]
                    )
                ),
            )
        )
    return result


class MemoryStore:
    """A FusionStore held in dicts: observations and the incidents fused from them."""

    def __init__(self) -> None:
        self.stored: dict[str, Observation] = {}
        self.incidents: dict[str, Incident] = {}
        self.queries = 0

    def add(self, batch: Sequence[Observation]) -> None:
        """Store observations; an id already stored keeps the stored one."""
        for item in batch:
            self.stored.setdefault(item.id, item)

    def observations(
        self,
        *,
        window: TimeWindow | None = None,
        bbox: BBox | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[Observation]:
        """Observations whose time window overlaps `window`, that lie in `bbox` and whose id
        is one of `ids`."""
        self.queries += 1
        result = []
        wanted = None if ids is None else set(ids)
        for item in self.stored.values():
            if wanted is not None and item.id not in wanted:
                continue
            half = timedelta(seconds=item.time_uncertainty_s)
            if window is not None and (
                item.observed_at + half < window.start or item.observed_at - half > window.end
            ):
                continue
            if bbox is not None and not (
                bbox.min_lon <= item.lon <= bbox.max_lon
                and bbox.min_lat <= item.lat <= bbox.max_lat
            ):
                continue
            result.append(item)
        return sorted(result, key=lambda o: (o.observed_at, o.id))

    def incidents_containing(self, observation_ids: Sequence[str]) -> list[Incident]:
        """Incidents holding any of these observations."""
        wanted = set(observation_ids)
        found = [i for i in self.incidents.values() if wanted.intersection(i.observation_ids)]
        return sorted(found, key=lambda i: (i.start, i.id))

    def apply(self, update: FusionUpdate) -> None:
        """Remove, then add, as the update says."""
        for incident_id in update.removed_ids:
            del self.incidents[incident_id]
        for incident in update.added:
            assert incident.id not in self.incidents, f"{incident.id} added twice"
            self.incidents[incident.id] = incident

    def sorted_incidents(self) -> list[Incident]:
        """Every stored incident, sorted by id."""
        return [self.incidents[key] for key in sorted(self.incidents)]
