"""Builders and brute-force geodesic references for the geometry tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Geod
from shapely.geometry import MultiLineString, MultiPolygon, Polygon, shape

from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.model import Agreement

GEOD = Geod(ellps="WGS84")

MINSK_BANDS_KM = {"light_artillery": 15.0, "artillery": 25.0, "mlrs": 35.0, "heavy_mlrs": 70.0}
"""Withdrawal distances per side of the four Minsk II weapon classes."""

CITIES = {
    "Donetsk": (37.80, 48.00, "RU"),
    "Melitopol": (35.37, 46.85, "RU"),
    "Sevastopol": (33.52, 44.60, "RU"),
    "Kramatorsk": (37.56, 48.73, "UA"),
    "Zaporizhzhia": (35.14, 47.84, "UA"),
    "Kherson": (32.62, 46.64, "UA"),
}
"""Sanity-check places of the data README: (lon, lat, side on 2025-09-01)."""


def agreement(
    parties: tuple[str, ...] = ("UA", "RU"),
    held: tuple[str, ...] = ("RU",),
    rest: str = "UA",
    buffer_km: dict[str, float] | None = None,
    bands_km: dict[str, dict[str, float]] | None = None,
    exclusions: tuple[str, ...] = (),
) -> Agreement:
    """A minimal valid agreement with the given parties, bands and exclusion zones."""
    bands_km = bands_km or {}
    data: dict[str, Any] = {
        "id": "test-ceasefire",
        "version": 1,
        "title": "Test ceasefire",
        "effective_from": datetime(2026, 1, 6, tzinfo=UTC),
        "parties": [{"code": code, "name": f"Party {code}"} for code in parties],
        "line": {
            "file": "line.geojson",
            "held_areas": {code: f"{code}.geojson" for code in held},
            "rest_held_by": rest,
        },
        "weapon_classes": [{"code": code, "description": code} for code in bands_km],
        "zones": {
            "buffer": {"width_km": buffer_km} if buffer_km is not None else None,
            "withdrawal_bands": [
                {"weapon_class": code, "width_km": widths} for code, widths in bands_km.items()
            ],
            "exclusions": [
                {"id": z, "type": "no_fly", "name": z, "file": f"{z}.geojson"} for z in exclusions
            ],
        },
        "prohibited_acts": [
            {"code": "CV-FIRE", "title": "Fire", "description": "Fire", "kinds": ["explosion"]}
        ],
        "clear_breach": {"min_confidence": 0.6, "min_independent_sources": 2},
    }
    return Agreement.model_validate(data)


def read_geometry(path: Path) -> Any:
    """The union of the geometries of a GeoJSON FeatureCollection."""
    data = json.loads(path.read_text(encoding="utf-8"))
    features = data["features"] if data.get("type") == "FeatureCollection" else [data]
    parts = [shape(feature["geometry"]) for feature in features]
    return parts[0] if len(parts) == 1 else shapely.union_all(parts)


def real_loaded(shared_data: Path, *, buffer_km: float = 5.0) -> LoadedAgreement:
    """The 2025-09-01 line of contact and occupied area, with a buffer and Minsk II bands."""
    folder = shared_data / "contact_line"
    line = read_geometry(folder / "line_of_contact_20250901.geojson")
    occupied = read_geometry(folder / "deepstate_occupied_20250901.geojson")
    if isinstance(occupied, Polygon):
        occupied = MultiPolygon([occupied])
    assert isinstance(line, MultiLineString)
    widths = {code: {"UA": km, "RU": km} for code, km in MINSK_BANDS_KM.items()}
    return LoadedAgreement(
        agreement(buffer_km={"UA": buffer_km, "RU": buffer_km}, bands_km=widths),
        line=line,
        held_areas={"RU": occupied},
    )


def segments_of(line: MultiLineString) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Start and end points (lon, lat) of every segment of a line, shape (n, 2) each."""
    coords, part = shapely.get_coordinates(shapely.get_parts(line), return_index=True)
    same = part[1:] == part[:-1]
    return coords[:-1][same], coords[1:][same]


