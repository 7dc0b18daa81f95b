"""Distances, nearest points and signs on made-up lines, against brute force."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from geometry_support import GEOD, agreement, reference_distance_m, segments_of
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiLineString

from truceline.agreement.loaded import LoadedAgreement
from truceline.geometry import Theatre, destination

vertex = st.tuples(st.floats(33.0, 37.0), st.floats(46.5, 49.5))


def line_theatre(parts: list[list[tuple[float, float]]]) -> tuple[Theatre, MultiLineString]:
    line = MultiLineString(parts)
    loaded = LoadedAgreement(
        agreement(buffer_km={"UA": 2.0, "RU": 2.0}, bands_km={"mlrs": {"UA": 35.0, "RU": 35.0}}),
        line=line,
        held_areas={},
    )
    return Theatre(loaded, cell_m=3000.0), line


@settings(max_examples=25, deadline=None)
@given(
    parts=st.lists(st.lists(vertex, min_size=2, max_size=6, unique=True), min_size=1, max_size=3),
    points=st.lists(
        st.tuples(st.floats(29.0, 41.0), st.floats(44.0, 52.0)), min_size=1, max_size=4
    ),
)
def test_distance_matches_brute_force_on_random_lines(
    parts: list[list[tuple[float, float]]], points: list[tuple[float, float]]
) -> None:
    theatre, line = line_theatre(parts)
    lon = np.array([p[0] for p in points])
    lat = np.array([p[1] for p in points])
    distance = theatre.distance_to_line_m(lon, lat)
    for i in range(lon.size):
        reference = reference_distance_m(line, lon[i], lat[i])
        assert reference - 1e-3 <= distance[i] <= reference * 1.005 + 0.01
    # Zones agree with the distances (no held areas: everything is UA's side).
    membership = theatre.zone_membership(lon, lat)
    assert (membership.matrix[:, 0] == (distance <= 2000.0)).all()
    assert (membership.matrix[:, 1] == (distance <= 35_000.0)).all()


@settings(max_examples=25, deadline=None)
@given(
    parts=st.lists(st.lists(vertex, min_size=2, max_size=6, unique=True), min_size=1, max_size=2),
    points=st.lists(
        st.tuples(st.floats(30.0, 40.0), st.floats(45.0, 51.0)), min_size=1, max_size=8
    ),
)
def test_nearest_point_is_on_the_line_and_at_the_distance(
    parts: list[list[tuple[float, float]]], points: list[tuple[float, float]]
) -> None:
    theatre, line = line_theatre(parts)
    lon = np.array([p[0] for p in points])
    lat = np.array([p[1] for p in points])
    near_lon, near_lat = theatre.nearest_on_line(lon, lat)
    assert (shapely.distance(shapely.points(near_lon, near_lat), line) < 1e-9).all()
    _, _, measured = GEOD.inv(near_lon, near_lat, lon, lat)
    assert np.allclose(theatre.distance_to_line_m(lon, lat), measured, rtol=0, atol=1e-6)
    for i in range(lon.size):
        location = theatre.locate(float(lon[i]), float(lat[i]))
        assert location.line_lon == pytest.approx(near_lon[i], abs=1e-12)
        assert location.distance_to_line_m == pytest.approx(measured[i], abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(segment=st.integers(0, 10_000), t=st.floats(0.0, 1.0), offset=st.floats(0.0, 3.0))
def test_points_on_or_next_to_the_line_are_measured_to_the_centimetre(
    real_theatre: Theatre, real_agreement: LoadedAgreement, segment: int, t: float, offset: float
) -> None:
    a, b = segments_of(real_agreement.line)
    i = segment % len(a)
    on = a[i] + t * (b[i] - a[i])
    lon, lat = destination(on[0], on[1], 0.0, offset)
    distance = float(real_theatre.distance_to_line_m(lon, lat)[0])
    reference = reference_distance_m(real_agreement.line, float(lon[0]), float(lat[0]))
    assert distance <= offset + 0.01
    assert reference - 1e-3 <= distance <= reference + 0.01


def test_signed_distance_is_positive_on_the_first_partys_side(real_theatre: Theatre) -> None:
    rng = np.random.default_rng(11)
    lon, lat = rng.uniform(31.0, 39.0, 5000), rng.uniform(45.0, 51.0, 5000)
    signed = real_theatre.signed_distance_m(lon, lat)
    distance = real_theatre.distance_to_line_m(lon, lat)
    sides = real_theatre.sides(lon, lat)
    assert np.array_equal(np.abs(signed), distance)
    assert ((signed >= 0) == (sides == 0)).all()
    assert set(np.unique(sides).tolist()) == {0, 1}


def test_direction_from_line_names_the_compass_point(real_theatre: Theatre) -> None:
    # Kramatorsk lies north-west of the nearest point of the line.
    location = real_theatre.locate(37.56, 48.73)
    assert location.direction_from_line == "north-west"
    _, _, back = GEOD.inv(location.line_lon, location.line_lat, 37.56, 48.73)
    assert back == pytest.approx(location.distance_to_line_m)


def test_same_inputs_give_identical_outputs(
    real_agreement: LoadedAgreement, real_theatre: Theatre
) -> None:
    rng = np.random.default_rng(5)
    lon, lat = rng.uniform(33.0, 39.0, 3000), rng.uniform(46.0, 50.0, 3000)
    again = Theatre(real_agreement, cell_m=2000.0)
    assert np.array_equal(
        again.distance_to_line_m(lon, lat), real_theatre.distance_to_line_m(lon, lat)
    )
    assert np.array_equal(
        again.zone_membership(lon, lat).matrix, real_theatre.zone_membership(lon, lat).matrix
    )


def test_measure_gives_what_the_single_queries_give(real_theatre: Theatre) -> None:
    rng = np.random.default_rng(17)
    lon, lat = rng.uniform(30.0, 41.0, 4000), rng.uniform(44.0, 52.0, 4000)
    measured = real_theatre.measure(lon, lat)
    near_lon, near_lat = real_theatre.nearest_on_line(lon, lat)
    assert np.array_equal(measured.side, real_theatre.sides(lon, lat))
    assert np.array_equal(measured.distance_m, real_theatre.distance_to_line_m(lon, lat))
    assert np.array_equal(measured.signed_distance_m, real_theatre.signed_distance_m(lon, lat))
    assert np.array_equal(measured.line_lon, near_lon)
    assert np.array_equal(measured.line_lat, near_lat)
    _, _, back = GEOD.inv(near_lon, near_lat, lon, lat)
    assert np.allclose(measured.distance_m, back, rtol=0, atol=1e-6)
    azimuth, _, _ = GEOD.inv(near_lon, near_lat, lon, lat)
    turn = np.abs((measured.bearing_from_line_deg - np.mod(azimuth, 360.0) + 180) % 360 - 180)
    assert (turn < 1e-6).all()
    location = real_theatre.locate(float(lon[7]), float(lat[7]))
    assert location.signed_distance_m == measured.signed_distance_m[7]
    assert location.bearing_from_line_deg == measured.bearing_from_line_deg[7]


def test_measure_of_no_points_is_empty(zigzag_theatre: Theatre) -> None:
    measured = zigzag_theatre.measure([], [])
    assert measured.side.shape == measured.distance_m.shape == (0,)
    assert measured.line_lon.shape == measured.bearing_from_line_deg.shape == (0,)
