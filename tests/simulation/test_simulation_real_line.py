"""The simulator on a real agreement: the line of contact of 1 September 2025 (DeepStateMap)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import shapely
from simulation_checks import Metric, read_geometry, where_problems

from truceline.agreement.loaded import LoadedAgreement
from truceline.simulation import Category, Scenario, simulate

UKRAINE_ISH = (22.0, 44.0, 41.0, 53.0)
"""lon/lat bounds around Ukraine."""


def test_every_act_has_violations_by_both_parties(real_scenario: Scenario) -> None:
    found = Counter(
        (e.rule, e.party) for e in real_scenario.truth if e.category is Category.VIOLATION
    )
    for act in ("CV-FIRE", "HW-WITHDRAWAL", "DMZ-PRESENCE"):
        for party in ("UA", "RU"):
            assert found[(act, party)] >= 2, (act, party)
    assert {rule for rule, _ in found} == {"CV-FIRE", "HW-WITHDRAWAL", "DMZ-PRESENCE"}


def test_violations_lie_where_their_rule_applies(
    real_scenario: Scenario, real: LoadedAgreement
) -> None:
    metric = Metric(real)
    problems = {
        e.id: where_problems(metric, e)
        for e in real_scenario.truth
        if e.category is Category.VIOLATION
    }
    assert {k: v for k, v in problems.items() if v} == {}


def test_every_rule_a_violation_lists_applies_where_it_lies(
    real_scenario: Scenario, real: LoadedAgreement
) -> None:
    metric = Metric(real)
    violations = [e for e in real_scenario.truth if e.category is Category.VIOLATION]
    assert all(e.rule in e.rules for e in violations)
    assert any(len(e.rules) > 1 for e in violations)
    problems = {
        (e.id, code): where_problems(metric, replace(e, rule=code))
        for e in violations
        for code in e.rules
    }
    assert {k: v for k, v in problems.items() if v} == {}


def test_everything_stays_in_ukraine_ish_bounds(real_scenario: Scenario) -> None:
    west, south, east, north = UKRAINE_ISH
    for event in real_scenario.truth:
        assert west <= event.lon <= east, event
        assert south <= event.lat <= north, event
    for obs in real_scenario.observations:
        assert west <= obs.lon <= east, obs
        assert south <= obs.lat <= north, obs


def test_sources_scale_with_the_longer_line(real_scenario: Scenario, scenario: Scenario) -> None:
    cameras = [s for s in real_scenario.sources if s.id.startswith("camera-")]
    assert len(cameras) > 3 * len([s for s in scenario.sources if s.id.startswith("camera-")])
    assert {s.party for s in real_scenario.sources if s.party} == {"UA", "RU"}


def test_a_land_mask_keeps_land_events_inside_it(real: LoadedAgreement, shared_data: Path) -> None:
    outline = read_geometry(shared_data / "boundaries" / "ukraine_outline.geojson")
    scenario = simulate(real, days=2, seed=3, land=outline)
    inside = outline.buffer(1e-5)
    shapely.prepare(inside)
    outside = [e for e in scenario.truth if not shapely.contains_xy(inside, e.lon, e.lat)]
    assert outside == []
    fires = [e for e in scenario.truth if e.category is Category.HARVEST_FIRE]
    assert len(fires) > 500
