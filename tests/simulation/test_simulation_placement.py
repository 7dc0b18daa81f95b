"""Placing points against an agreement's geometry: distance bands, sides, zones."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiLineString, Point
from simulation_checks import SLACK_M, TOLERANCE, Metric

from truceline.agreement.loaded import LoadedAgreement
from truceline.errors import AgreementError, GeometryError
from truceline.simulation.placement import TheatreFrame


@pytest.fixture(scope="module")
def frame(theatre: LoadedAgreement) -> TheatreFrame:
    return TheatreFrame(theatre)


@settings(max_examples=20, deadline=None)
@given(
    party=st.sampled_from(["BLU", "RED", None]),
    low_km=st.floats(min_value=0.0, max_value=30.0),
    width_km=st.floats(min_value=0.2, max_value=40.0),
    seed=st.integers(min_value=0, max_value=1_000),
)
@example(party="RED", low_km=15.0, width_km=40.0, seed=177)  # next to a long edge of RED's area
def test_points_lie_at_the_asked_distance_on_the_asked_side(
    frame: TheatreFrame,
    theatre_metric: Metric,
    party: str | None,
    low_km: float,
    width_km: float,
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    x, y = frame.sample_near_line(
        rng, 12, party=party, min_m=low_km * 1000, max_m=(low_km + width_km) * 1000
    )
    lon, lat = frame.to_lonlat(x, y)
    for point_lon, point_lat in zip(lon, lat, strict=True):
        km = theatre_metric.distance_km(point_lon, point_lat)
        assert low_km * (1 - TOLERANCE) - SLACK_M / 1000 <= km
        assert km <= (low_km + width_km) * (1 + TOLERANCE) + SLACK_M / 1000
        side = theatre_metric.side(point_lon, point_lat)
        assert side == party if party else side in ("BLU", "RED")


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(min_value=0, max_value=1_000), reach_km=st.floats(2.0, 30.0))
@example(seed=551, reach_km=2.0)
def test_points_near_given_points_stay_within_reach(
    frame: TheatreFrame, seed: int, reach_km: float
) -> None:
    rng = np.random.default_rng(seed)
    # The segment from a target to a RED point crosses the line, so a RED point 500 m or
    # more from the line is at least the target's own distance plus 500 m away. Targets
    # stay within reach - 1 km of the line, so each has RED ground within reach.
    target_max_m = min(5_000.0, reach_km * 1000 - 1_000.0)
    tx, ty = frame.sample_near_line(rng, 10, party="BLU", min_m=500.0, max_m=target_max_m)
    ox, oy = frame.sample_near_line(
        rng,
        10,
        party="RED",
        min_m=500.0,
        max_m=20_000.0,
        near=(tx, ty),
        spread_m=3_000.0,
        reach_m=reach_km * 1000,
        partial=True,
    )
    found = np.isfinite(ox)
    assert found.all()
    assert np.all(np.hypot(ox - tx, oy - ty)[found] <= reach_km * 1000)
    assert set(frame.side(ox[found], oy[found])) == {"RED"}


def test_points_in_a_zone_are_inside_it(frame: TheatreFrame, theatre: LoadedAgreement) -> None:
    rng = np.random.default_rng(1)
    for zone in ("NFZ-1", "MEZ-1"):
        x, y = frame.sample_in_zone(rng, 50, zone, party="RED")
        lon, lat = frame.to_lonlat(x, y)
        area = theatre.exclusions[zone]
        assert all(area.contains(Point(a, b)) for a, b in zip(lon, lat, strict=True))
    # Over land, a party's aircraft stays over its own side of the zone.
    x, y = frame.sample_in_zone(rng, 30, "NFZ-1", party="RED")
    assert set(frame.side(x, y)) == {"RED"}


def test_no_land_events_at_sea(frame: TheatreFrame) -> None:
    rng = np.random.default_rng(2)
    x, y = frame.sample_near_line(rng, 2_000, party=None, min_m=0.0, max_m=150_000.0)
    assert not frame.in_zone("MEZ-1", x, y).any()
    assert set(frame.land_owner(x, y)) <= {"BLU", "RED"}


def test_impossible_placement_is_refused_with_a_reason(frame: TheatreFrame) -> None:
    with pytest.raises(AgreementError, match=r"held by RED between 900\.0 and 950\.0 km"):
        frame.sample_near_line(
            np.random.default_rng(0), 5, party="RED", min_m=900_000.0, max_m=950_000.0
        )


def test_an_empty_line_is_refused(theatre: LoadedAgreement) -> None:
    empty = LoadedAgreement(agreement=theatre.agreement, line=MultiLineString())
    with pytest.raises(GeometryError, match="line of contact is empty"):
        TheatreFrame(empty)
