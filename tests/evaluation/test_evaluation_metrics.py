"""Matching and metrics on a hand-built case whose every figure is worked out by hand."""

from __future__ import annotations

import random

import pytest
from evaluation_builders import data_of, determination, event, incident, observation
from hypothesis import given
from hypothesis import strategies as st

from truceline.adjudication.determination import Status
from truceline.agreement.loaded import LoadedAgreement
from truceline.errors import InputError
from truceline.evaluation.data import EvaluationData
from truceline.evaluation.matching import match
from truceline.evaluation.metrics import Quality, quality
from truceline.simulation.theatre import generate_theatre
from truceline.simulation.truth import Category

CLEAR, SUSPECTED = Status.CLEAR_BREACH, Status.SUSPECTED_BREACH


@pytest.fixture(scope="module")
def loaded() -> LoadedAgreement:
    return generate_theatre(seed=7)


# The case. Events (sources -> independence groups; the clear-breach threshold of the
# generated theatre asks for 2):
#   e0 violation CV-FIRE by RED:     o1 uav, o2 acoustic, o3 camera   (3 groups)
#   e1 violation DMZ-PRESENCE and HW-WITHDRAWAL by BLU: o4 uav, o5 camera  (2 groups)
#   e2 violation CV-FIRE by BLU:     o6 uav                           (1 group)
#   e3 violation CV-FIRE by RED:     unseen
#   e4 harvest fire:                 o7, o8
#   e5 permitted activity:           o9
#   e6 noise:                        o10
#   e7 violation CV-FIRE by RED:     o11 uav, o12 acoustic            (2 groups)
#   e8 training:                     unseen
# Determinations:
#   I1 {o1, o2}       clear CV-FIRE, RED        correct (e0)
#   I2 {o3}           clear CV-FIRE, BLU        duplicate of e0, wrongly attributed
#   I3 {o4, o5, o9}   clear DMZ-PRESENCE, BLU   correct (e1), mixed with e5
#   I4 {o6}           suspected CV-FIRE         correct (e2), unattributed
#   I5 {o7}           clear CV-FIRE             false: a harvest fire
#   I6 {o8}           no violation
#   I7 {o10}          suspected CV-FIRE         false: noise
#   I8 {o11}          suspected HW-WITHDRAWAL   e7, but the wrong rule
#   I9 {o12}          suspected CV-FIRE, RED    correct (e7); too few sources, e7 split
@pytest.fixture(scope="module")
def case(loaded: LoadedAgreement) -> tuple[EvaluationData, Quality]:
    o = {
        k: observation(f"o{k}", source)
        for k, source in {
            1: "uav-1",
            2: "acoustic-01",
            3: "camera-01",
            4: "uav-1",
            5: "camera-01",
            6: "uav-1",
            7: "uav-1",
            8: "uav-1",
            9: "uav-1",
            10: "acoustic-01",
            11: "uav-1",
            12: "acoustic-01",
        }.items()
    }
    fire = ("CV-FIRE",)
    truth = [
        event("e0", Category.VIOLATION, [o[1], o[2], o[3]], rules=fire, party="RED"),
        event(
            "e1",
            Category.VIOLATION,
            [o[4], o[5]],
            rules=("DMZ-PRESENCE", "HW-WITHDRAWAL"),
            party="BLU",
            minutes=1,
        ),
        event("e2", Category.VIOLATION, [o[6]], rules=fire, party="BLU", minutes=2),
        event("e3", Category.VIOLATION, [], rules=fire, party="RED", minutes=3),
        event("e4", Category.HARVEST_FIRE, [o[7], o[8]], minutes=4),
        event("e5", Category.PERMITTED_ACTIVITY, [o[9]], party="BLU", minutes=5),
        event("e6", Category.NOISE, [o[10]], minutes=6),
        event("e7", Category.VIOLATION, [o[11], o[12]], rules=fire, party="RED", minutes=7),
        event("e8", Category.TRAINING, [], party="RED", minutes=8),
    ]
    data = data_of(loaded, truth, list(o.values()))
    i = {
        1: incident("1", [o[1], o[2]]),
        2: incident("2", [o[3]]),
        3: incident("3", [o[4], o[5], o[9]]),
        4: incident("4", [o[6]]),
        5: incident("5", [o[7]]),
        6: incident("6", [o[8]]),
        7: incident("7", [o[10]]),
        8: incident("8", [o[11]]),
        9: incident("9", [o[12]]),
    }
    dets = [
        determination(i[1], CLEAR, fire, party="RED", sources=2, confidence=0.95),
        determination(i[2], CLEAR, fire, party="BLU", sources=2, confidence=0.95),
        determination(i[3], CLEAR, ("DMZ-PRESENCE",), party="BLU", sources=2, confidence=0.95),
        determination(i[4], SUSPECTED, fire),
        determination(i[5], CLEAR, fire, sources=2, confidence=0.95),
        determination(i[6], Status.NO_VIOLATION),
        determination(i[7], SUSPECTED, fire),
        determination(i[8], SUSPECTED, ("HW-WITHDRAWAL",), party="RED"),
        determination(i[9], SUSPECTED, fire, party="RED"),
    ]
    return data, quality(match(data, list(i.values()), dets), data)


