"""The theatre: an agreement's geometry, ready to place many points at once.

Built once per agreement version. Sides come from the held areas (a point in none of them
belongs to the party holding the rest); distances are geodesic (WGS 84) distances to the
line of contact; zones are the buffer and withdrawal bands (a party's side, within the
band's width of the line, the width itself included) and the exclusion areas.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from truceline.agreement.loaded import LoadedAgreement
from truceline.errors import AgreementError, GeometryError
from truceline.geometry.cell_index import (
    IN,
    MIXED,
    UNDECIDED,
    Areas,
    CellIndex,
    expand_bounds,
    union_bounds,
)
from truceline.geometry.coordinates import coordinate_arrays
from truceline.geometry.geodesic import compass_direction, geodesic_inverse
from truceline.geometry.grid import Grid
from truceline.geometry.line_index import LineIndex
from truceline.geometry.projection import LocalProjection
from truceline.geometry.zones import ZoneMembership, bands_of, in_bands

CELL_M = 1000.0
"""Default size of a grid cell, metres."""

MAX_CELLS = 2_000_000
"""Default largest number of grid cells; a larger theatre gets coarser cells."""


@dataclass(frozen=True)
class Location:
    """Where one point lies under the agreement.

    `zones` come in the agreement's order. The nearest point of the line and the bearing
    from it to the point let explanations say "4.2 km west of the line".
    """

    side: str
    distance_to_line_m: float
    signed_distance_m: float
    zones: tuple[str, ...]
    line_lon: float
    line_lat: float
    bearing_from_line_deg: float

    @property
    def direction_from_line(self) -> str:
        """Compass direction from the nearest point of the line, e.g. 'west'."""
        return compass_direction(self.bearing_from_line_deg)


@dataclass(frozen=True)
class Measurement:
    """Side, distance and nearest point of the line of many points, found in one search.

    `side` indexes `agreement.parties`; `signed_distance_m` is positive on the first
    party's side; `bearing_from_line_deg` is the bearing from the nearest point of the
    line (`line_lon`, `line_lat`) to the point.
    """

    side: NDArray[np.int8]
    distance_m: NDArray[np.float64]
    signed_distance_m: NDArray[np.float64]
    line_lon: NDArray[np.float64]
    line_lat: NDArray[np.float64]
    bearing_from_line_deg: NDArray[np.float64]


@dataclass(frozen=True)
class _Nearest:
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    distance_m: NDArray[np.float64]
    bearing_deg: NDArray[np.float64]


class Theatre:
    """An agreement version's line, sides and zones, for vectorised queries.

    Every query takes two 1-D arrays of WGS 84 longitudes and latitudes (empty arrays are
    fine) and raises GeometryError for arrays of other shapes and for non-finite or
    out-of-range values. `cell_m` and `max_cells` size the grid that speeds up `sides`
    and `zone_membership`; they change speed, not results.

    A distance is the geodesic length to a point of the line (so never too short), that
    point being the nearest in a local azimuthal equidistant projection. It can be too long
    only where two parts of the line are almost equally near, by less than the projection's
    scale error (0.1 % within 500 km of the theatre's centre); against brute force over
    Ukraine and 300 km around, the largest error seen is below 0.01 %.
    """

    def __init__(
        self, loaded: LoadedAgreement, *, cell_m: float = CELL_M, max_cells: int = MAX_CELLS
    ) -> None:
        agreement = loaded.agreement
        self.agreement = agreement
        self.parties: tuple[str, ...] = tuple(p.code for p in agreement.parties)
        self.zone_ids: tuple[str, ...] = tuple(agreement.zone_ids)
        where = f"agreement {agreement.id} version {agreement.version}"
        line = _line(loaded.line, f"{where}: line")
        index = {code: i for i, code in enumerate(self.parties)}
        for code in loaded.held_areas:
            if code not in index:
                raise AgreementError(
                    f"{where}: held area of unknown party {code!r}; expected one of "
                    f"{list(self.parties)}"
                )
        held = tuple(
            (index[code], _area(loaded.held_areas[code], f"{where}: held area of {code}"))
            for code in self.parties
            if code in loaded.held_areas
        )
        columns = {zone: j for j, zone in enumerate(self.zone_ids)}
        exclusion_ids = [z.id for z in agreement.zones.exclusions]
        unknown = sorted(set(loaded.exclusions) - set(exclusion_ids))
        missing = [z for z in exclusion_ids if z not in loaded.exclusions]
        if unknown or missing:
            raise AgreementError(
                f"{where}: exclusion areas do not match the agreement's exclusion zones "
                f"(without an area: {missing}, not in the agreement: {unknown}); give one "
                "area per exclusion zone"
            )
        exclusions = tuple(
            (columns[z], _area(loaded.exclusions[z], f"{where}: exclusion zone {z}"))
            for z in exclusion_ids
        )
        for _, area in (*held, *exclusions):
            shapely.prepare(area)
        self._areas = Areas(held, index[agreement.line.rest_held_by], exclusions)
        self._bands = bands_of(agreement)
        self._band_columns = np.array(sorted({b.column for b in self._bands}), dtype=np.int64)
        min_lon, min_lat, max_lon, max_lat = line.bounds
        self._line = LineIndex(
            line, LocalProjection((min_lon + max_lon) / 2, (min_lat + max_lat) / 2)
        )
        reach = max((band.width_m for band in self._bands), default=0.0)
        band_bounds = expand_bounds(line.bounds, reach * 1.01 + 1.0)
        region = union_bounds(
            band_bounds,
            *(area.bounds for _, area in held),
            *(area.bounds for _, area in exclusions),
        )
        grid = Grid.covering(region, cell_m, max_cells)
        self._cells = CellIndex(
            grid, self._line, self._areas, self._bands, len(self.zone_ids), band_bounds
        )

    def sides(self, lon: ArrayLike, lat: ArrayLike) -> NDArray[np.int8]:
        """Index into `agreement.parties` of the party holding each point."""
        lon_a, lat_a = coordinate_arrays(lon, lat)
        cell = self._cells.grid.cells_of(lon_a, lat_a)
        side = np.full(lon_a.size, MIXED, dtype=np.int8)
        inside = cell >= 0
        side[inside] = self._cells.side[cell[inside]]
        exact = np.flatnonzero(side == MIXED)
        side[exact] = self._areas.sides(lon_a[exact], lat_a[exact])
        return side

    def distance_to_line_m(self, lon: ArrayLike, lat: ArrayLike) -> NDArray[np.float64]:
        """Geodesic distance in metres from each point to the nearest point of the line."""
        return self._nearest(*coordinate_arrays(lon, lat)).distance_m

    def signed_distance_m(self, lon: ArrayLike, lat: ArrayLike) -> NDArray[np.float64]:
        """Distance to the line, positive on the first party's side, negative elsewhere."""
        return self.measure(lon, lat).signed_distance_m

    def nearest_on_line(
        self, lon: ArrayLike, lat: ArrayLike
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Longitude and latitude of the nearest point of the line to each point."""
        nearest = self._nearest(*coordinate_arrays(lon, lat))
        return nearest.lon, nearest.lat

    def measure(self, lon: ArrayLike, lat: ArrayLike) -> Measurement:
        """Side, distances, nearest point of the line and bearing from it of each point,
        with one nearest-point search (cheaper than asking for each separately)."""
        lon_a, lat_a = coordinate_arrays(lon, lat)
        nearest = self._nearest(lon_a, lat_a)
        side = self.sides(lon_a, lat_a)
        return Measurement(
            side=side,
            distance_m=nearest.distance_m,
            signed_distance_m=np.where(side == 0, nearest.distance_m, -nearest.distance_m),
            line_lon=nearest.lon,
            line_lat=nearest.lat,
            bearing_from_line_deg=nearest.bearing_deg,
        )

    def zone_membership(self, lon: ArrayLike, lat: ArrayLike) -> ZoneMembership:
        """Which zones of the agreement each point lies in."""
        lon_a, lat_a = coordinate_arrays(lon, lat)
        cells = self._cells
        matrix = np.zeros((lon_a.size, len(self.zone_ids)), dtype=np.bool_)
        cell = cells.grid.cells_of(lon_a, lat_a)
        rows = np.flatnonzero(cell >= 0)
        state = cells.states[cell[rows]]
        matrix[rows] = state == IN
        undecided = state == UNDECIDED
        if self._band_columns.size:
            exact = rows[undecided[:, self._band_columns].any(axis=1)]
            if exact.size:
                side = self._areas.sides(lon_a[exact], lat_a[exact])
                distance = self._nearest(lon_a[exact], lat_a[exact]).distance_m
                bands = in_bands(self._bands, len(self.zone_ids), side, distance)
                columns = self._band_columns
                matrix[np.ix_(exact, columns)] = bands[:, columns]
        for column, area in self._areas.exclusions:
            exact = rows[undecided[:, column]]
            matrix[exact, column] = shapely.contains_xy(area, lon_a[exact], lat_a[exact])
        return ZoneMembership(self.zone_ids, matrix)

    def locate(self, lon: float, lat: float) -> Location:
        """Side, distances, zones and nearest point of the line of one point."""
        lon_a, lat_a = coordinate_arrays([lon], [lat])
        measured = self.measure(lon_a, lat_a)
        return Location(
            side=self.parties[int(measured.side[0])],
            distance_to_line_m=float(measured.distance_m[0]),
            signed_distance_m=float(measured.signed_distance_m[0]),
            zones=self.zone_membership(lon_a, lat_a).zones_of(0),
            line_lon=float(measured.line_lon[0]),
            line_lat=float(measured.line_lat[0]),
            bearing_from_line_deg=float(measured.bearing_from_line_deg[0]),
        )

    def _nearest(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> _Nearest:
        line, cells = self._line, self._cells
        x, y = line.projection.forward(lon, lat)
        cell = cells.grid.cells_of(lon, lat)
        row = np.where(cell >= 0, cells.list_row[np.maximum(cell, 0)], -1)
        listed = row >= 0
        segment = np.empty(lon.size, dtype=np.int64)
        segment[listed] = line.nearest_among(cells.lists, row[listed], x[listed], y[listed])
        rest = ~listed
        segment[rest] = line.nearest_by_tree(x[rest], y[rest])
        t, _ = line.foot(segment, x, y)
        foot_lon, foot_lat = line.lonlat_at(segment, t)
        distance, bearing = geodesic_inverse(foot_lon, foot_lat, lon, lat)
        return _Nearest(foot_lon, foot_lat, distance, bearing)


def _line(geometry: BaseGeometry, where: str) -> MultiLineString:
    if isinstance(geometry, LineString):
        geometry = MultiLineString([geometry])
    if not isinstance(geometry, MultiLineString):
        raise GeometryError(
            f"{where}: expected a LineString or MultiLineString, got a {geometry.geom_type}"
        )
    if geometry.is_empty or shapely.length(geometry) == 0:
        raise GeometryError(f"{where}: the line is empty; give at least one segment")
    _check_coordinates(geometry, where)
    return geometry


def _area(geometry: BaseGeometry, where: str) -> MultiPolygon:
    if isinstance(geometry, Polygon):
        geometry = MultiPolygon([geometry])
    if not isinstance(geometry, MultiPolygon):
        raise GeometryError(
            f"{where}: expected a Polygon or MultiPolygon, got a {geometry.geom_type}"
        )
    if geometry.is_empty:
        raise GeometryError(f"{where}: the area is empty; give at least one polygon")
    if not geometry.is_valid:
        raise GeometryError(
            f"{where}: invalid polygon ({shapely.is_valid_reason(geometry)}); repair it, "
            "e.g. with shapely.make_valid, before loading"
        )
    _check_coordinates(geometry, where)
    return geometry


def _check_coordinates(geometry: BaseGeometry, where: str) -> None:
    coords = shapely.get_coordinates(geometry)
    bad = ~np.isfinite(coords).all(axis=1) | (np.abs(coords[:, 0]) > 180)
    bad |= np.abs(coords[:, 1]) > 90
    if bad.any():
        lon, lat = coords[int(np.argmax(bad))]
        raise GeometryError(
            f"{where}: vertex ({lon}, {lat}) is not a WGS 84 longitude/latitude; "
            "expected longitude in [-180, 180] and latitude in [-90, 90]"
        )
