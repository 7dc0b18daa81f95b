"""Geodesic helpers and compass words."""

from __future__ import annotations

import numpy as np
import pytest
from geometry_support import GEOD
from hypothesis import given, settings
from hypothesis import strategies as st

from truceline.geometry import (
    bearing_deg,
    compass_direction,
    destination,
    geodesic_distance_m,
    geodesic_inverse,
)
from truceline.geometry.geodesic import COMPASS_POINTS


@pytest.mark.parametrize(
    ("bearing", "word"),
    [
        (0.0, "north"),
        (22.4, "north"),
        (22.5, "north-east"),
        (45.0, "north-east"),
        (90.0, "east"),
        (135.0, "south-east"),
        (180.0, "south"),
        (225.0, "south-west"),
        (270.0, "west"),
        (315.0, "north-west"),
        (337.4, "north-west"),
        (337.5, "north"),
        (359.9, "north"),
        (360.0, "north"),
        (-90.0, "west"),
        (720.0 + 90.0, "east"),
    ],
)
def test_compass_direction(bearing: float, word: str) -> None:
    assert compass_direction(bearing) == word


@given(st.floats(-1e4, 1e4))
def test_compass_direction_is_the_nearest_point(bearing: float) -> None:
    word = compass_direction(bearing)
    centre = COMPASS_POINTS.index(word) * 45.0
    gap = abs((bearing - centre + 180.0) % 360.0 - 180.0)
    assert gap <= 22.5 + 1e-9


def test_distance_and_bearing_match_pyproj() -> None:
    lon1, lat1 = np.array([30.0, 37.8]), np.array([50.0, 48.0])
    lon2, lat2 = np.array([30.0, 33.5]), np.array([51.0, 44.6])
    azimuth, _, expected = GEOD.inv(lon1, lat1, lon2, lat2)
    distance, bearing = geodesic_inverse(lon1, lat1, lon2, lat2)
    assert np.array_equal(distance, expected)
    assert np.allclose(bearing, np.mod(azimuth, 360.0))
    assert distance[0] == pytest.approx(111_238, abs=5)
    assert np.array_equal(geodesic_distance_m(lon1, lat1, lon2, lat2), distance)
    assert np.array_equal(bearing_deg(lon1, lat1, lon2, lat2), bearing)


def test_scalars_broadcast_and_empty_arrays_work() -> None:
    distance = geodesic_distance_m(30.0, 50.0, [30.0, 31.0], [51.0, 50.0])
    assert distance.shape == (2,)
    assert geodesic_distance_m([], [], [], []).shape == (0,)
    lon, lat = destination([], [], [], [])
    assert lon.shape == lat.shape == (0,)


@settings(max_examples=50)
@given(
    lon=st.floats(20.0, 45.0),
    lat=st.floats(40.0, 55.0),
    bearing=st.floats(0.0, 360.0),
    distance=st.floats(0.0, 500_000.0),
)
def test_destination_goes_the_distance(
    lon: float, lat: float, bearing: float, distance: float
) -> None:
    to_lon, to_lat = destination(lon, lat, bearing, distance)
    assert geodesic_distance_m(lon, lat, to_lon, to_lat)[0] == pytest.approx(distance, abs=1e-6)
