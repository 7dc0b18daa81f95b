"""Regions from the real grid of Ukraine's oblasts, and sectors along a line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import LineString, MultiLineString

from truceline.errors import InputError
from truceline.reports.sectors import OUTSIDE, LineSectors, RegionGrid

REGIONS = Path("regions") / "ukr_oblasts_grid_0.1deg.csv"
NAMES = Path("regions") / "ukr_oblasts_ids.csv"


def test_places_fall_in_their_oblasts(shared_data: Path) -> None:
    grid = RegionGrid.from_csv(shared_data / REGIONS, shared_data / NAMES)
    places = {
        "Donetsk": (37.80, 48.00),
        "Kramatorsk": (37.56, 48.73),
        "Zaporizhzhia": (35.14, 47.84),
        "Kherson": (32.62, 46.64),
        "Kharkiv": (36.23, 49.99),
        "open sea": (33.0, 43.5),
        "Moscow": (37.6, 55.75),
    }
    lon = np.array([p[0] for p in places.values()])
    lat = np.array([p[1] for p in places.values()])
    assert grid.assign(lon, lat) == [
        "Donetsk",
        "Donetsk",
        "Zaporizhzhia",
        "Kherson",
        "Kharkiv",
        OUTSIDE,
        OUTSIDE,
    ]
    assert grid.kind == "region"


def test_without_names_the_grid_gives_region_ids(shared_data: Path) -> None:
    grid = RegionGrid.from_csv(shared_data / REGIONS)
    assert grid.area_of(37.80, 48.00) == "UA14"


def test_a_bad_regions_file_is_refused_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "regions.csv"
    bad.write_text("LATITUDE,LONGITUDE,ID\n48.0,37.8,A\n48.1,east,B\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        RegionGrid.from_csv(bad)
    assert "line 3, column LONGITUDE" in str(caught.value)
    assert caught.value.field == "regions"
    with pytest.raises(InputError, match="no such regions file"):
        RegionGrid.from_csv(tmp_path / "missing.csv")
    (tmp_path / "two.csv").write_text("LAT,LON\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="LATITUDE, LONGITUDE and a region id column"):
        RegionGrid.from_csv(tmp_path / "two.csv")


def test_sectors_are_50_km_stretches_from_the_southern_end() -> None:
    # a line running north from 47°N along 35°E: 1° of latitude is about 111 km
    line = MultiLineString([LineString([(35.0, 48.0), (35.0, 47.0)])])
    sectors = LineSectors(line)
    labels = sectors.assign(np.array([35.1, 35.0, 34.9, 35.0]), np.array([47.1, 47.5, 47.99, 46.5]))
    assert labels == ["km 0-50", "km 50-100", "km 100-150", "km 0-50"]
    marks = sectors.marks()
    assert [m[2] for m in marks] == ["0", "50", "100"]
    assert marks[0][1] == pytest.approx(47.0)
    assert sorted(labels, key=sectors.order) == ["km 0-50", "km 0-50", "km 50-100", "km 100-150"]


def test_a_line_in_parts_numbers_the_parts_longest_first(shared_data: Path) -> None:
    from truceline.agreement.geometry_files import lines_from_geojson, read_geojson

    path = shared_data / "contact_line" / "line_of_contact_20250901.geojson"
    line = lines_from_geojson(read_geojson(path))
    sectors = LineSectors(line)
    donetsk = sectors.area_of(37.80, 48.00)
    assert donetsk.startswith("part 1, km ")
    assert sectors.order("part 2, km 0-50") > sectors.order("part 1, km 1500-1550")
