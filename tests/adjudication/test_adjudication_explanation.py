"""Explanations: the facts and the rule, in plain words, and the wording helpers."""

from __future__ import annotations

import pytest
from adjudication_builders import at, incident, judge, loaded_agreement

from truceline.adjudication.adjudicator import Adjudicator
from truceline.adjudication.naming import zone_name
from truceline.adjudication.wording import (
    activity_words,
    compared,
    hours,
    join_words,
    km,
    lower_first,
    number_word,
)
from truceline.observations.model import Kind

EXAMPLE = (
    "Three explosions observed by two independent sources (UAV B2, acoustic A2) 4.2 km west "
    "of the line in the demilitarised buffer, on the Ukrainian-held side; direction of fire "
    "from the east, from Russian-held territory; attributed to RU; breaks rule CV-FIRE "
    "(Firing across the line), severity high; meets the clear-breach threshold (confidence "
    "0.93 ≥ 0.90, 2 sources ≥ 2)."
)


def test_the_whole_explanation_of_a_clear_breach(adjudicator: Adjudicator) -> None:
    case = incident(
        "example",
        *at(4.2, "west"),
        (Kind.EXPLOSION,),
        fire_from_bearing_deg=90.0,
        kind_counts={"explosion": 3},
    )
    assert judge(adjudicator, case).explanation == EXAMPLE


def test_counts_above_ten_are_digits_and_kinds_are_listed(adjudicator: Adjudicator) -> None:
    case = incident(
        "barrage",
        *at(2.0, "west"),
        (Kind.EXPLOSION, Kind.IMPACT, Kind.DAMAGE),
        kind_counts={"explosion": 12, "impact": 1, "damage": 2},
    )
    explanation = judge(adjudicator, case).explanation
    assert explanation.startswith("12 explosions, one impact and two reports of damage observed")


def test_on_the_line(adjudicator: Adjudicator) -> None:
    case = incident("on-line", 36.0, 48.0, (Kind.SMALL_ARMS_FIRE,))
    explanation = judge(adjudicator, case).explanation
    assert explanation.startswith("A burst of small-arms fire observed by two independent")
    assert " on the line in the demilitarised buffer, on the " in explanation


def test_dependent_sources_are_counted_apart(adjudicator: Adjudicator) -> None:
    case = incident(
        "twins", *at(1.0, "east"), (Kind.MOVEMENT,), sources=("uav-1", "uav-2"), independent=1
    )
    explanation = judge(adjudicator, case).explanation
    assert "observed by two sources, one of them independent (UAV B2, UAV B2)" in explanation


def test_unregistered_source_is_named(adjudicator: Adjudicator) -> None:
    case = incident(
        "stranger", *at(1.0, "east"), (Kind.MOVEMENT,), sources=("x-feed",), independent=1
    )
    assert "(unregistered source x-feed)" in judge(adjudicator, case).explanation


def test_grades_come_from_the_incident_first(adjudicator: Adjudicator) -> None:
    case = incident(
        "graded",
        *at(1.0, "east"),
        (Kind.MOVEMENT,),
        source_grades={"acoustic-1": "A1", "uav-1": "C3"},
    )
    assert "(UAV C3, acoustic A1)" in judge(adjudicator, case).explanation


def test_zone_names() -> None:
    agreement = loaded_agreement().agreement
    assert zone_name(agreement, "buffer", "UA") == "the demilitarised buffer"
    assert zone_name(agreement, "withdrawal:mlrs", "RU") == (
        "the 35 km withdrawal band for MLRS such as BM-21 Grad"
    )
    assert zone_name(agreement, "nfz-north", "UA") == "the Northern no-fly zone"
    assert zone_name(agreement, "nowhere", "UA") == "zone nowhere"


@pytest.mark.parametrize(
    ("n", "words"), [(0, "zero"), (1, "one"), (7, "seven"), (10, "ten"), (11, "11"), (250, "250")]
)
def test_number_words(n: int, words: str) -> None:
    assert number_word(n) == words


def test_wording_helpers() -> None:
    assert join_words([]) == ""
    assert join_words(["a"]) == "a"
    assert join_words(["a", "b", "c"]) == "a, b and c"
    assert join_words(["a", "b"], serial=True) == "a, and b"
    assert km(4249.0) == "4.2 km"
    assert km(0.0) == "0.0 km"
    assert hours(3.0) == "3 h"
    assert hours(2.5) == "2.5 h"
    assert lower_first("Artillery of 100 mm") == "artillery of 100 mm"
    assert lower_first("MLRS") == "MLRS"
    assert activity_words("TROOP-ROTATION") == "troop rotation"


@pytest.mark.parametrize(
    ("value", "limit", "expected"),
    [
        (0.93, 0.9, ("0.93", "0.90")),
        (0.9, 0.9, ("0.90", "0.90")),
        (0.8996, 0.9, ("0.8996", "0.9000")),
        (0.899999, 0.9, ("0.899999", "0.900000")),
    ],
)
def test_compared_numbers_never_look_equal_when_they_differ(
    value: float, limit: float, expected: tuple[str, str]
) -> None:
    assert compared(value, limit) == expected


def test_malformed_grades_fall_back_to_the_registry(adjudicator: Adjudicator) -> None:
    case = incident(
        "odd-grades",
        *at(1.0, "east"),
        (Kind.MOVEMENT,),
        source_grades={"acoustic-1": "excellent; trust me", "uav-1": 7},
    )
    assert "(UAV B2, acoustic A2)" in judge(adjudicator, case).explanation