def test_clear_breaches_are_scored_against_corroborated_violations(
    case: tuple[EvaluationData, Quality],
) -> None:
    clear = case[1].clear
    assert (clear.determinations, clear.correct, clear.duplicates) == (4, 2, 1)
    assert (clear.violations, clear.found) == (3, 2)  # e0, e1, e7; e7 is missed
    assert (clear.violations_all, clear.found_all) == (5, 2)
    assert clear.precision == pytest.approx(0.5)
    assert clear.recall == pytest.approx(2 / 3)
    assert clear.f1 == pytest.approx(4 / 7)
    assert clear.recall_all == pytest.approx(0.4)


def test_all_breaches_are_scored_against_reported_violations(
    case: tuple[EvaluationData, Quality],
) -> None:
    breach = case[1].breach
    assert (breach.determinations, breach.correct, breach.duplicates) == (8, 4, 1)
    assert (breach.violations, breach.found) == (4, 4)
    assert breach.precision == pytest.approx(0.5)
    assert breach.recall == pytest.approx(1.0)
    assert breach.f1 == pytest.approx(2 / 3)
    assert breach.recall_all == pytest.approx(0.8)


def test_false_clear_breaches_on_background(case: tuple[EvaluationData, Quality]) -> None:
    background = case[1].background
    assert (background.events, background.events_all, background.false_clear) == (2, 3, 1)
    assert background.per_10k == pytest.approx(5000.0)
    assert background.by_category == {
        "harvest_fire": {"events": 1, "seen": 1, "false_clear": 1, "false_suspected": 0},
        "permitted_activity": {"events": 1, "seen": 1, "false_clear": 0, "false_suspected": 0},
        "training": {"events": 1, "seen": 0, "false_clear": 0, "false_suspected": 0},
    }


def test_attribution_accuracy_counts_only_attributed_correct_breaches(
    case: tuple[EvaluationData, Quality],
) -> None:
    a = case[1].attribution
    assert (a.breaches, a.attributed, a.right) == (5, 4, 3)
    assert a.accuracy == pytest.approx(0.75)
    assert (a.clear_breaches, a.clear_attributed, a.clear_right) == (3, 3, 2)
    assert a.clear_accuracy == pytest.approx(2 / 3)


def test_causes_of_errors_and_fusion_counts(case: tuple[EvaluationData, Quality]) -> None:
    q = case[1]
    assert q.false_clear_by_cause == {"duplicate": 1, "harvest_fire": 1}
    assert q.missed_clear_by_cause == {"split": 1}
    assert (q.incidents, q.mixed_incidents, q.split_violations) == (9, 1, 2)


def test_a_tie_goes_to_the_earlier_event_whatever_its_category(loaded: LoadedAgreement) -> None:
    a, b = observation("a", "uav-1"), observation("b", "camera-01")
    truth = [
        event("late-violation", Category.VIOLATION, [a], rules=("CV-FIRE",), minutes=5),
        event("early-harvest", Category.HARVEST_FIRE, [b], minutes=1),
    ]
    data = data_of(loaded, truth, [a, b])
    both = incident("both", [a, b])
    matching = match(data, [both], [determination(both, Status.NO_VIOLATION)])
    assert str(data.truth.ids[matching.owner[0]]) == "early-harvest"


