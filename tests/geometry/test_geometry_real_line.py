"""The real line of contact of 2025-09-01 (DeepStateMap): sides, distances and band edges."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from geometry_support import (
    CITIES,
    MINSK_BANDS_KM,
    reference_distance_m,
    segments_of,
    vertex_distance_m,
)
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.model import BUFFER, withdrawal_zone_id
from truceline.geometry import Theatre, destination
from truceline.geometry.geodesic import bearing_deg

SLOW = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.mark.parametrize("city", sorted(CITIES))
def test_city_is_on_the_expected_side(real_theatre: Theatre, city: str) -> None:
    lon, lat, side = CITIES[city]
    sides = real_theatre.sides(np.array([lon]), np.array([lat]))
    assert real_theatre.parties[int(sides[0])] == side
    assert real_theatre.locate(lon, lat).side == side


@pytest.mark.parametrize("city", sorted(CITIES))
def test_city_distance_matches_an_independent_geodesic_computation(
    real_theatre: Theatre, real_agreement: LoadedAgreement, city: str
) -> None:
    lon, lat, side = CITIES[city]
    distance = float(real_theatre.distance_to_line_m(np.array([lon]), np.array([lat]))[0])
    independent = vertex_distance_m(real_agreement.line, lon, lat, step_deg=0.002)
    assert abs(distance - independent) < 1000.0
    signed = float(real_theatre.signed_distance_m(np.array([lon]), np.array([lat]))[0])
    assert abs(signed) == pytest.approx(distance)
    # UA is listed first: its side is positive.
    assert (signed > 0) == (side == "UA")


def test_city_zones_follow_their_distances(real_theatre: Theatre) -> None:
    lon = np.array([CITIES[c][0] for c in sorted(CITIES)])
    lat = np.array([CITIES[c][1] for c in sorted(CITIES)])
    membership = real_theatre.zone_membership(lon, lat)
    distance = real_theatre.distance_to_line_m(lon, lat)
    for i, city in enumerate(sorted(CITIES)):
        expected = [BUFFER] if distance[i] <= 5000.0 else []
        expected += [
            withdrawal_zone_id(code)
            for code, km in MINSK_BANDS_KM.items()
            if distance[i] <= km * 1000.0
        ]
        assert membership.zones_of(i) == tuple(expected), city
    # Sevastopol is far behind the line; Kherson is just across the river from it.
    assert membership.zones_of(sorted(CITIES).index("Sevastopol")) == ()
    kherson = real_theatre.locate(*CITIES["Kherson"][:2])
    assert 4_000 < kherson.distance_to_line_m < 8_000
    assert withdrawal_zone_id("light_artillery") in kherson.zones


@SLOW
@given(
    lon=st.floats(18.0, 44.4),
    lat=st.floats(41.4, 55.1),
)
def test_distance_is_within_half_a_percent_of_brute_force_over_ukraine_and_300_km_around(
    real_theatre: Theatre, real_agreement: LoadedAgreement, lon: float, lat: float
) -> None:
    distance = float(real_theatre.distance_to_line_m(np.array([lon]), np.array([lat]))[0])
    reference = reference_distance_m(real_agreement.line, lon, lat)
    # A true distance to a point of the line is never shorter than the shortest one.
    assert distance >= reference - 1e-3
    assert distance <= reference * 1.005 + 0.01


@SLOW
@given(
    segment=st.integers(0, 10_000),
    t=st.floats(0.0, 1.0),
    band=st.sampled_from(sorted(MINSK_BANDS_KM)),
    towards_left=st.booleans(),
    excess=st.floats(0.0005, 0.005),
    outside=st.booleans(),
)
def test_band_edges_agree_with_brute_force_distance(
    real_theatre: Theatre,
    real_agreement: LoadedAgreement,
    segment: int,
    t: float,
    band: str,
    towards_left: bool,
    excess: float,
    outside: bool,
) -> None:
    a, b = segments_of(real_agreement.line)
    i = segment % len(a)
    start = a[i] + t * (b[i] - a[i])
    heading = float(bearing_deg(a[i][0], a[i][1], b[i][0], b[i][1])[0])
    width = MINSK_BANDS_KM[band] * 1000.0
    walk = width * (1 + excess if outside else 1 - excess)
    lon, lat = destination(start[0], start[1], heading + (-90 if towards_left else 90), walk)
    reference = reference_distance_m(real_agreement.line, float(lon[0]), float(lat[0]))
    assume(abs(reference - width) > 2e-4 * width)
    occupied = real_agreement.held_areas["RU"]
    side = "RU" if shapely.contains_xy(occupied, lon, lat)[0] else "UA"
    assert real_theatre.parties[int(real_theatre.sides(lon, lat)[0])] == side
    membership = real_theatre.zone_membership(lon, lat)
    column = membership.zone_ids.index(withdrawal_zone_id(band))
    # Both parties have the band, so only the distance decides.
    assert bool(membership.matrix[0, column]) == (reference <= width)


def test_zone_membership_of_many_points_equals_exact_sides_and_distances(
    real_theatre: Theatre, real_agreement: LoadedAgreement
) -> None:
    rng = np.random.default_rng(7)
    min_lon, min_lat, max_lon, max_lat = real_agreement.line.bounds
    lon = rng.uniform(min_lon - 1.0, max_lon + 1.0, 30_000)
    lat = rng.uniform(min_lat - 1.0, max_lat + 1.0, 30_000)
    membership = real_theatre.zone_membership(lon, lat)
    distance = real_theatre.distance_to_line_m(lon, lat)
    side = np.where(shapely.contains_xy(real_agreement.held_areas["RU"], lon, lat), "RU", "UA")
    assert (np.array(real_theatre.parties)[real_theatre.sides(lon, lat)] == side).all()
    for j, zone in enumerate(membership.zone_ids):
        km = 5.0 if zone == BUFFER else MINSK_BANDS_KM[zone.split(":", 1)[1]]
        assert (membership.matrix[:, j] == (distance <= km * 1000.0)).all(), zone
    # The sample covers every band and both sides.
    assert membership.matrix.any(axis=0).all()
    assert (~membership.matrix).any(axis=0).all()
    assert set(side) == {"UA", "RU"}
