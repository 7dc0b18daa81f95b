"""A simulated week on the generated theatre: determinism, placement, sensors, truth."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import shape
from simulation_checks import Metric, where_problems

from truceline.agreement.loaded import LoadedAgreement
from truceline.errors import InputError
from truceline.observations.model import Kind, Observation, SourceType
from truceline.simulation import (
    Category,
    Scenario,
    TruthEvent,
    format_summary,
    simulate,
    summarise,
)
from truceline.sources.registry import BUILTIN_SOURCES

GEOD = Geod(ellps="WGS84")


def _by_category(scenario: Scenario, category: Category) -> list[TruthEvent]:
    return [e for e in scenario.truth if e.category is category]


def _observations(scenario: Scenario) -> dict[str, Observation]:
    return {o.id: o for o in scenario.observations}


def test_same_seed_same_scenario(theatre: LoadedAgreement) -> None:
    a = simulate(theatre, days=2, seed=5)
    b = simulate(theatre, days=2, seed=5)
    assert a.observations == b.observations
    assert a.truth == b.truth
    assert a.prenotifications == b.prenotifications
    assert a.sources == b.sources
    c = simulate(theatre, days=2, seed=6)
    assert {e.id for e in a.truth}.isdisjoint({e.id for e in c.truth})


def test_a_week_is_a_few_thousand_observations(scenario: Scenario) -> None:
    assert 1_000 <= len(scenario.observations) <= 6_000
    assert scenario.start == datetime(2025, 9, 1, tzinfo=UTC)
    assert scenario.end - scenario.start == timedelta(days=7)


def test_every_act_has_violations_by_both_parties(scenario: Scenario) -> None:
    found = Counter((e.rule, e.party) for e in _by_category(scenario, Category.VIOLATION))
    for act in scenario.loaded.agreement.prohibited_acts:
        for party in ("BLU", "RED"):
            assert found[(act.code, party)] >= 2, (act.code, party)


def test_violations_lie_where_their_rule_applies(
    scenario: Scenario, theatre_metric: Metric
) -> None:
    problems = {
        e.id: where_problems(theatre_metric, e) for e in _by_category(scenario, Category.VIOLATION)
    }
    assert {k: v for k, v in problems.items() if v} == {}


def test_fire_lands_across_the_line_from_where_it_came(
    scenario: Scenario, theatre_metric: Metric
) -> None:
    fire = [
        e
        for e in _by_category(scenario, Category.VIOLATION)
        if e.rule == "CV-FIRE" and e.kind in (Kind.EXPLOSION, Kind.IMPACT)
    ]
    with_origin = [e for e in fire if e.origin_lon is not None and e.origin_lat is not None]
    assert len(with_origin) >= 0.9 * len(fire) > 0
    for event in with_origin:
        assert event.origin_lon is not None
        assert event.origin_lat is not None
        assert theatre_metric.side(event.lon, event.lat) != event.party
        assert theatre_metric.side(event.origin_lon, event.origin_lat) == event.party
        _, _, metres = GEOD.inv(event.lon, event.lat, event.origin_lon, event.origin_lat)
        assert metres <= 40_000.0


def test_exclusion_zone_violations_are_in_the_air_and_at_sea(scenario: Scenario) -> None:
    observations = _observations(scenario)
    for event in _by_category(scenario, Category.VIOLATION):
        if event.rule in ("NFZ-AIR", "MEZ-SEA"):
            expected = "air" if event.rule == "NFZ-AIR" else "sea"
            assert event.kind is (Kind.AIRCRAFT if expected == "air" else Kind.VESSEL)
            assert all(observations[o].domain.value == expected for o in event.observation_ids)


def test_observations_are_valid_and_from_registered_sources(scenario: Scenario) -> None:
    registry = scenario.registry()
    refs: set[tuple[str, str]] = set()
    for obs in scenario.observations:
        assert Observation.model_validate(obs.model_dump()) == obs
        source = registry.get(obs.source_id)
        assert obs.reliability == source.reliability
        if source.type is not SourceType.SATELLITE_THERMAL:  # FIRMS: from its confidence
            assert obs.credibility == source.credibility
        assert obs.observed_at.tzinfo is UTC
        assert obs.received_at.tzinfo is UTC
        assert obs.received_at > obs.observed_at
        assert scenario.start - timedelta(hours=7) <= obs.observed_at
        assert obs.observed_at <= scenario.end + timedelta(hours=7)
        assert obs.attributes["simulated"] is True
        refs.add((obs.source_id, obs.source_ref))
    assert len(refs) == len(scenario.observations) == len({o.id for o in scenario.observations})
    builtin = {s.id for s in BUILTIN_SOURCES}
    thermal = {s.id for s in scenario.sources if s.type is SourceType.SATELLITE_THERMAL}
    assert thermal
    assert thermal <= builtin


def test_each_observation_belongs_to_exactly_one_true_event(scenario: Scenario) -> None:
    owners = Counter(o for e in scenario.truth for o in e.observation_ids)
    assert set(owners) == {o.id for o in scenario.observations}
    assert set(owners.values()) == {1}


def test_outputs_are_sorted(scenario: Scenario) -> None:
    keys = [(o.observed_at, o.id) for o in scenario.observations]
    assert keys == sorted(keys)
    times = [(e.time, e.id) for e in scenario.truth]
    assert times == sorted(times)
    assert [s.id for s in scenario.sources] == sorted(s.id for s in scenario.sources)


def test_harvest_fires_are_many_far_and_near_and_seen_only_by_satellites(
    scenario: Scenario, theatre_metric: Metric
) -> None:
    observations = _observations(scenario)
    sources = {s.id: s for s in scenario.sources}
    fires = _by_category(scenario, Category.HARVEST_FIRE)
    assert len(fires) > 500
    distances = [theatre_metric.distance_km(e.lon, e.lat) for e in fires[:400]]
    assert min(distances) < 10.0
    assert max(distances) > 80.0
    seen = [e for e in fires if e.observation_ids]
    assert 0.2 * len(fires) < len(seen) < len(fires)
    for event in seen:
        for obs_id in event.observation_ids:
            obs = observations[obs_id]
            assert sources[obs.source_id].type is SourceType.SATELLITE_THERMAL
            assert obs.kind is Kind.THERMAL_ANOMALY
            # FIRMS gives the start minute of the granule that saw it
            assert obs.observed_at >= event.time - timedelta(seconds=59)


def test_satellites_report_at_their_overpasses(scenario: Scenario) -> None:
    passes = {
        "firms-viirs-noaa20": (0.75, 10.75),
        "firms-viirs-noaa21": (1.17, 11.17),
        "firms-viirs-snpp": (1.58, 11.58),
        "firms-modis": (0.5, 9.0, 11.5, 20.0),
    }
    thermal = [o for o in scenario.observations if o.source_id in passes]
    assert {o.source_id for o in thermal} == set(passes)
    for obs in thermal:
        hour = obs.observed_at.hour + obs.observed_at.minute / 60 + obs.observed_at.second / 3600
        gaps = [abs((hour - h + 12) % 24 - 12) for h in passes[obs.source_id]]
        assert min(gaps) <= 1.25, obs


def test_training_is_beyond_the_reach_of_the_fire_rule(
    scenario: Scenario, theatre_metric: Metric
) -> None:
    training = _by_category(scenario, Category.TRAINING)
    assert {e.party for e in training} == {"BLU", "RED"}
    for event in training:
        assert 50.0 - 1.0 <= theatre_metric.distance_km(event.lon, event.lat) <= 100.0 + 1.0
        assert theatre_metric.side(event.lon, event.lat) == event.party


def test_permitted_activity_is_covered_by_a_timely_notice(scenario: Scenario) -> None:
    agreement = scenario.loaded.agreement
    notices = {p.id: p for p in scenario.prenotifications}
    permitted = _by_category(scenario, Category.PERMITTED_ACTIVITY)
    late = [e for e in _by_category(scenario, Category.VIOLATION) if e.prenotification_id]
    assert {p.activity for p in scenario.prenotifications} == {"DEMINING", "REPAIRS", "ROTATION"}
    assert {e.party for e in permitted} == {"BLU", "RED"}
    assert len(late) == 1
    assert late[0].kind is Kind.EXPLOSION
    assert late[0].rule == "CV-FIRE"
    for event in [*permitted, *late]:
        assert event.prenotification_id is not None
        notice = notices[event.prenotification_id]
        activity = agreement.permitted_activity(notice.activity)
        assert notice.party == event.party
        assert event.kind in activity.kinds
        assert notice.starts_at <= event.time <= notice.ends_at
        assert shape(notice.area).contains(shapely.Point(event.lon, event.lat))
        timely = notice.notified_at <= notice.starts_at - activity.notice
        if event.category is Category.PERMITTED_ACTIVITY:
            assert timely
            assert event.rule is None
        else:
            assert not timely
            assert event.rule in activity.exempts


def test_many_violations_are_corroborated_and_some_are_not_seen(scenario: Scenario) -> None:
    coverage = summarise(scenario).coverage
    total = coverage.two_or_more + coverage.one + coverage.none
    assert coverage.two_or_more > total / 4
    assert coverage.one > 0
    assert coverage.none > 0
    unseen = [e for e in _by_category(scenario, Category.VIOLATION) if not e.observation_ids]
    assert unseen
    gap = [e for e in _by_category(scenario, Category.VIOLATION) if "coverage gap" in e.note]
    assert gap
    assert all(not e.observation_ids for e in gap)


def test_acoustic_bearings_point_towards_the_origin_of_fire(scenario: Scenario) -> None:
    observations = _observations(scenario)
    checked = 0
    for event in _by_category(scenario, Category.VIOLATION):
        if event.origin_lon is None or event.origin_lat is None:
            continue
        true_bearing, _, _ = GEOD.inv(event.lon, event.lat, event.origin_lon, event.origin_lat)
        for obs_id in event.observation_ids:
            obs = observations[obs_id]
            if obs.source_id.startswith("acoustic-"):
                bearing = obs.attributes["fire_from_bearing_deg"]
                assert isinstance(bearing, float)
                assert 0.0 <= bearing < 360.0
                assert abs((bearing - true_bearing + 180.0) % 360.0 - 180.0) < 20.0
                assert obs.location_uncertainty_m >= 1_000.0  # a range band km deep
                checked += 1
    assert checked >= 10


def test_uav_origins_are_close_to_the_true_origin(scenario: Scenario) -> None:
    observations = _observations(scenario)
    checked = 0
    for event in _by_category(scenario, Category.VIOLATION):
        for obs_id in event.observation_ids:
            obs = observations[obs_id]
            if "origin_lon" in obs.attributes:
                assert event.origin_lon is not None
                assert event.origin_lat is not None
                _, _, metres = GEOD.inv(
                    event.origin_lon,
                    event.origin_lat,
                    obs.attributes["origin_lon"],
                    obs.attributes["origin_lat"],
                )
                assert metres < 1_000.0
                if obs.attributes.get("gnss") != "degraded":
                    assert 30.0 <= obs.location_uncertainty_m <= 100.0
                checked += 1
    assert checked >= 5


def test_party_reports_accuse_the_other_party(scenario: Scenario) -> None:
    observations = _observations(scenario)
    sources = {s.id: s for s in scenario.sources}
    for event in scenario.truth:
        for obs_id in event.observation_ids:
            obs = observations[obs_id]
            reporter = sources[obs.source_id].party
            if reporter is None:
                continue
            assert obs.attributes["accused"] not in (None, reporter)
            assert event.category is not Category.HARVEST_FIRE
            if event.category is Category.VIOLATION:
                assert event.party != reporter
                assert obs.attributes["accused"] == event.party
    false = _by_category(scenario, Category.FALSE_REPORT)
    assert {e.party for e in false} == {"BLU", "RED"}
    for event in false:
        (only,) = event.observation_ids
        assert sources[observations[only].source_id].party == event.party


def test_open_sources_are_late_and_coarse(scenario: Scenario) -> None:
    observations = _observations(scenario)
    checked = 0
    for event in scenario.truth:
        for obs_id in event.observation_ids:
            obs = observations[obs_id]
            if obs.source_id == "osint-monitor":
                assert obs.received_at - event.time >= timedelta(hours=1)
                assert obs.location_uncertainty_m >= 3_000.0
                assert obs.time_uncertainty_s >= 3_600.0
                checked += 1
    assert checked >= 10


def test_weapon_sightings_name_a_weapon_class(scenario: Scenario) -> None:
    classes = {w.code for w in scenario.loaded.agreement.weapon_classes}
    sightings = [o for o in scenario.observations if o.kind is Kind.WEAPON_SIGHTING]
    assert sightings
    assert all(o.weapon_class in classes for o in sightings)
    band = [e for e in scenario.truth if e.rule == "HW-WITHDRAWAL"]
    assert all(e.weapon_class in classes for e in band)


def test_noise_is_single_reports(scenario: Scenario) -> None:
    noise = _by_category(scenario, Category.NOISE)
    assert noise
    assert all(len(e.observation_ids) == 1 and e.party is None for e in noise)


def test_bad_inputs_are_refused(theatre: LoadedAgreement) -> None:
    cases = [
        ({"start": datetime(2025, 9, 1)}, "start"),
        ({"days": 0}, "days"),
        ({"intensity": 0.0}, "intensity"),
        ({"intensity": math.nan}, "intensity"),
        ({"seed": -1}, "seed"),
    ]
    for kwargs, field in cases:
        with pytest.raises(InputError) as info:
            simulate(theatre, **kwargs)  # type: ignore[arg-type]
        assert info.value.field == field


def test_intensity_scales_the_bulk(theatre: LoadedAgreement) -> None:
    one = simulate(theatre, days=1, intensity=1.0)
    four = simulate(theatre, days=1, intensity=4.0)
    ratio = len(_by_category(four, Category.HARVEST_FIRE)) / len(
        _by_category(one, Category.HARVEST_FIRE)
    )
    assert 3.0 < ratio < 5.0
    assert len(four.observations) > 2.5 * len(one.observations)


def test_summary_adds_up(scenario: Scenario) -> None:
    summary = summarise(scenario)
    assert sum(summary.by_category.values()) == len(scenario.truth)
    c = summary.coverage
    assert c.two_or_more + c.one + c.none == summary.by_category["violation"]
    violations = _by_category(scenario, Category.VIOLATION)
    assert sum(summary.violations.values()) == sum(len(e.rules) for e in violations)
    assert sum(summary.violations.values()) > summary.by_category["violation"]
    for (rule, party), count in summary.violations.items():
        assert count == sum(1 for e in violations if rule in e.rules and e.party == party)
    assert summary.observations == len(scenario.observations)
    text = "\n".join(format_summary(summary))
    for act in scenario.loaded.agreement.prohibited_acts:
        assert act.code in text


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**31 - 1))
def test_invariants_hold_for_any_seed(theatre: LoadedAgreement, seed: int) -> None:
    scenario = simulate(theatre, days=1, seed=seed)
    owners = Counter(o for e in scenario.truth for o in e.observation_ids)
    assert set(owners) == {o.id for o in scenario.observations}
    assert set(owners.values()) <= {1}
    assert all(o.received_at > o.observed_at for o in scenario.observations)
    assert {(e.rule, e.party) for e in scenario.truth if e.category is Category.VIOLATION} >= {
        (a.code, p) for a in scenario.loaded.agreement.prohibited_acts for p in ("BLU", "RED")
    }
    assert len({e.id for e in scenario.truth}) == len(scenario.truth)
    assert all(e.rule in e.rules for e in scenario.truth if e.category is Category.VIOLATION)
