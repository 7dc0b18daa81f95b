"""Coverage gaps: where and when a sensor that should have watched could not.

A report can only say "not observed" when it knows where nothing was watching. Every
sensor model records the coverage it planned and lost: a satellite pass under cloud, a UAV
sortie cancelled or cut short, a UAV driven off by jamming, a patrol sector it was refused
entry to. Areas are WGS 84 polygons, written as WKT (5 decimals, about 1 m).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import shapely
from shapely.geometry.base import BaseGeometry

from truceline.simulation.events import to_datetime
from truceline.simulation.placement import TheatreFrame


class GapReason(StrEnum):
    """Why a sensor could not watch."""

    CLOUD = "cloud"
    """Cloud over the area at a satellite overpass."""
    UAV_OUTAGE = "uav_outage"
    """A UAV sortie cancelled (weather, maintenance, lost link)."""
    JAMMING = "jamming"
    """A UAV sortie cut short by satellite-navigation jamming."""
    ACCESS_DENIED = "access_denied"
    """Ground patrols refused entry to a sector for the day."""


@dataclass(frozen=True, slots=True)
class CoverageGap:
    """One area that one sensor could not watch for a while."""

    sensor: str
    """The source type that lost coverage (`satellite_thermal`, `uav`, `ground_patrol`)."""
    source_id: str
    """The source that lost it, or "" when every source of that type did (clouds)."""
    reason: GapReason
    start: datetime
    end: datetime
    sector: str
    """The area in words, e.g. "cloud cell 3,4" or "km 60-90 of the line, within 20 km"."""
    area: str
    """The area as a WKT polygon, WGS 84 longitude/latitude."""

    @property
    def geometry(self) -> BaseGeometry:
        return shapely.from_wkt(self.area)

    def key(self) -> tuple[datetime, str, str, str, datetime]:
        """Sort key: start, sensor, source, sector, end."""
        return (self.start, self.sensor, self.source_id, self.sector, self.end)


def gap(
    sensor: str,
    source_id: str,
    reason: GapReason,
    start_s: float,
    end_s: float,
    sector: str,
    area: str,
) -> CoverageGap:
    """A gap from times in seconds since the epoch and an area as WKT (longitude/latitude)."""
    return CoverageGap(
        sensor=sensor,
        source_id=source_id,
        reason=reason,
        start=to_datetime(start_s),
        end=to_datetime(end_s),
        sector=sector,
        area=area,
    )


def strip(frame: TheatreFrame, along_from_m: float, along_to_m: float, depth_m: float) -> str:
    """WKT of the land beside a stretch of the line, within `depth_m` of it (WGS 84)."""
    line = shapely.simplify(frame.stretch(along_from_m, along_to_m), 100.0)
    area = frame.unproject(shapely.buffer(line, depth_m, quad_segs=4))
    return str(shapely.to_wkt(area, rounding_precision=5, trim=True))


def strip_label(along_from_m: float, along_to_m: float, depth_m: float) -> str:
    return (
        f"km {along_from_m / 1000:.0f}-{along_to_m / 1000:.0f} of the line, "
        f"within {depth_m / 1000:.0f} km"
    )
