"""The zones of an agreement as polygons, for maps.

Adjudication never uses these polygons: it measures each point's geodesic distance to the
line and finds its side from the held areas (`truceline.geometry.theatre`). A band here is
drawn the same way, as a picture of that rule: the line buffered by the band's width in a
local azimuthal equidistant projection centred on the line (distances from the centre
exact, across them within 0.1 % inside 500 km), cut to the party's side — its held area,
or, for the party holding the rest, everything outside the other parties' held areas.
Buffers are drawn with 16 segments per quarter circle, so a drawn edge lies within about
0.5 % of the width inside the true one.

Exclusion zones are their areas as the agreement gives them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Final

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from truceline.adjudication.naming import zone_name
from truceline.agreement.documents import agreement_digest
from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.model import BUFFER, Agreement, withdrawal_zone_id
from truceline.opendata.layers import Feature, Value

QUAD_SEGMENTS: Final = 16

_KEPT = 4
_CACHE: OrderedDict[str, tuple[Feature, ...]] = OrderedDict()
_LOCK = threading.Lock()


class _Projection:
    """Forward and back between WGS 84 lon/lat and a local azimuthal equidistant plane."""

    def __init__(self, lon0: float, lat0: float) -> None:
        local = CRS.from_dict(
            {"proj": "aeqd", "lat_0": lat0, "lon_0": lon0, "datum": "WGS84", "units": "m"}
        )
        wgs84 = CRS.from_epsg(4326)
        self._forward = Transformer.from_crs(wgs84, local, always_xy=True)
        self._back = Transformer.from_crs(local, wgs84, always_xy=True)

    @staticmethod
    def _apply(transformer: Transformer, geometry: BaseGeometry) -> BaseGeometry:
        def move(xy: NDArray[np.float64]) -> NDArray[np.float64]:
            x, y = transformer.transform(xy[:, 0], xy[:, 1])
            return np.column_stack([x, y])

        return shapely.transform(geometry, move)

    def forward(self, geometry: BaseGeometry) -> BaseGeometry:
        return self._apply(self._forward, geometry)

    def back(self, geometry: BaseGeometry) -> BaseGeometry:
        return self._apply(self._back, geometry)


def _polygonal(geometry: BaseGeometry) -> MultiPolygon | Polygon | None:
    """The polygons of a geometry (an intersection may leave lines or points at edges);
    None when nothing of area is left."""
    parts = [g for g in shapely.get_parts(geometry) if isinstance(g, Polygon) and not g.is_empty]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return MultiPolygon(parts)


def _side_of(loaded: LoadedAgreement, party: str, area: BaseGeometry) -> BaseGeometry:
    """The part of `area` on `party`'s side of the line."""
    held = loaded.held_areas
    own: BaseGeometry = shapely.intersection(area, held[party]) if party in held else Polygon()
    if party == loaded.agreement.line.rest_held_by:
        others = [held[code] for code in sorted(held) if code != party]
        rest = shapely.difference(area, shapely.union_all(others)) if others else area
        own = shapely.union(own, rest)
    return own


def _bands(agreement: Agreement) -> list[tuple[str, str, float, str | None]]:
    """(zone id, party, width km, weapon class) of every band, in the agreement's order."""
    bands: list[tuple[str, str, float, str | None]] = []
    if agreement.zones.buffer is not None:
        for code, km in sorted(agreement.zones.buffer.width_km.items()):
            if km > 0:
                bands.append((BUFFER, code, km, None))
    for band in agreement.zones.withdrawal_bands:
        for code, km in sorted(band.width_km.items()):
            bands.append((withdrawal_zone_id(band.weapon_class), code, km, band.weapon_class))
    return bands


def _name(agreement: Agreement, zone: str, party: str | None) -> str:
    words = zone_name(agreement, zone, party or "")
    words = words.removeprefix("the ")
    named = words[:1].upper() + words[1:]
    return f"{named}, {party} side" if party is not None else named


def _make(loaded: LoadedAgreement) -> tuple[Feature, ...]:
    agreement = loaded.agreement
    common: dict[str, Value] = {
        "agreement_id": agreement.id,
        "agreement_version": agreement.version,
    }
    features: list[Feature] = []
    bands = _bands(agreement)
    if bands:
        min_lon, min_lat, max_lon, max_lat = loaded.line.bounds
        projection = _Projection((min_lon + max_lon) / 2, (min_lat + max_lat) / 2)
        line = projection.forward(loaded.line)
        for zone, party, km, weapon_class in bands:
            drawn = projection.back(shapely.buffer(line, km * 1000.0, quad_segs=QUAD_SEGMENTS))
            area = _polygonal(_side_of(loaded, party, shapely.make_valid(drawn)))
            if area is None:
                continue
            features.append(
                Feature(
                    id=f"{zone}:{party}",
                    geometry=area,
                    properties={
                        "id": f"{zone}:{party}",
                        "zone": zone,
                        "zone_type": "buffer" if zone == BUFFER else "withdrawal",
                        "name": _name(agreement, zone, party),
                        "party": party,
                        "width_km": km,
                        "weapon_class": weapon_class,
                        "applies_to": (party,),
                        **common,
                    },
                )
            )
    parties = tuple(p.code for p in agreement.parties)
    for exclusion in agreement.zones.exclusions:
        area = _polygonal(loaded.exclusions[exclusion.id])
        if area is None:
            continue
        features.append(
            Feature(
                id=exclusion.id,
                geometry=area,
                properties={
                    "id": exclusion.id,
                    "zone": exclusion.id,
                    "zone_type": exclusion.type,
                    "name": _name(agreement, exclusion.id, None),
                    "party": None,
                    "width_km": None,
                    "weapon_class": None,
                    "applies_to": tuple(exclusion.applies_to or parties),
                    **common,
                },
            )
        )
    return tuple(features)


def zone_features(loaded: LoadedAgreement) -> tuple[Feature, ...]:
    """The zones of an agreement version as features, in the agreement's order: a band per
    party side (`buffer:UA`, `withdrawal:mlrs:RU`), then the exclusion areas.

    Drawing the bands of a long line takes a moment, so the last few versions' zones are
    kept, by the digest of the version's content."""
    digest = agreement_digest(loaded)
    with _LOCK:
        found = _CACHE.get(digest)
        if found is not None:
            _CACHE.move_to_end(digest)
            return found
    made = _make(loaded)
    with _LOCK:
        _CACHE[digest] = made
        while len(_CACHE) > _KEPT:
            _CACHE.popitem(last=False)
    return made
