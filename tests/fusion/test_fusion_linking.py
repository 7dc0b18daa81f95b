"""The linking rule, the neighbour search that finds the links, and the components."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from fusion_support import obs, observation_lists, registry
from hypothesis import given, settings
from hypothesis import strategies as st

from truceline.errors import InputError
from truceline.fusion.fuse import fuse
from truceline.fusion.linking import candidate_pairs, components, is_linked, link_pairs
from truceline.fusion.parameters import DEFAULT, FusionParameters
from truceline.observations.model import Domain, Kind, Observation
from truceline.observations.table import ObservationTable


def _linked(a: Observation, b: Observation, params: FusionParameters = DEFAULT) -> bool:
    table = ObservationTable.from_observations([a, b], registry())
    i, _, _ = link_pairs(table, params)
    return len(i) == 1


def test_distance_tolerance_worked_example() -> None:
    # r = 100 m each: 2 * hypot(100, 100) + 250 = 532.8 m
    assert _linked(obs("uav-1", "a"), obs("acoustic", "b", east_m=530.0))
    assert not _linked(obs("uav-1", "a"), obs("acoustic", "b", east_m=536.0))


def test_time_tolerance_worked_example() -> None:
    # u = 60 s each: 1 * (60 + 60) + 600 = 720 s
    assert _linked(obs("uav-1", "a"), obs("acoustic", "b", dt_s=719.0))
    assert not _linked(obs("uav-1", "a"), obs("acoustic", "b", dt_s=721.0))


def test_a_huge_uncertainty_is_capped() -> None:
    vague = obs("osint", "vague", r=400_000.0, u=43_200.0)
    assert _linked(vague, obs("uav-1", "near", east_m=19_000.0, dt_s=40_000.0))
    assert not _linked(vague, obs("uav-1", "far", east_m=21_000.0))
    assert not _linked(vague, obs("uav-1", "late", dt_s=43_300.0))


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (Kind.EXPLOSION, Kind.THERMAL_ANOMALY, True),
        (Kind.LAUNCH, Kind.IMPACT, True),
        (Kind.DAMAGE, Kind.CASUALTY_REPORT, True),
        (Kind.WEAPON_SIGHTING, Kind.MOVEMENT, True),
        (Kind.EXPLOSION, Kind.WEAPON_SIGHTING, False),
        (Kind.LAUNCH, Kind.WEAPON_SIGHTING, False),
        (Kind.AIRCRAFT, Kind.VESSEL, False),
        (Kind.AIRCRAFT, Kind.EXPLOSION, False),
    ],
)
def test_kind_groups(first: Kind, second: Kind, expected: bool) -> None:
    assert _linked(obs("uav-1", "a", kind=first), obs("camera", "b", kind=second)) is expected


def test_domains_never_link() -> None:
    assert not _linked(
        obs("uav-1", "a", kind=Kind.EXPLOSION, domain=Domain.AIR),
        obs("camera", "b", kind=Kind.EXPLOSION, domain=Domain.LAND),
    )


def test_single_linkage_chains() -> None:
    chain = [obs("uav-1", f"c{n}", east_m=500.0 * n) for n in range(5)]
    incidents = fuse(chain, registry())
    assert len(incidents) == 1
    assert len(incidents[0].observation_ids) == 5


def _haversine(a: Observation, b: Observation) -> float:
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b.lon - a.lon) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def _oracle(a: Observation, b: Observation, params: FusionParameters) -> bool | None:
    """The rule written out pair by pair; None when too close to a threshold to call."""
    groups = {kind: n for n, group in enumerate(params.kind_groups) for kind in group}
    if a.domain != b.domain or groups[a.kind] != groups[b.kind]:
        return False
    dt = abs((a.observed_at - b.observed_at).total_seconds())
    t_tol = min(
        params.k_time * (a.time_uncertainty_s + b.time_uncertainty_s) + params.base_time_s,
        params.max_link_time_s,
    )
    d = _haversine(a, b)
    d_tol = min(
        params.k_space * math.hypot(a.location_uncertainty_m, b.location_uncertainty_m)
        + params.base_distance_m,
        params.max_link_distance_m,
    )
    if abs(dt - t_tol) < 1e-3 or abs(d - d_tol) < 1e-3:
        return None
    return dt <= t_tol and d <= d_tol


PARAMS = st.builds(
    FusionParameters,
    k_space=st.sampled_from([0.0, 1.0, 2.0, 3.0]),
    base_distance_m=st.sampled_from([0.0, 250.0, 1000.0]),
    max_link_distance_m=st.sampled_from([500.0, 5000.0, 20_000.0]),
    k_time=st.sampled_from([0.0, 1.0, 2.0]),
    base_time_s=st.sampled_from([0.0, 600.0]),
    max_link_time_s=st.sampled_from([600.0, 43_200.0]),
)


@settings(max_examples=80, deadline=None)
@given(observation_lists(max_size=30), PARAMS, st.integers(1, 3), st.integers(1, 12))
def test_the_search_finds_exactly_the_pairs_the_rule_links(
    batch: list[Observation], params: FusionParameters, workers: int, slab_rows: int
) -> None:
    table = ObservationTable.from_observations(batch, registry())
    n = len(table)
    every = np.array(list(itertools.combinations(range(n), 2)), dtype=np.int64).reshape(-1, 2)
    truth = every[is_linked(table, params, every[:, 0], every[:, 1])]
    i, j, _ = link_pairs(table, params, workers=workers, min_slab_rows=slab_rows)
    found = np.column_stack((i, j))
    assert sorted(map(tuple, found.tolist())) == sorted(map(tuple, truth.tolist()))
    ci, cj = candidate_pairs(table, params)
    assert len(set(zip(ci.tolist(), cj.tolist(), strict=True))) == len(ci)
    assert bool(np.all(ci < cj))
    rows = {obs_id: o for o, obs_id in zip(batch, [o.id for o in batch], strict=True)}
    for a, b in every.tolist():
        expected = _oracle(rows[str(table.ids[a])], rows[str(table.ids[b])], params)
        if expected is not None:
            assert ((a, b) in set(map(tuple, truth.tolist()))) is expected


def test_components_are_numbered_by_their_smallest_member() -> None:
    labels = components(6, np.array([4, 1, 2]), np.array([5, 3, 5]))
    assert labels.tolist() == [0, 1, 2, 1, 2, 2]
    assert components(0, np.empty(0, np.int64), np.empty(0, np.int64)).tolist() == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("k_space", -1.0, "expected a finite number >= 0"),
        ("max_link_time_s", math.nan, "expected a finite number >= 0"),
        ("base_time_s", "600", "expected a number"),
        ("location_floor_m", 0.0, "expected a number > 0"),
    ],
)
def test_parameters_are_checked(field: str, value: object, message: str) -> None:
    with pytest.raises(InputError, match=f"fusion parameter {field}: {message}"):
        FusionParameters(**{field: value})  # type: ignore[arg-type]


def test_kind_groups_must_cover_every_kind_once() -> None:
    with pytest.raises(InputError, match=r"missing \['aircraft'"):
        FusionParameters(kind_groups=(frozenset({Kind.EXPLOSION}),))
    doubled = (*DEFAULT.kind_groups, frozenset({Kind.EXPLOSION}))
    with pytest.raises(InputError, match=r"in several \['explosion'\]"):
        FusionParameters(kind_groups=doubled)


def test_the_antimeridian_is_no_border() -> None:
    east = obs("uav-1", "a").model_copy(update={"lon": 179.9995, "lat": 0.0})
    west = obs("camera", "b").model_copy(update={"lon": -179.9995, "lat": 0.0})
    assert _linked(east, west)
    (incident,) = fuse([east, west], registry())
    assert abs(incident.lon) > 179.999


def test_slabs_that_hold_no_rows() -> None:
    """All at one instant: the slab edges coincide and some slabs are empty."""
    same = [obs("uav-1", f"s{n}", east_m=100.0 * n) for n in range(4)]
    table = ObservationTable.from_observations(same, registry())
    i, j, _ = link_pairs(table, DEFAULT, workers=3, min_slab_rows=1)
    assert sorted(zip(i.tolist(), j.tolist(), strict=True)) == [
        (a, b) for a in range(4) for b in range(a + 1, 4)
    ]


def test_the_caps_are_strict_a_date_only_report_misses_the_next_midnight() -> None:
    """Noon +- 12 h: a detection at 23:59:59 links, one at 00:00:00 the next day does not."""
    date_only = obs("firms-viirs-noaa20", "day", r=375.0, u=43_200.0, kind=Kind.THERMAL_ANOMALY)
    assert _linked(date_only, obs("uav-1", "late", dt_s=43_199.0))
    assert not _linked(date_only, obs("uav-1", "midnight", dt_s=43_200.0))
    vague = obs("osint", "vague", r=400_000.0)
    assert not _linked(vague, obs("uav-1", "edge", east_m=20_000.5))
