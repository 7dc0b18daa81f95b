"""Bad input is refused with a GeometryError or AgreementError that says what to fix."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from geometry_support import agreement, zigzag_loaded
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, Polygon

from truceline.agreement.loaded import LoadedAgreement
from truceline.errors import AgreementError, GeometryError
from truceline.geometry import Theatre, compass_direction


@pytest.mark.parametrize(
    ("lon", "lat", "message"),
    [
        ([31.0, math.nan], [48.0, 48.0], "point 1"),
        ([31.0, 31.0], [48.0, math.inf], "not a finite number"),
        ([31.0], [48.0, 48.0], "1 longitudes but 2 latitudes"),
        ([[31.0]], [[48.0]], "1-D"),
        ([48.0, 200.0], [31.0, 31.0], "out of range"),
        ([31.0], [95.0], "are the columns swapped"),
        (["east"], ["north"], "must be numbers"),
    ],
)
def test_bad_coordinates_are_refused(
    zigzag_theatre: Theatre, lon: Any, lat: Any, message: str
) -> None:
    for query in (
        zigzag_theatre.sides,
        zigzag_theatre.distance_to_line_m,
        zigzag_theatre.signed_distance_m,
        zigzag_theatre.zone_membership,
        zigzag_theatre.nearest_on_line,
    ):
        with pytest.raises(GeometryError, match=message):
            query(lon, lat)


def test_locate_refuses_nan(zigzag_theatre: Theatre) -> None:
    with pytest.raises(GeometryError, match="not a finite number"):
        zigzag_theatre.locate(math.nan, 48.0)


def test_held_area_of_an_unknown_party_is_refused() -> None:
    loaded = zigzag_loaded()
    bad = LoadedAgreement(loaded.agreement, loaded.line, held_areas={"ZZ": loaded.held_areas["B"]})
    with pytest.raises(AgreementError, match="unknown party 'ZZ'"):
        Theatre(bad)


def test_missing_exclusion_area_is_refused() -> None:
    box = Polygon([(30.5, 47.6), (31.2, 47.6), (31.2, 48.6), (30.5, 48.6)])
    loaded = zigzag_loaded(exclusion=box)
    bad = LoadedAgreement(loaded.agreement, loaded.line, loaded.held_areas, exclusions={})
    with pytest.raises(AgreementError, match=r"without an area: \['nofly'\]"):
        Theatre(bad)
    extra = LoadedAgreement(
        zigzag_loaded().agreement,
        loaded.line,
        loaded.held_areas,
        exclusions={"nofly": MultiPolygon([box])},
    )
    with pytest.raises(AgreementError, match=r"not in the agreement: \['nofly'\]"):
        Theatre(extra)


def test_invalid_held_area_is_refused() -> None:
    loaded = zigzag_loaded()
    bowtie = Polygon([(30, 48), (31, 49), (31, 48), (30, 49)])
    bad = LoadedAgreement(loaded.agreement, loaded.line, held_areas={"B": bowtie})
    with pytest.raises(GeometryError, match="held area of B: invalid polygon"):
        Theatre(bad)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (MultiLineString(), "empty"),
        (Point(31, 48), "expected a LineString or MultiLineString, got a Point"),
        (Polygon([(30, 48), (31, 49), (31, 48)]), "got a Polygon"),
        (LineString([(31, 48), (31, 48)]), "empty"),
        (LineString([(31, 48), (31, 95)]), "not a WGS 84 longitude/latitude"),
    ],
)
def test_bad_line_is_refused(line: object, message: str) -> None:
    loaded = LoadedAgreement(agreement(), line, held_areas={})
    with pytest.raises(GeometryError, match=message):
        Theatre(loaded)


def test_single_linestring_and_polygon_are_accepted() -> None:
    line = LineString([(30.0, 48.0), (32.0, 48.0)])
    north = Polygon([(30.0, 48.0), (32.0, 48.0), (32.0, 49.0), (30.0, 49.0)])
    theatre = Theatre(LoadedAgreement(agreement(), line, held_areas={"RU": north}))
    assert theatre.locate(31.0, 48.5).side == "RU"
    assert theatre.locate(31.0, 47.5).side == "UA"
    assert theatre.locate(31.0, 47.5).distance_to_line_m == pytest.approx(55_597, rel=1e-3)


def test_compass_direction_refuses_nan() -> None:
    with pytest.raises(GeometryError, match="bearing"):
        compass_direction(math.nan)


def test_arrays_of_integers_are_accepted(zigzag_theatre: Theatre) -> None:
    sides = zigzag_theatre.sides(np.array([31, 31]), np.array([47, 49]))
    assert sides.tolist() == [0, 1]
