"""The clear-breach threshold at its boundaries, and severity with its escalation."""

from __future__ import annotations

import pytest
from adjudication_builders import at, incident, judge

from truceline.adjudication.adjudicator import Adjudicator
from truceline.adjudication.determination import Status
from truceline.adjudication.severity import assess_severity
from truceline.adjudication.threshold import assess_threshold
from truceline.agreement.model import ClearBreachThreshold, ProhibitedAct, Severity
from truceline.fusion.incident import Incident
from truceline.observations.model import Kind


def fire(name: str, confidence: float, independent: int) -> Incident:
    """A fire incident judged on the confidence given: with two sources, their grades (E5)
    are so poor that even confirmed by each other (E1, 0.40) they stay below it, so
    corroboration (test_adjudication_corroboration.py) does not raise it."""
    sources = ("acoustic-1", "uav-1") if independent >= 2 else ("uav-1",)
    grades = {"acoustic-1": "E5", "uav-1": "E5"} if independent >= 2 else {"uav-1": "B2"}
    return incident(
        name,
        *at(2.0, "west"),
        (Kind.EXPLOSION,),
        confidence=confidence,
        independent=independent,
        sources=sources,
        source_grades=grades,
    )


def test_exactly_at_the_threshold_is_a_clear_breach(adjudicator: Adjudicator) -> None:
    determination = judge(adjudicator, fire("edge", 0.90, 2))
    assert determination.clear_breach is True
    assert determination.status is Status.CLEAR_BREACH
    assert "meets the clear-breach threshold (confidence 0.90 ≥ 0.90, 2 sources ≥ 2)" in (
        determination.explanation
    )


def test_just_below_the_confidence_is_suspected(adjudicator: Adjudicator) -> None:
    determination = judge(adjudicator, fire("low", 0.89, 2))
    assert determination.clear_breach is False
    assert determination.status is Status.SUSPECTED_BREACH
    assert determination.explanation.endswith(
        "does not meet the clear-breach threshold, because confidence 0.89 < 0.90."
    )


def test_a_hair_below_shows_enough_digits(adjudicator: Adjudicator) -> None:
    determination = judge(adjudicator, fire("hair", 0.8996, 2))
    assert determination.status is Status.SUSPECTED_BREACH
    assert "confidence 0.8996 < 0.9000" in determination.explanation


def test_one_source_is_not_enough(adjudicator: Adjudicator) -> None:
    determination = judge(adjudicator, fire("single", 0.95, 1))
    assert determination.status is Status.SUSPECTED_BREACH
    assert "because 1 source < 2" in determination.explanation
    assert "observed by one independent source (UAV B2)" in determination.explanation


def test_both_conditions_failing_are_named(adjudicator: Adjudicator) -> None:
    determination = judge(adjudicator, fire("weak", 0.5, 1))
    assert "because confidence 0.50 < 0.90 and 1 source < 2" in determination.explanation


def test_minimum_severity_condition() -> None:
    threshold = ClearBreachThreshold(
        min_confidence=0.9, min_independent_sources=2, min_severity=Severity.HIGH
    )
    below = assess_threshold(
        threshold, confidence=0.95, independent_sources=3, severity=Severity.MEDIUM
    )
    above = assess_threshold(
        threshold, confidence=0.95, independent_sources=3, severity=Severity.HIGH
    )
    assert below.met is False
    assert [c.name for c in below.failing] == ["severity"]
    assert below.failing[0].words == "severity medium below high"
    assert above.met is True
    assert [c.words for c in above.conditions][-1] == "severity high ≥ high"


def test_severity_condition_is_silent_when_any_severity_will_do() -> None:
    threshold = ClearBreachThreshold(min_confidence=0.9, min_independent_sources=2)
    result = assess_threshold(
        threshold, confidence=0.9, independent_sources=2, severity=Severity.LOW
    )
    assert [c.name for c in result.conditions] == ["confidence", "independent_sources"]


def act(code: str, severity: Severity) -> ProhibitedAct:
    return ProhibitedAct(
        code=code, title=code, description=code, kinds=[Kind.EXPLOSION], severity=severity
    )


@pytest.mark.parametrize(
    ("severities", "expected"),
    [
        ([Severity.LOW], Severity.LOW),
        ([Severity.LOW, Severity.HIGH, Severity.MEDIUM], Severity.HIGH),
        ([Severity.CRITICAL, Severity.LOW], Severity.CRITICAL),
    ],
)
def test_severity_is_the_highest_of_the_rules(
    severities: list[Severity], expected: Severity
) -> None:
    acts = [act(f"A{i}", s) for i, s in enumerate(severities)]
    assessment = assess_severity(acts, [Kind.EXPLOSION])
    assert assessment.severity is expected
    assert assessment.raised_by is None


@pytest.mark.parametrize(
    ("base", "raised"),
    [
        (Severity.LOW, Severity.MEDIUM),
        (Severity.MEDIUM, Severity.HIGH),
        (Severity.HIGH, Severity.CRITICAL),
        (Severity.CRITICAL, Severity.CRITICAL),
    ],
)
def test_casualty_report_raises_severity_one_step(base: Severity, raised: Severity) -> None:
    assessment = assess_severity([act("A", base)], [Kind.EXPLOSION, Kind.CASUALTY_REPORT])
    assert assessment.severity is raised
    assert assessment.base is base


def test_no_rule_no_severity() -> None:
    assert assess_severity([], [Kind.CASUALTY_REPORT]).severity is None


def test_escalation_is_explained(adjudicator: Adjudicator) -> None:
    case = incident("hurt", *at(1.0, "east"), (Kind.ARMED_PRESENCE, Kind.CASUALTY_REPORT))
    determination = judge(adjudicator, case)
    assert determination.severity is Severity.HIGH
    assert "severity high (raised from medium by a casualty report)" in determination.explanation
