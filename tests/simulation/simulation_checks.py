"""Independent checks of where simulated events lie, for the simulation tests.

Distances are measured in a UTM projection chosen from the line's centre, with shapely;
nothing here reuses the simulator's own placement code.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from shapely.geometry import MultiLineString, MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.model import ANYWHERE, BUFFER, WITHDRAWAL, LineOfContact, Party
from truceline.observations.model import Kind
from truceline.simulation import TruthEvent, minsk_style_agreement

TOLERANCE = 0.01
"""Relative tolerance on distances (the simulator measures in another projection)."""
SLACK_M = 60.0


def read_geometry(path: Path) -> BaseGeometry:
    """The geometry of the first feature of a GeoJSON file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return shape(data["features"][0]["geometry"])


def real_loaded(shared_data: Path, day: str = "20250901") -> LoadedAgreement:
    """A Minsk II style agreement on the real line of contact: UA first, RU holds the
    occupied area, the rest is UA; buffer and bands, no exclusion zones."""
    folder = shared_data / "contact_line"
    line = read_geometry(folder / f"line_of_contact_{day}.geojson")
    occupied = read_geometry(folder / f"deepstate_occupied_{day}.geojson")
    assert isinstance(line, MultiLineString)
    if isinstance(occupied, Polygon):
        occupied = MultiPolygon([occupied])
    assert isinstance(occupied, MultiPolygon)
    agreement = minsk_style_agreement(
        agreement_id="ua-ru-test",
        title="Minsk II style terms on the line of contact of 1 September 2025",
        parties=[
            Party(code="UA", name="Armed Forces of Ukraine", adjective="Ukrainian"),
            Party(code="RU", name="Armed Forces of the Russian Federation", adjective="Russian"),
        ],
        line=LineOfContact(
            file=f"line_of_contact_{day}.geojson",
            held_areas={"RU": f"deepstate_occupied_{day}.geojson"},
            rest_held_by="UA",
        ),
    )
    return LoadedAgreement(agreement=agreement, line=line, held_areas={"RU": occupied})


class Metric:
    """The agreement's line and areas in UTM metres, for checking placements."""

    def __init__(self, loaded: LoadedAgreement) -> None:
        centre = loaded.line.centroid
        zone = int((centre.x + 180) // 6) + 1
        crs = CRS.from_epsg(32600 + zone if centre.y >= 0 else 32700 + zone)
        self._to_m = Transformer.from_crs(CRS.from_epsg(4326), crs, always_xy=True)
        self.loaded = loaded
        self.line = self.project(loaded.line)
        self.held = {code: self.project(area) for code, area in loaded.held_areas.items()}

    def project(self, geometry: BaseGeometry) -> BaseGeometry:
        def apply(coords: NDArray[np.float64]) -> NDArray[np.float64]:
            x, y = self._to_m.transform(coords[:, 0], coords[:, 1])
            return np.column_stack([x, y])

        return shapely.transform(geometry, apply)

    def distance_km(self, lon: float, lat: float) -> float:
        x, y = self._to_m.transform(lon, lat)
        return float(shapely.distance(self.line, shapely.Point(x, y))) / 1000.0

    def side(self, lon: float, lat: float) -> str:
        """The party holding a point: its held area, else the rest."""
        for code, area in self.loaded.held_areas.items():
            if area.contains(shapely.Point(lon, lat)):
                return code
        return self.loaded.agreement.line.rest_held_by

    def within(self, km: float, lon: float, lat: float) -> bool:
        return self.distance_km(lon, lat) <= km * (1 + TOLERANCE) + SLACK_M / 1000.0


FIRE_ACROSS = {Kind.EXPLOSION, Kind.IMPACT, Kind.SMALL_ARMS_FIRE}


def where_problems(metric: Metric, event: TruthEvent) -> list[str]:
    """Why a violation does not lie where its rule applies (empty when it does)."""
    agreement = metric.loaded.agreement
    act = agreement.prohibited_act(str(event.rule))
    party = str(event.party)
    side = metric.side(event.lon, event.lat)
    problems: list[str] = []
    if act.within_km is not None and not metric.within(act.within_km, event.lon, event.lat):
        problems.append(f"farther than {act.within_km} km from the line")
    found_zone = False
    for zone in act.zones:
        if zone == ANYWHERE:
            found_zone = True
            if event.prenotification_id is None and event.kind in FIRE_ACROSS:
                if side == party:
                    problems.append(f"fire by {party} landed on its own side")
                origin = (event.origin_lon, event.origin_lat)
                if (
                    origin[0] is not None
                    and origin[1] is not None
                    and (metric.side(origin[0], origin[1]) != party)
                ):
                    problems.append(f"fire by {party} came from the other side")
            elif side != party:
                problems.append(f"{event.kind} by {party} not on its own side")
        elif zone == BUFFER:
            buffer = agreement.zones.buffer
            assert buffer is not None
            if side == party and metric.within(buffer.width_km[party], event.lon, event.lat):
                found_zone = True
        elif zone == WITHDRAWAL or zone.startswith(f"{WITHDRAWAL}:"):
            widths = {b.weapon_class: b.width_km[party] for b in agreement.zones.withdrawal_bands}
            cls = event.weapon_class
            if cls in widths and side == party and metric.within(widths[cls], event.lon, event.lat):
                found_zone = True
        else:
            area = metric.loaded.exclusions[zone]
            if area.contains(shapely.Point(event.lon, event.lat)):
                found_zone = True
    if not found_zone:
        problems.append(f"in none of the zones {act.zones}")
    return problems