def test_a_breach_holding_a_violation_of_a_rule_it_names_belongs_to_it(
    loaded: LoadedAgreement,
) -> None:
    a, b, c = (
        observation("a", "uav-1"),
        observation("b", "camera-01"),
        observation("c", "acoustic-01"),
    )
    truth = [
        event("violation", Category.VIOLATION, [a], rules=("CV-FIRE",), minutes=5),
        event("harvest", Category.HARVEST_FIRE, [b, c], minutes=1),
    ]
    data = data_of(loaded, truth, [a, b, c])
    mixed = incident("mixed", [a, b, c])
    matching = match(data, [mixed], [determination(mixed, CLEAR, ("CV-FIRE",), sources=2)])
    # The harvest fire gave most reports, but the claim "CV-FIRE was broken" is true.
    assert str(data.truth.ids[matching.owner[0]]) == "violation"
    q = quality(matching, data)
    assert q.false_clear_by_cause == {}
    assert q.background.false_clear == 0
    assert q.clear.found_all == 1
    # A breach of another rule does not belong to the violation: the majority decides.
    other = match(data, [mixed], [determination(mixed, CLEAR, ("NFZ-AIR",), sources=2)])
    assert str(data.truth.ids[other.owner[0]]) == "harvest"


def test_a_determination_of_an_unknown_incident_is_refused(
    case: tuple[EvaluationData, Quality],
) -> None:
    data = case[0]
    lost = incident("lost", [observation("o1", "uav-1")])
    with pytest.raises(InputError, match="not among the incidents") as caught:
        match(data, [], [determination(lost, CLEAR)])
    assert caught.value.field == "incident_id"


def test_an_observation_outside_the_scenario_is_refused(
    case: tuple[EvaluationData, Quality],
) -> None:
    data = case[0]
    stranger = incident("stranger", [observation("never-simulated", "uav-1")])
    with pytest.raises(InputError, match="not part of the scenario") as caught:
        match(data, [stranger], [determination(stranger, CLEAR)])
    assert caught.value.field == "observation_ids"


def test_two_determinations_of_one_incident_are_refused(
    case: tuple[EvaluationData, Quality],
) -> None:
    data = case[0]
    inc = incident("twice", [observation("o1", "uav-1")])
    with pytest.raises(InputError, match="two determinations"):
        match(data, [inc], [determination(inc, CLEAR), determination(inc, SUSPECTED)])


STATUSES = list(Status)
RULES = [(), ("CV-FIRE",), ("DMZ-PRESENCE",), ("CV-FIRE", "HW-WITHDRAWAL")]


@given(
    groups=st.lists(st.integers(0, 5), min_size=12, max_size=12),
    statuses=st.lists(st.sampled_from(STATUSES), min_size=6, max_size=6),
    rules=st.lists(st.sampled_from(RULES), min_size=6, max_size=6),
    seed=st.integers(0, 1000),
)
def test_scores_are_bounded_and_do_not_depend_on_order(
    case: tuple[EvaluationData, Quality],
    groups: list[int],
    statuses: list[Status],
    rules: list[tuple[str, ...]],
    seed: int,
) -> None:
    """Any partition of the case's observations into incidents, with any determinations:
    every ratio lies in [0, 1], counts stay within their totals, and shuffling the
    incidents and determinations changes nothing."""
    data = case[0]
    ids = data.observation_ids.tolist()
    members: dict[int, list[str]] = {}
    for obs_id, group in zip(ids, groups, strict=True):
        members.setdefault(group, []).append(obs_id)
    incidents = []
    dets = []
    for group, obs_ids in sorted(members.items()):
        inc = incident(str(group), [observation("x", "uav-1")]).model_copy(
            update={"observation_ids": tuple(sorted(obs_ids))}
        )
        incidents.append(inc)
        status = statuses[group]
        broken = rules[group] if status in (CLEAR, SUSPECTED) else ()
        dets.append(determination(inc, status, broken))
    first = quality(match(data, incidents, dets), data)
    rng = random.Random(seed)
    rng.shuffle(incidents)
    rng.shuffle(dets)
    assert quality(match(data, incidents, dets), data) == first
    for detection in (first.clear, first.breach):
        assert detection.correct + detection.duplicates <= detection.determinations
        assert detection.found <= detection.violations <= detection.violations_all
        for ratio in (detection.precision, detection.recall, detection.f1, detection.recall_all):
            assert ratio is None or 0.0 <= ratio <= 1.0
    assert first.clear.found_all <= first.breach.found_all
    assert first.attribution.right <= first.attribution.attributed <= first.attribution.breaches
    assert sum(first.missed_clear_by_cause.values()) == first.clear.violations - first.clear.found