def _distance_at(
    lon: float, lat: float, a: NDArray[np.float64], b: NDArray[np.float64], t: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Geodesic distance from the point to the point at parameter t of each segment a-b."""
    q = a + t[:, None] * (b - a)
    n = len(q)
    _, _, d = GEOD.inv(np.full(n, lon), np.full(n, lat), q[:, 0], q[:, 1])
    return np.asarray(d, dtype=np.float64)


def reference_distance_m(line: MultiLineString, lon: float, lat: float) -> float:
    """Brute-force geodesic distance from a point to a line whose segments are straight in
    longitude/latitude: every segment that could hold the nearest point (by a triangle
    inequality bound) is sampled, then the best sample is refined by golden-section search.
    """
    a, b = segments_of(line)
    n = len(a)
    _, _, da = GEOD.inv(np.full(n, lon), np.full(n, lat), a[:, 0], a[:, 1])
    _, _, db = GEOD.inv(np.full(n, lon), np.full(n, lat), b[:, 0], b[:, 1])
    steps = np.linspace(0.0, 1.0, 33)
    pieces = a[:, None, :] + steps[None, :, None] * (b - a)[:, None, :]
    _, _, chords = GEOD.inv(
        pieces[:, :-1, 0].ravel(),
        pieces[:, :-1, 1].ravel(),
        pieces[:, 1:, 0].ravel(),
        pieces[:, 1:, 1].ravel(),
    )
    length = np.asarray(chords).reshape(n, 32).sum(axis=1) * 1.001 + 1.0
    best = float(min(np.min(da), np.min(db)))
    # Any point of a segment is at least (da + db - length) / 2 from the point.
    keep = np.flatnonzero((np.asarray(da) + np.asarray(db) - length) / 2 <= best)
    a, b = a[keep], b[keep]
    samples = np.linspace(0.0, 1.0, 17)
    sampled = np.stack([_distance_at(lon, lat, a, b, np.full(len(a), t)) for t in samples], 1)
    start = samples[np.argmin(sampled, axis=1)]
    lo, hi = np.maximum(start - 1 / 16, 0.0), np.minimum(start + 1 / 16, 1.0)
    ratio = (np.sqrt(5.0) - 1) / 2
    for _ in range(60):
        c, e = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        left = _distance_at(lon, lat, a, b, c) < _distance_at(lon, lat, a, b, e)
        hi = np.where(left, e, hi)
        lo = np.where(left, lo, c)
    refined = _distance_at(lon, lat, a, b, (lo + hi) / 2)
    return min(best, float(sampled.min()), float(refined.min()))


def vertex_distance_m(line: MultiLineString, lon: float, lat: float, step_deg: float) -> float:
    """Minimum geodesic distance from a point to the vertices of the line densified to
    `step_deg` degrees: an independent check, within half a step of the true distance."""
    coords = shapely.get_coordinates(shapely.segmentize(line, step_deg))
    n = len(coords)
    _, _, d = GEOD.inv(np.full(n, lon), np.full(n, lat), coords[:, 0], coords[:, 1])
    return float(np.min(d))


def zigzag_loaded(
    *,
    buffer_km: dict[str, float] | None = None,
    bands_km: dict[str, dict[str, float]] | None = None,
    exclusion: Polygon | None = None,
) -> LoadedAgreement:
    """A made-up theatre: a zig-zag line near 48 N, north of it held by party B, the rest by
    party A; an optional no-fly zone 'nofly'."""
    line = MultiLineString(
        [[(30.0, 48.0), (30.4, 48.3), (30.9, 47.9), (31.3, 48.2), (31.8, 48.05), (32.0, 48.1)]]
    )
    north = Polygon([*line.geoms[0].coords, (32.0, 49.5), (30.0, 49.5)])
    exclusions = {"nofly": MultiPolygon([exclusion])} if exclusion is not None else {}
    return LoadedAgreement(
        agreement(
            parties=("A", "B"),
            held=("B",),
            rest="A",
            buffer_km=buffer_km,
            bands_km=bands_km,
            exclusions=("nofly",) if exclusion is not None else (),
        ),
        line=line,
        held_areas={"B": MultiPolygon([north])},
        exclusions=exclusions,
    )
