"""The zones of the real 2025-09-01 line of contact (DeepStateMap): valid polygons, each
band on its party's side, written by the rules of RFC 7946."""

from __future__ import annotations

import io
import json
from pathlib import Path

import shapely
from tests.geometry.geometry_support import real_loaded
from tests.opendata.opendata_support import check_rfc7946

from truceline.opendata import Layer
from truceline.opendata.writers import write_geojson
from truceline.opendata.zones import zone_features


def test_real_zones_lie_on_their_side(shared_data: Path) -> None:
    loaded = real_loaded(shared_data, buffer_km=5.0)
    zones = zone_features(loaded)
    occupied = loaded.held_areas["RU"]
    by_id = {z.id: z for z in zones}
    assert set(by_id) == {
        f"{zone}:{party}" for zone in loaded.agreement.zone_ids for party in ("UA", "RU")
    }
    for zone in zones:
        area = zone.geometry
        assert area.is_valid
        assert area.area > 0
        inside = shapely.area(shapely.intersection(area, occupied)) / area.area
        if zone.properties["party"] == "RU":
            assert inside > 0.999, zone.id
        else:
            assert inside < 0.001, zone.id
    # A wider band holds the narrower one of the same side.
    buffer_ua = by_id["buffer:UA"].geometry
    widest_ua = max(
        (z for z in zones if z.properties["party"] == "UA"),
        key=lambda z: float(z.properties["width_km"] or 0),
    ).geometry
    assert shapely.area(shapely.difference(buffer_ua, widest_ua)) < 1e-6 * buffer_ua.area
    out = io.BytesIO()
    write_geojson(Layer.ZONES, [list(zones)], out)
    check_rfc7946(json.loads(out.getvalue()), Layer.ZONES)
