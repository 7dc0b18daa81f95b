"""Invariants of batch fusion, checked on random observations."""

from __future__ import annotations

from random import Random

from fusion_support import observation_lists, registry
from hypothesis import given, settings
from hypothesis import strategies as st

from truceline.fusion.fuse import fuse
from truceline.fusion.incident import Incident
from truceline.fusion.parameters import DEFAULT
from truceline.observations.model import Observation


@settings(max_examples=60, deadline=None)
@given(observation_lists(max_size=30), st.randoms(use_true_random=False))
def test_any_order_gives_the_same_incidents(batch: list[Observation], random: Random) -> None:
    shuffled = list(batch)
    random.shuffle(shuffled)
    assert fuse(shuffled, registry()) == fuse(batch, registry())


@settings(max_examples=40, deadline=None)
@given(observation_lists(max_size=25), st.data())
def test_sending_observations_again_changes_nothing(
    batch: list[Observation], data: st.DataObject
) -> None:
    again = data.draw(st.lists(st.sampled_from(batch), max_size=10)) if batch else []
    assert fuse([*batch, *again], registry()) == fuse(batch, registry())


@settings(max_examples=60, deadline=None)
@given(observation_lists(max_size=30))
def test_incidents_partition_the_observations_and_never_mix_kinds_or_domains(
    batch: list[Observation],
) -> None:
    incidents = fuse(batch, registry())
    by_id = {o.id: o for o in batch}
    held = [oid for incident in incidents for oid in incident.observation_ids]
    assert sorted(held) == sorted(by_id)
    group_of = {kind: n for n, group in enumerate(DEFAULT.kind_groups) for kind in group}
    for incident in incidents:
        members = [by_id[oid] for oid in incident.observation_ids]
        assert {o.domain for o in members} == {incident.domain}
        assert len({group_of[o.kind] for o in members}) == 1
        assert incident.kinds == tuple(sorted({o.kind for o in members}))
        assert incident.primary_kind in incident.kinds
        assert incident.start <= incident.end
        assert 0.0 <= incident.confidence < 1.0
        assert sum(incident.attributes["kind_counts"].values()) == len(members)
        assert incident.source_ids == tuple(sorted({o.source_id for o in members}))
        assert Incident.model_validate(incident.model_dump()) == incident
