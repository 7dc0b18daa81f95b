"""Explanations: the facts and the rule, in plain words, and the wording helpers."""

from __future__ import annotations

import pytest
from adjudication_builders import at, incident, judge, loaded_agreement
from hypothesis import given, settings
from hypothesis import strategies as st

from truceline.adjudication.adjudicator import Adjudicator
from truceline.adjudication.naming import zone_name
from truceline.adjudication.wording import (
    activity_words,
    compared,
    distance,
    distances_compared,
    hours_compared,
    join_words,
    lower_first,
    number_word,
)
from truceline.observations.model import Kind

EXAMPLE = (
    "Three explosions observed by two independent sources (UAV B2, acoustic A2) 4.2 km west "
    "of the line in the demilitarised buffer, on the Ukrainian-held side; direction of fire "
    "from the east, from Russian-held territory; attributed to RU; breaks rule CV-FIRE "
    "(Firing across the line), severity high; meets the clear-breach threshold (confirmed "
    "confidence 0.96 ≥ 0.90 (0.93 as graded), 2 sources ≥ 2)."
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
    assert "observed by one independent source (UAV B2 (two sources, one operator))" in (
        explanation
    )


def test_listed_sources_match_the_independent_count(adjudicator: Adjudicator) -> None:
    case = incident(
        "three-sensors",
        *at(1.0, "east"),
        (Kind.MOVEMENT,),
        sources=("acoustic-1", "uav-1", "uav-2"),
        source_grades={"acoustic-1": "A2", "uav-1": "B2", "uav-2": "C3"},
    )
    explanation = judge(adjudicator, case).explanation
    assert (
        "observed by two independent sources (UAV B2/C3 (two sources, one operator), acoustic A2)"
    ) in explanation


def test_a_count_that_does_not_match_the_sources_is_stated(adjudicator: Adjudicator) -> None:
    case = incident("uncounted", *at(1.0, "east"), (Kind.MOVEMENT,), independent=3)
    explanation = judge(adjudicator, case).explanation
    assert (
        "observed by two sources, counted as three independent sources (UAV B2, acoustic A2)"
    ) in explanation


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
    assert zone_name(agreement, "nfz-north", "UA") == "the northern no-fly zone"
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
    assert distance(4249.0) == "4.2 km"
    assert distance(99.4) == "99 m"
    assert distance(0.0) == "0 m"
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


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("No-fly zone 1", "the no-fly zone 1"),
        ("The Northern no-fly zone", "the northern no-fly zone"),
        ("Black Sea maritime exclusion zone", "the Black Sea maritime exclusion zone"),
        ("MEZ of the south", "the MEZ of the south"),
    ],
)
def test_zone_names_read_mid_sentence(name: str, expected: str) -> None:
    data = loaded_agreement().agreement.model_dump(mode="json")
    data["zones"]["exclusions"][0]["name"] = name
    agreement = type(loaded_agreement().agreement).model_validate(data)
    assert zone_name(agreement, "nfz-north", "UA") == expected


@pytest.mark.parametrize(
    ("value", "limit", "expected"),
    [
        (23.96, 24.0, ("23 h 58 min", "24 h")),
        (72.04, 72.0, ("72 h 2 min", "72 h")),
        (24.0, 24.0, ("24 h", "24 h")),
        (3.0, 24.0, ("3 h", "24 h")),
        (2.5, 24.0, ("2.5 h", "24 h")),
        (23.9999, 24.0, ("23.9999 h", "24 h")),
    ],
)
def test_compared_hours_never_look_equal_when_they_differ(
    value: float, limit: float, expected: tuple[str, str]
) -> None:
    assert hours_compared(value, limit) == expected


@pytest.mark.parametrize(
    ("value", "limit", "expected"),
    [
        (30_040.0, 30_000.0, ("30.04 km", "30.00 km")),
        (45_000.0, 30_000.0, ("45.0 km", "30.0 km")),
        (30.0, 0.0, ("30 m", "0 m")),
        (100.4, 100.0, ("0.1004 km", "0.1000 km")),
        (30_000.0, 30_000.0, ("30.0 km", "30.0 km")),
    ],
)
def test_compared_distances_never_look_equal_when_they_differ(
    value: float, limit: float, expected: tuple[str, str]
) -> None:
    assert distances_compared(value, limit) == expected


@given(value=st.floats(0.0, 100_000.0), limit=st.floats(0.0, 100_000.0))
@settings(max_examples=200)
def test_compared_words_differ_exactly_when_the_numbers_do(value: float, limit: float) -> None:
    shown, allowed = distances_compared(value, limit)
    assert (shown != allowed) == (abs(value - limit) > 1e-6)
    shown, allowed = hours_compared(value / 1000.0, limit / 1000.0)
    assert (shown != allowed) == (abs(value - limit) / 1000.0 > 1e-9)
