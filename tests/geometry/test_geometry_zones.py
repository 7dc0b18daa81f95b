"""Zone membership on a made-up theatre: per-side widths, one-sided bands, exclusions."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from geometry_support import reference_distance_m, segments_of, zigzag_loaded
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.model import BUFFER, withdrawal_zone_id
from truceline.geometry import Theatre, ZoneMembership, destination
from truceline.geometry.geodesic import bearing_deg

WIDTHS_KM = {
    BUFFER: {"A": 3.0, "B": 2.0},
    withdrawal_zone_id("mortar"): {"A": 15.0, "B": 10.0},
    withdrawal_zone_id("mlrs"): {"A": 40.0},
}


def expected_membership(
    loaded: LoadedAgreement, theatre: Theatre, lon: np.ndarray, lat: np.ndarray
) -> np.ndarray:
    """Zones from independent sides (shapely) and the theatre's own distances."""
    side = np.where(shapely.contains_xy(loaded.held_areas["B"], lon, lat), "B", "A")
    distance = theatre.distance_to_line_m(lon, lat)
    columns = []
    for zone in theatre.zone_ids:
        if zone == "nofly":
            columns.append(shapely.contains_xy(loaded.exclusions["nofly"], lon, lat))
            continue
        inside = np.zeros(lon.size, dtype=bool)
        for party, km in WIDTHS_KM[zone].items():
            inside |= (side == party) & (distance <= km * 1000.0)
        columns.append(inside)
    return np.stack(columns, axis=1)


def random_points(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(29.0, 33.0, n), rng.uniform(47.0, 49.2, n)


def test_zone_ids_follow_the_agreement(zigzag: LoadedAgreement, zigzag_theatre: Theatre) -> None:
    assert zigzag_theatre.zone_ids == tuple(zigzag.agreement.zone_ids)
    assert zigzag_theatre.zone_ids == (BUFFER, "withdrawal:mortar", "withdrawal:mlrs", "nofly")


def test_membership_equals_independent_sides_distances_and_areas(
    zigzag: LoadedAgreement, zigzag_theatre: Theatre
) -> None:
    lon, lat = random_points(1, 40_000)
    membership = zigzag_theatre.zone_membership(lon, lat)
    assert membership.matrix.shape == (lon.size, 4)
    assert membership.matrix.dtype == np.bool_
    expected = expected_membership(zigzag, zigzag_theatre, lon, lat)
    assert (membership.matrix == expected).all()
    assert expected.any(axis=0).all()


def test_one_sided_band_never_covers_the_other_side(zigzag_theatre: Theatre) -> None:
    lon, lat = random_points(2, 20_000)
    membership = zigzag_theatre.zone_membership(lon, lat)
    sides = zigzag_theatre.sides(lon, lat)
    mlrs = membership.zone_ids.index("withdrawal:mlrs")
    assert not membership.matrix[sides == 1, mlrs].any()
    assert membership.matrix[sides == 0, mlrs].any()


@pytest.mark.parametrize(("cell_m", "max_cells"), [(250.0, 2_000_000), (1000.0, 500), (5000.0, 4)])
def test_grid_size_changes_nothing(
    zigzag: LoadedAgreement, zigzag_theatre: Theatre, cell_m: float, max_cells: int
) -> None:
    other = Theatre(zigzag, cell_m=cell_m, max_cells=max_cells)
    lon, lat = random_points(3, 5_000)
    assert (
        other.zone_membership(lon, lat).matrix == zigzag_theatre.zone_membership(lon, lat).matrix
    ).all()
    assert (other.sides(lon, lat) == zigzag_theatre.sides(lon, lat)).all()
    assert np.array_equal(
        other.distance_to_line_m(lon, lat), zigzag_theatre.distance_to_line_m(lon, lat)
    )


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 40))
def test_membership_does_not_depend_on_order_or_company(
    zigzag_theatre: Theatre, seed: int, n: int
) -> None:
    lon, lat = random_points(seed, n)
    whole = zigzag_theatre.zone_membership(lon, lat).matrix
    order = np.random.default_rng(seed).permutation(n)
    shuffled = zigzag_theatre.zone_membership(lon[order], lat[order]).matrix
    assert (shuffled == whole[order]).all()
    for i in range(min(n, 5)):
        alone = zigzag_theatre.zone_membership(lon[i : i + 1], lat[i : i + 1]).matrix
        assert (alone[0] == whole[i]).all()


