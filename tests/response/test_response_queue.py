"""The review queue: what matters first, on real determinations of the adjudicator."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from response_support import (
    T0,
    act,
    adjudicator,
    at_km,
    judge,
    loaded_agreement,
    make_incident,
    shelling,
)

from truceline.adjudication.adjudicator import Adjudicator
from truceline.adjudication.determination import Determination, Status
from truceline.errors import InputError
from truceline.fusion.incident import Incident
from truceline.observations.model import Kind
from truceline.response.review import (
    ReviewState,
    ReviewStatus,
    Role,
    review_queue,
    review_states,
)

NOW_MINUTES = 6 * 60
NOW = T0 + timedelta(minutes=NOW_MINUTES)
SENIOR = Role.SENIOR_ANALYST


@pytest.fixture(scope="module")
def judge_with() -> Adjudicator:
    return adjudicator(loaded_agreement())


def _presence(name: str, **kwargs: Any) -> Incident:
    lon, lat = at_km(2.0, "west", lat=47.0)
    return make_incident(name, lon, lat, (Kind.ARMED_PRESENCE,), **kwargs)


NAMES = [
    "confirmed_high",
    "signed_once_high",
    "open_medium",
    "suspected_low_conf",
    "suspected_higher_conf",
    "suspected_older",
    "awaiting",
    "dismissed",
    "no_violation",
    "claimed_open_high",
]


def _case(adj: Adjudicator) -> tuple[list[Incident], list[Determination], dict[str, ReviewState]]:
    far_lon, far_lat = at_km(50.0, "west")
    incidents = {
        "confirmed_high": shelling("a"),
        "signed_once_high": shelling("b"),
        "open_medium": _presence("c"),
        "suspected_low_conf": shelling("d", confidence=0.5),
        "suspected_higher_conf": shelling("e", confidence=0.7),
        "suspected_older": shelling("f", confidence=0.7, start=T0 - timedelta(hours=2)),
        "awaiting": shelling("g"),
        "dismissed": shelling("h"),
        "no_violation": make_incident("i", far_lon, far_lat, (Kind.EXPLOSION,)),
        "claimed_open_high": shelling("j"),
    }
    assert list(incidents) == NAMES
    determinations = {key: judge(adj, inc) for key, inc in incidents.items()}
    ids = {key: inc.id for key, inc in incidents.items()}
    actions = [
        act(ids["confirmed_high"], "confirm", 1),
        act(ids["signed_once_high"], "confirm", 1),
        act(
            ids["signed_once_high"],
            "sign",
            2,
            actor="bob",
            role=SENIOR,
            determination_id=determinations["signed_once_high"].id,
        ),
        act(ids["awaiting"], "request_collection", 1, reason="another UAV pass"),
        act(ids["dismissed"], "dismiss", 1, reason="a duplicate of another report"),
        act(ids["claimed_open_high"], "claim", NOW_MINUTES - 5, actor="carol"),
    ]
    return list(incidents.values()), list(determinations.values()), review_states(actions, NOW)


def test_the_queue_puts_what_matters_first(judge_with: Adjudicator) -> None:
    incidents, determinations, states = _case(judge_with)
    names = {inc.id: name for name, inc in zip(NAMES, incidents, strict=True)}
    queue = review_queue(incidents, determinations, states, NOW)
    assert [names[e.incident_id] for e in queue] == [
        # clear breaches still to sign: high first, then the nearest to signing
        "signed_once_high",
        "confirmed_high",
        "claimed_open_high",
        "open_medium",
        # suspected breaches: higher confidence first, then the older
        "suspected_older",
        "suspected_higher_conf",
        "suspected_low_conf",
        # waiting for collection: nothing to do until it comes
        "awaiting",
    ]
    first = queue[0]
    assert first.awaiting_signature
    assert first.signed_by == ("bob",)
    assert first.review_status is ReviewStatus.SIGNED_ONCE
    claimed = next(e for e in queue if names[e.incident_id] == "claimed_open_high")
    assert claimed.claimed_by == "carol"
    assert claimed.claimed_until == NOW + timedelta(minutes=25)
    suspected = next(e for e in queue if names[e.incident_id] == "suspected_low_conf")
    assert suspected.determination_status is Status.SUSPECTED_BREACH
    assert not suspected.awaiting_signature
    assert suspected.age == NOW - (T0 + timedelta(minutes=10))


def test_the_queue_does_not_depend_on_input_order(judge_with: Adjudicator) -> None:
    incidents, determinations, states = _case(judge_with)
    expected = review_queue(incidents, determinations, states, NOW)
    rng = random.Random(3)
    for _ in range(4):
        rng.shuffle(incidents)
        rng.shuffle(determinations)
        assert review_queue(incidents, determinations, states, NOW) == expected


def test_signed_and_no_violation_incidents_leave_the_queue(judge_with: Adjudicator) -> None:
    incident = shelling("k")
    determination = judge(judge_with, incident)
    assert [e.incident_id for e in review_queue([incident], [determination], {}, NOW)] == [
        incident.id
    ]
    log = [
        act(incident.id, "confirm", 1),
        act(incident.id, "sign", 2, role=SENIOR, determination_id=determination.id),
        act(incident.id, "sign", 3, actor="bob", role=SENIOR, determination_id=determination.id),
    ]
    assert review_queue([incident], [determination], review_states(log, NOW), NOW) == []
    statuses = [Status.NO_VIOLATION]
    far = make_incident("far", *at_km(50.0, "west"), (Kind.EXPLOSION,))
    far_determination = judge(judge_with, far)
    assert far_determination.status is Status.NO_VIOLATION
    queue = review_queue([far], [far_determination], {}, NOW, statuses=statuses)
    assert [e.incident_id for e in queue] == [far.id]


def test_the_latest_agreement_version_decides(judge_with: Adjudicator) -> None:
    incident = shelling("m")
    current = judge(judge_with, incident)
    older = current.model_copy(
        update={
            "id": "det-old",
            "agreement_version": 0,
            "status": Status.NO_VIOLATION,
            "clear_breach": False,
        }
    )
    (entry,) = review_queue([incident], [older, current], {}, NOW)
    assert entry.determination_id == current.id


def test_a_determination_without_its_incident_is_refused(judge_with: Adjudicator) -> None:
    incident = shelling("n")
    with pytest.raises(InputError, match="pass the incidents of every determination") as caught:
        review_queue([], [judge(judge_with, incident)], {}, NOW)
    assert caught.value.field == "determinations"
