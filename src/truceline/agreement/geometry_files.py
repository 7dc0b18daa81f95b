"""Reading and writing the GeoJSON of an agreement: the line, held areas, exclusion zones.

Input may be a bare geometry, a Feature or a FeatureCollection; the parts are combined into
one MultiLineString (lines) or one MultiPolygon (areas). Coordinates must be WGS 84
longitude/latitude, as RFC 7946 requires.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.errors import GEOSException
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

from truceline.errors import GeometryError

MAX_GEOJSON_BYTES = 200 * 1024 * 1024
"""Largest GeoJSON file read."""

COORDINATE_DECIMALS = 7
"""Decimals kept in written coordinates: about 1 cm."""

AREA_CHANGE_NOTICE = 0.01
"""Repairing an invalid polygon is mentioned when it changes the area by more than this."""

_GEOMETRY_TYPES = {
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
}
_LINE_TYPES = ("LineString", "MultiLineString")
_AREA_TYPES = ("Polygon", "MultiPolygon")


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number GeoJSON allows")


def read_geojson(path: Path) -> Any:
    """Parse a GeoJSON file; GeometryError when it is missing, too big or not JSON."""
    if not path.is_file():
        raise GeometryError(f"{path}: no such file")
    size = path.stat().st_size
    if size > MAX_GEOJSON_BYTES:
        raise GeometryError(
            f"{path}: {size} bytes is more than the {MAX_GEOJSON_BYTES} bytes allowed; "
            "simplify the geometry"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise GeometryError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise GeometryError(f"{path}: cannot read the file ({exc.strerror})") from None
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise GeometryError(
            f"{path}, line {exc.lineno}, column {exc.colno}: not valid JSON: {exc.msg}"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise GeometryError(f"{path}: not valid GeoJSON: {exc}") from None


def _geometry_objects(obj: Any, label: str) -> list[tuple[str, dict[str, Any]]]:
    """Every geometry object in a GeoJSON object, each with where it was found."""
    if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
        raise GeometryError(f"{label or 'top level'}: expected a GeoJSON object with a 'type'")
    kind = obj["type"]
    prefix = f"{label}." if label else ""
    if kind == "FeatureCollection":
        features = obj.get("features")
        if not isinstance(features, list):
            raise GeometryError(f"{prefix}features: expected a list of features")
        found: list[tuple[str, dict[str, Any]]] = []
        for i, feature in enumerate(features):
            found += _geometry_objects(feature, f"{prefix}features[{i}]")
        return found
    if kind == "Feature":
        if obj.get("geometry") is None:
            raise GeometryError(f"{label or 'feature'}: the feature has no geometry")
        return _geometry_objects(obj["geometry"], f"{prefix}geometry")
    if kind == "GeometryCollection":
        members = obj.get("geometries")
        if not isinstance(members, list):
            raise GeometryError(f"{prefix}geometries: expected a list of geometries")
        found = []
        for i, member in enumerate(members):
            found += _geometry_objects(member, f"{prefix}geometries[{i}]")
        return found
    if kind in _GEOMETRY_TYPES:
        return [(label or "geometry", obj)]
    raise GeometryError(f"{label or 'top level'}: unknown GeoJSON type {kind!r}")


def _check_coordinates(geometry: BaseGeometry, label: str) -> None:
    coords = shapely.get_coordinates(geometry)
    if coords.size == 0:
        return
    bad = ~np.isfinite(coords).all(axis=1)
    bad |= (np.abs(coords[:, 0]) > 180.0) | (np.abs(coords[:, 1]) > 90.0)
    if bad.any():
        first = coords[np.argmax(bad)]
        raise GeometryError(
            f"{label}: {int(bad.sum())} coordinates are not longitude/latitude, the first is "
            f"({first[0]:g}, {first[1]:g}); expected WGS 84 longitude in [-180, 180] and "
            "latitude in [-90, 90] (GeoJSON, RFC 7946): reproject the file to EPSG:4326"
        )


def _shapes(obj: Any, allowed: tuple[str, ...]) -> list[tuple[str, BaseGeometry]]:
    shapes: list[tuple[str, BaseGeometry]] = []
    for label, geometry in _geometry_objects(obj, ""):
        kind = geometry["type"]
        if kind not in allowed:
            raise GeometryError(f"{label}: found a {kind}; expected {' or '.join(allowed)}")
        try:
            parsed = shapely.force_2d(shape(geometry))
        except (ValueError, TypeError, IndexError, KeyError, AttributeError, GEOSException) as exc:
            raise GeometryError(f"{label}: malformed {kind} coordinates ({exc})") from None
        _check_coordinates(parsed, label)
        shapes.append((label, parsed))
    if not shapes:
        raise GeometryError(f"no geometry found; expected {' or '.join(allowed)}")
    return shapes


def lines_from_geojson(obj: Any) -> MultiLineString:
    """All LineStrings of a GeoJSON object as one MultiLineString; GeometryError otherwise."""
    parts: list[LineString] = []
    for _, geometry in _shapes(obj, _LINE_TYPES):
        parts += [p for p in shapely.get_parts(geometry) if not p.is_empty]
    if not parts:
        raise GeometryError("the line is empty; expected at least one LineString with points")
    return MultiLineString(parts)


def areas_from_geojson(
    obj: Any, *, dissolve: bool = True, notices: list[str] | None = None
) -> MultiPolygon:
    """All Polygons of a GeoJSON object as one MultiPolygon, repaired when invalid.

    With `dissolve` the parts are merged (overlaps removed); without it they are kept as
    written. A repair that changes the area by more than 1 % is added to `notices`.
    """
    polygons: list[Polygon] = []
    for label, geometry in _shapes(obj, _AREA_TYPES):
        for part in shapely.get_parts(geometry):
            if part.is_empty:
                continue
            if not part.is_valid:
                reason = shapely.is_valid_reason(part)
                fixed = shapely.make_valid(part)
                kept = [p for p in shapely.get_parts(fixed) if isinstance(p, Polygon)]
                kept += [
                    q
                    for p in shapely.get_parts(fixed)
                    if isinstance(p, MultiPolygon)
                    for q in p.geoms
                ]
                before, after = part.area, sum(p.area for p in kept)
                if notices is not None and (
                    before == 0 or abs(after - before) > AREA_CHANGE_NOTICE * before
                ):
                    change = "" if before == 0 else f" by {100 * (after - before) / before:+.1f} %"
                    notices.append(
                        f"{label}: invalid polygon ({reason}); repairing it changed its "
                        f"area{change}: check the file"
                    )
                polygons += kept
            else:
                polygons.append(part)
    polygons = [p for p in polygons if p.area > 0]
    if not polygons:
        raise GeometryError("the area is empty; expected at least one Polygon with an area")
    if not dissolve:
        return MultiPolygon(polygons)
    merged = shapely.union_all(polygons)
    return MultiPolygon([p for p in shapely.get_parts(merged) if isinstance(p, Polygon)])


def _lists(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _lists(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [_lists(v) for v in value]
    if isinstance(value, float):
        return round(value, COORDINATE_DECIMALS) + 0.0
    return value


def _on_grid(area: BaseGeometry) -> BaseGeometry:
    """An area with coordinates rounded to the grid, still valid.

    Rounding can make a sliver collapse onto itself, so the rounded area is repaired when
    needed and then snapped to the grid, which keeps it valid.
    """
    rounded = shapely.transform(area, lambda c: np.round(c, COORDINATE_DECIMALS))
    if not rounded.is_valid:
        rounded = shapely.make_valid(rounded)
    snapped = shapely.set_precision(rounded, 10.0**-COORDINATE_DECIMALS)
    parts = [p for p in shapely.get_parts(snapped) if isinstance(p, Polygon)]
    if isinstance(area, Polygon) and len(parts) == 1:
        return parts[0]
    return MultiPolygon(parts)


def geometry_to_geojson(geometry: BaseGeometry) -> dict[str, Any]:
    """A geometry as a canonical GeoJSON object: normalised, rounded, counter-clockwise."""
    if isinstance(geometry, Polygon | MultiPolygon):
        canonical = shapely.orient_polygons(shapely.normalize(_on_grid(geometry)))
    else:
        rounded = shapely.transform(geometry, lambda c: np.round(c, COORDINATE_DECIMALS))
        canonical = shapely.normalize(rounded)
    result: dict[str, Any] = _lists(mapping(canonical))
    return result


def feature_collection(geometry: BaseGeometry, properties: dict[str, Any]) -> dict[str, Any]:
    """One geometry as a GeoJSON FeatureCollection of one Feature."""
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": properties, "geometry": geometry_to_geojson(geometry)}
        ],
    }
