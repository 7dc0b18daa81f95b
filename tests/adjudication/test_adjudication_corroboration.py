"""Corroboration: independent sources that report the same incident confirm each other."""

from __future__ import annotations

import pytest
from adjudication_builders import at, incident, judge, registry

from truceline.adjudication.adjudicator import Adjudicator
from truceline.adjudication.corroboration import corroborate, corroborate_columns
from truceline.adjudication.determination import Status
from truceline.fusion.aggregate import fuse_table
from truceline.fusion.build import build_incidents
from truceline.fusion.grades import confirmed_probability, grade_probability
from truceline.observations.model import Kind
from truceline.observations.table import ObservationTable
from truceline.simulation.scenario import simulate
from truceline.simulation.theatre import generate_theatre


def test_confirmed_grades_keep_only_the_reliability_of_the_source() -> None:
    assert confirmed_probability("B2") == pytest.approx(0.85 * 0.895)
    assert confirmed_probability("C3") == pytest.approx(0.70 * 0.895)
    # Never below the grade as given: 1 is the best credibility there is.
    for grade in ("A1", "B1", "F6", "E5"):
        assert confirmed_probability(grade) >= grade_probability(grade)


def test_worked_example_drone_and_acoustic_array(adjudicator: Adjudicator) -> None:
    """B2 and C3 give 1 - 0.2775 x 0.51 = 0.858 as graded; confirmed, B1 and C1 give
    1 - (1 - 0.76075)(1 - 0.62650) = 0.911, above the threshold of 0.9."""
    case = incident(
        "drone-and-array",
        *at(3.0, "west"),
        (Kind.EXPLOSION,),
        sources=("acoustic-1", "uav-1"),
        source_grades={"acoustic-1": "C3", "uav-1": "B2"},
        confidence=1 - (1 - 0.7225) * (1 - 0.49),
    )
    assert corroborate(case, registry()).confidence == pytest.approx(
        1 - (1 - 0.85 * 0.895) * (1 - 0.70 * 0.895)
    )
    determination = judge(adjudicator, case)
    assert determination.status is Status.CLEAR_BREACH
    assert determination.confidence == pytest.approx(0.9106, abs=1e-4)
    assert "confirmed confidence 0.91 ≥ 0.90 (0.86 as graded), 2 sources ≥ 2" in (
        determination.explanation
    )


def test_one_independent_group_confirms_nothing(adjudicator: Adjudicator) -> None:
    """Two drones of one wing, and a party's own report: one independent source."""
    case = incident(
        "one-wing",
        *at(3.0, "west"),
        (Kind.EXPLOSION,),
        sources=("ua-reports", "uav-1", "uav-2"),
        source_grades={"ua-reports": "A1", "uav-1": "B2", "uav-2": "B2"},
        independent=1,
        confidence=0.7225,
        party_reporters=("UA",),
    )
    assert corroborate(case, registry()).confidence == 0.7225
    determination = judge(adjudicator, case)
    assert determination.status is Status.SUSPECTED_BREACH
    assert determination.confidence == 0.7225
    assert "as graded" not in determination.explanation


def test_a_party_channel_is_no_second_group() -> None:
    """Fusion counts the drone alone; the party's report confirms nothing either."""
    case = incident(
        "drone-and-party",
        *at(3.0, "west"),
        (Kind.EXPLOSION,),
        sources=("ua-reports", "uav-1"),
        source_grades={"ua-reports": "B2", "uav-1": "B2"},
        independent=2,  # even if a count said two, the party channel is left out
        confidence=0.7225,
    )
    assert corroborate(case, registry()).confidence == 0.7225


def test_columns_and_objects_agree_to_the_last_bit() -> None:
    loaded = generate_theatre(seed=5)
    scenario = simulate(loaded, days=2, seed=5)
    table = ObservationTable.from_observations(scenario.observations, scenario.registry())
    result = fuse_table(table)
    incidents = build_incidents(table, result)
    by_id = {i.id: i for i in incidents}
    columns = corroborate_columns(table, result)
    ordered = sorted(incidents, key=lambda i: min(i.observation_ids))
    objects = [corroborate(by_id[i.id], scenario.registry()).confidence for i in ordered]
    assert columns.tolist() == objects
    assert sum(c > i.confidence for c, i in zip(objects, ordered, strict=True)) > 0


def test_heat_alone_confirms_nothing() -> None:
    """A satellite's hot pixel beside a drone's explosion: heat is what harvest fires look
    like, so the pair stays at 1 - 0.2775 x 0.405 = 0.888 as graded; a third source, an
    acoustic array, confirms the drone, and the pixel then counts at its graded value."""
    pair = incident(
        "drone-and-pixel",
        *at(3.0, "west"),
        (Kind.EXPLOSION, Kind.THERMAL_ANOMALY),
        sources=("firms-viirs-noaa20", "uav-1"),
        source_grades={"firms-viirs-noaa20": "B3", "uav-1": "B2"},
        confidence=1 - (1 - 0.7225) * (1 - 0.595),
    )
    assert corroborate(pair, registry()).confidence == pair.confidence
    three = incident(
        "drone-array-and-pixel",
        *at(3.0, "west"),
        (Kind.EXPLOSION, Kind.THERMAL_ANOMALY),
        sources=("acoustic-1", "firms-viirs-noaa20", "uav-1"),
        source_grades={"acoustic-1": "C3", "firms-viirs-noaa20": "B3", "uav-1": "B2"},
        independent=3,
        confidence=1 - (1 - 0.7225) * (1 - 0.595) * (1 - 0.49),
    )
    assert corroborate(three, registry()).confidence == pytest.approx(
        1 - (1 - 0.85 * 0.895) * (1 - 0.70 * 0.895) * (1 - 0.595)
    )
