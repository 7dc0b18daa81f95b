"""Derive the line of contact from the area one party holds.

The front is where the occupied area meets land held by the other party; coasts and
international borders are not front. Distances are worked out in metres, in a Lambert
conformal conic projection fitted to the data.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Geod, Transformer
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from truceline.errors import GeometryError

DEFAULT_TOLERANCE_M = 5_000.0
"""How far apart two data sets may draw the same border or coast."""

DEFAULT_OFFSHORE_MARGIN_M = 40_000.0
"""How far a land outline may run out to sea (12 nautical miles of territorial sea are
22 km; outlines drawn from them are coarse)."""

DEFAULT_MIN_LENGTH_M = 2_000.0
"""Pieces of front shorter than this are dropped."""

_WGS84 = Geod(ellps="WGS84")
_MAX_SEGMENT_DEG = 0.05

Coords = NDArray[np.float64]


def fitted_crs(bounds: tuple[float, float, float, float]) -> CRS:
    """A Lambert conformal conic CRS in metres with little distortion over `bounds`."""
    west, south, east, north = bounds
    mid_lat = (south + north) / 2
    half = max(north - south, 1.0) / 3
    lat_1 = max(min(mid_lat - half, 89.0), -89.0)
    lat_2 = max(min(mid_lat + half, 89.0), -89.0)
    return CRS.from_proj4(
        f"+proj=lcc +lat_0={mid_lat:.6f} +lon_0={(west + east) / 2:.6f} "
        f"+lat_1={lat_1:.6f} +lat_2={lat_2:.6f} +datum=WGS84 +units=m +no_defs"
    )


def geodesic_length_m(geometry: BaseGeometry) -> float:
    """Length of a lon/lat line on the WGS 84 ellipsoid, in metres."""
    return float(_WGS84.geometry_length(geometry))


def _coordinate_function(transformer: Transformer) -> Callable[[Coords], Coords]:
    def apply(coords: Coords) -> Coords:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return apply


def _area(geometry: BaseGeometry, name: str) -> BaseGeometry:
    if not isinstance(geometry, Polygon | MultiPolygon):
        raise GeometryError(
            f"{name}: expected a Polygon or MultiPolygon, got a {geometry.geom_type}"
        )
    if geometry.is_empty:
        raise GeometryError(f"{name}: the geometry is empty; expected an area")
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
    return shapely.union_all(
        [p for p in shapely.get_parts(geometry) if isinstance(p, Polygon | MultiPolygon)]
    )


def _check_distance(name: str, value: float) -> None:
    if not np.isfinite(value) or value < 0:
        raise GeometryError(f"{name}: expected a distance of 0 m or more, got {value}")


def _deep_held(land: BaseGeometry, occupied: BaseGeometry, margin_m: float) -> BaseGeometry:
    """Held land deeper than `margin_m` inside the outline, in pieces big enough to count.

    A piece smaller than a disc of radius `margin_m` is a bay or strait closed in by
    occupied coasts, not held land.
    """
    deep = shapely.difference(shapely.buffer(land, -margin_m), occupied)
    parts = shapely.get_parts(deep)
    return shapely.union_all(parts[shapely.area(parts) >= np.pi * margin_m**2])


def derive_line(
    occupied: Polygon | MultiPolygon,
    land: Polygon | MultiPolygon,
    *,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
    offshore_margin_m: float = DEFAULT_OFFSHORE_MARGIN_M,
    min_length_m: float = DEFAULT_MIN_LENGTH_M,
) -> MultiLineString:
    """The line of contact: where the occupied area meets land held by the other party.

    A piece of the occupied area's boundary is front when it lies inside `land`, farther
    than `tolerance_m` from the outline's own boundary (its coasts and borders), and within
    `offshore_margin_m + tolerance_m` of held land that lies deeper than
    `offshore_margin_m` inside the outline. The margin keeps the sea that a land outline
    often includes (territorial waters) from being taken for held land; set it to 0 for an
    outline that follows the coast exactly. Pieces shorter than `min_length_m` are
    dropped. All coordinates are WGS 84 longitude/latitude; the result's parts are in a
    stable order. Raises GeometryError when no front is left.
    """
    _check_distance("tolerance_m", tolerance_m)
    _check_distance("offshore_margin_m", offshore_margin_m)
    _check_distance("min_length_m", min_length_m)
    occupied_ll = _area(occupied, "occupied area")
    land_ll = _area(land, "land")
    crs = fitted_crs(shapely.union(occupied_ll, land_ll).bounds)
    forward = _coordinate_function(Transformer.from_crs("EPSG:4326", crs, always_xy=True))
    back = _coordinate_function(Transformer.from_crs(crs, "EPSG:4326", always_xy=True))
    # Short segments stay straight enough in either coordinate system (error under 1 m).
    occ = shapely.transform(shapely.segmentize(occupied_ll, _MAX_SEGMENT_DEG), forward)
    lnd = shapely.transform(shapely.segmentize(land_ll, _MAX_SEGMENT_DEG), forward)

    front = shapely.intersection(occ.boundary, shapely.buffer(lnd, -tolerance_m))
    if offshore_margin_m > 0:
        reach = shapely.buffer(
            _deep_held(lnd, occ, offshore_margin_m), offshore_margin_m + tolerance_m
        )
        front = shapely.intersection(front, reach)
    lines = [p for p in shapely.get_parts(front) if isinstance(p, LineString) and not p.is_empty]
    merged = shapely.get_parts(shapely.line_merge(MultiLineString(lines)))
    kept = [shapely.transform(p, back) for p in merged if p.length > 0 and p.length >= min_length_m]
    if not kept:
        raise GeometryError(
            "no front found: no piece of the occupied area's boundary meets held land "
            f"(tolerance {tolerance_m / 1000:g} km, offshore margin {offshore_margin_m / 1000:g} "
            f"km, minimum length {min_length_m / 1000:g} km); check that the occupied area "
            "and the land outline overlap, or lower --tolerance-km, --offshore-margin-km or "
            "--min-length-km"
        )
    kept.sort(key=lambda g: (round(g.bounds[0], 9), round(g.bounds[1], 9), g.wkb))
    return MultiLineString(kept)
