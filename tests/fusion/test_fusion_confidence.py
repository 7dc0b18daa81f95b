"""Confidence: the grade table, independence, party reports, monotone corroboration."""

from __future__ import annotations

import numpy as np
import pytest
from fusion_support import obs, observation_lists, registry
from hypothesis import given, settings
from hypothesis import strategies as st

from truceline.fusion.fuse import fuse
from truceline.fusion.grades import GRADE_PROBABILITY, grade_probability
from truceline.fusion.parameters import FusionParameters
from truceline.observations.model import Observation
from truceline.observations.table import GRADES


def test_grade_table_calibration() -> None:
    assert grade_probability("A1") == pytest.approx(0.85, abs=0.005)
    assert float(GRADE_PROBABILITY.max()) < 0.9
    b2 = grade_probability("B2")
    assert 1 - (1 - b2) ** 2 >= 0.9
    assert grade_probability("E5") < 0.05
    assert grade_probability("F6") < 0.07
    table = GRADE_PROBABILITY.reshape(6, 6)
    assert bool(np.all(np.diff(table[:5], axis=0) < 0)), "A to E: less reliable, lower p"
    assert bool(np.all(np.diff(table[:, :5], axis=1) < 0)), "1 to 5: less credible, lower p"
    assert len(GRADES) == GRADE_PROBABILITY.size


def test_one_source_alone_never_reaches_point_nine() -> None:
    for grade in GRADES:
        incident = fuse([obs("uav-1", "a", grade=grade)], registry())[0]
        assert incident.confidence < 0.9
        assert incident.confidence == pytest.approx(grade_probability(grade))


def test_two_independent_b2_sources_reach_point_nine() -> None:
    incident = fuse([obs("uav-1", "a"), obs("acoustic", "b", east_m=20.0)], registry())[0]
    assert incident.independent_sources == 2
    assert incident.confidence == pytest.approx(0.92299375)


def test_two_uavs_of_one_operator_count_once() -> None:
    incident = fuse(
        [obs("uav-1", "a", grade="B2"), obs("uav-2", "b", grade="C3", east_m=20.0)], registry()
    )[0]
    assert incident.independent_sources == 1
    assert incident.confidence == pytest.approx(grade_probability("B2"))


def test_a_uav_of_another_operator_is_independent() -> None:
    incident = fuse([obs("uav-1", "a"), obs("uav-isr", "b", east_m=20.0)], registry())[0]
    assert incident.independent_sources == 2


def test_party_reports_neither_count_nor_add_confidence() -> None:
    alone = fuse([obs("uav-1", "a")], registry())[0]
    both = fuse(
        [
            obs("uav-1", "a"),
            obs("party-ru", "p", grade="A1", east_m=10.0),
            obs("party-ua", "q", grade="A1", east_m=-10.0),
        ],
        registry(),
    )[0]
    assert both.independent_sources == 1
    assert both.confidence == alone.confidence
    assert both.party_reporters == ("RU", "UA")
    only_party = fuse([obs("party-ru", "p", grade="A1")], registry())[0]
    assert (only_party.independent_sources, only_party.confidence) == (0, 0.0)


def test_poor_grades_add_little() -> None:
    base = fuse([obs("uav-1", "a")], registry())[0].confidence
    for grade in ("E5", "F6"):
        more = fuse([obs("uav-1", "a"), obs("osint", "b", grade=grade)], registry())[0]
        assert more.independent_sources == 2
        assert 0 < more.confidence - base < 0.02


def _vague(observation: Observation, params: FusionParameters) -> bool:
    return (
        observation.location_uncertainty_m > params.vague_location_m
        or observation.time_uncertainty_s > params.vague_time_s
    )


@settings(max_examples=60, deadline=None)
@given(observation_lists(max_size=20, min_size=1), st.data())
def test_adding_an_observation_never_lowers_confidence(
    batch: list[Observation], data: st.DataObject
) -> None:
    """The incident the new observation joins holds whole every earlier incident of its
    precise members (and, when the newcomer is vague, every earlier incident of all its
    members), so its confidence is at least theirs. Any other incident can only have lost
    vague observations to it (a vague report that now fits it better, or one that now fits
    a precise group); that is the one way an incident's confidence can fall."""
    params = FusionParameters()
    extra = data.draw(observation_lists(max_size=1, min_size=1))[0]
    extra = extra.model_copy(update={"source_ref": "extra", "id": "obs-extra"})
    before = fuse(batch, registry(), params)
    after = fuse([*batch, extra], registry(), params)
    vague = {o.id for o in [*batch, extra] if _vague(o, params)}
    joined = next(i for i in after if extra.id in i.observation_ids)
    held = set(joined.observation_ids)
    for incident in before:
        members = set(incident.observation_ids)
        if members <= held:
            assert joined.confidence >= incident.confidence
            continue
        if not members & held:
            assert incident in after, "an incident that loses nothing is unchanged"
            continue
        assert extra.id not in vague, "a vague newcomer changes no other incident"
        assert members & held <= vague, "only vague observations leave an incident"
        for other in after:
            if other is not joined and members & set(other.observation_ids):
                assert set(other.observation_ids) <= members, "what is left only splits"
    for oid in held - vague - {extra.id}:
        earlier = next(i for i in before if oid in i.observation_ids)
        assert set(earlier.observation_ids) <= held