@settings(max_examples=60, deadline=None)
@given(
    segment=st.integers(0, 100),
    t=st.floats(0.0, 1.0),
    zone=st.sampled_from(sorted(WIDTHS_KM)),
    party=st.sampled_from(["A", "B"]),
    excess=st.floats(0.0005, 0.005),
    outside=st.booleans(),
)
def test_band_edges_agree_with_brute_force_distance(
    zigzag: LoadedAgreement,
    zigzag_theatre: Theatre,
    segment: int,
    t: float,
    zone: str,
    party: str,
    excess: float,
    outside: bool,
) -> None:
    assume(party in WIDTHS_KM[zone])
    a, b = segments_of(zigzag.line)
    i = segment % len(a)
    start = a[i] + t * (b[i] - a[i])
    heading = float(bearing_deg(a[i][0], a[i][1], b[i][0], b[i][1])[0])
    # The line runs west to east, B holds the north: B is on the left.
    width = WIDTHS_KM[zone][party] * 1000.0
    walk = width * (1 + excess if outside else 1 - excess)
    lon, lat = destination(start[0], start[1], heading + (-90 if party == "B" else 90), walk)
    reference = reference_distance_m(zigzag.line, float(lon[0]), float(lat[0]))
    side = "B" if shapely.contains_xy(zigzag.held_areas["B"], lon, lat)[0] else "A"
    assume(side == party and abs(reference - width) > 2e-4 * width)
    membership = zigzag_theatre.zone_membership(lon, lat)
    assert bool(membership.matrix[0, membership.zone_ids.index(zone)]) == (reference <= width)
    location = zigzag_theatre.locate(float(lon[0]), float(lat[0]))
    assert (zone in location.zones) == (reference <= width)


def test_zones_of_lists_zone_ids_in_agreement_order() -> None:
    membership = ZoneMembership(
        ("buffer", "withdrawal:mortar", "nofly"),
        np.array([[True, False, True], [False, False, False]]),
    )
    assert membership.zones_of(0) == ("buffer", "nofly")
    assert membership.zones_of(1) == ()


def test_empty_input_gives_an_empty_matrix(zigzag_theatre: Theatre) -> None:
    membership = zigzag_theatre.zone_membership(np.zeros(0), np.zeros(0))
    assert membership.matrix.shape == (0, 4)
    assert zigzag_theatre.sides(np.zeros(0), np.zeros(0)).shape == (0,)
    assert zigzag_theatre.distance_to_line_m([], []).shape == (0,)
    lon, lat = zigzag_theatre.nearest_on_line([], [])
    assert lon.shape == lat.shape == (0,)


def test_agreement_without_zones_has_no_columns() -> None:
    theatre = Theatre(zigzag_loaded())
    lon, lat = random_points(4, 100)
    membership = theatre.zone_membership(lon, lat)
    assert membership.zone_ids == ()
    assert membership.matrix.shape == (100, 0)
    assert theatre.locate(31.0, 48.5).zones == ()
    assert theatre.locate(31.0, 48.5).side == "B"


def test_exclusion_far_from_the_line_is_found() -> None:
    far = shapely.geometry.Polygon([(36.0, 44.0), (37.0, 44.0), (37.0, 45.0), (36.0, 45.0)])
    theatre = Theatre(zigzag_loaded(exclusion=far))
    membership = theatre.zone_membership(np.array([36.5, 36.5, 35.9]), np.array([44.5, 45.1, 44.5]))
    assert membership.matrix[:, 0].tolist() == [True, False, False]


def test_points_far_outside_the_grid_are_in_no_band(zigzag_theatre: Theatre) -> None:
    lon = np.array([-120.0, 150.0, 31.0, 31.0])
    lat = np.array([40.0, -30.0, 80.0, -60.0])
    assert not zigzag_theatre.zone_membership(lon, lat).matrix.any()
    assert (zigzag_theatre.sides(lon, lat) == 0).all()
    assert (zigzag_theatre.distance_to_line_m(lon, lat) > 3_000_000).all()


def test_walked_points_land_where_expected(zigzag_theatre: Theatre) -> None:
    # 14.9 km to the right of the middle of a segment is in A's 15 km mortar band; 15.1 km
    # is not.
    heading = float(bearing_deg(30.9, 47.9, 31.3, 48.2)[0])
    lon, lat = destination(31.1, 48.05, heading + 90.0, [14_900.0, 15_100.0])
    membership = zigzag_theatre.zone_membership(lon, lat)
    mortar = membership.zone_ids.index("withdrawal:mortar")
    distance = zigzag_theatre.distance_to_line_m(lon, lat)
    assert distance == pytest.approx([14_900.0, 15_100.0], rel=1e-3)
    assert distance[0] < 15_000 < distance[1]
    assert (zigzag_theatre.sides(lon, lat) == 0).all()
    assert membership.matrix[:, mortar].tolist() == [True, False]
