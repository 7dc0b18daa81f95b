"""The review workflow: every transition, every refusal, the two-person rule, lock expiry,
merges and splits, and the fold's determinism."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from response_support import T0, act, signing

from truceline.errors import InputError
from truceline.fusion.build import incident_id as fused_incident_id
from truceline.response.review import (
    FINAL_STATUSES,
    ReviewAction,
    ReviewActionKind,
    ReviewError,
    ReviewPolicy,
    ReviewState,
    ReviewStatus,
    Role,
    apply,
    review_state,
    review_states,
)

INC = "inc-aaaa"
DET = "det-1111"
SENIOR = Role.SENIOR_ANALYST
NOW = T0 + timedelta(days=1)


def fold(*actions: ReviewAction, now_minutes: float = 24 * 60) -> ReviewState:
    return review_state(actions, T0 + timedelta(minutes=now_minutes))


def refused(state: ReviewState, action: ReviewAction, field: str, words: str) -> ReviewError:
    with pytest.raises(ReviewError) as caught:
        apply(state, action)
    assert caught.value.field == field, str(caught.value)
    assert words in str(caught.value), str(caught.value)
    assert isinstance(caught.value, InputError)
    return caught.value


def fold_empty() -> ReviewState:
    return ReviewState(incident_id=INC)


def confirmed() -> ReviewState:
    return fold(act(INC, "confirm", 0))


def signed_once() -> ReviewState:
    return fold(
        act(INC, "confirm", 0),
        act(INC, "sign", 1, role=SENIOR, determination_id=DET),
    )


# --- claims and locks ---------------------------------------------------------------------


def test_a_claim_locks_the_incident_for_thirty_minutes() -> None:
    state = fold(act(INC, "claim", 0), now_minutes=10)
    assert state.status is ReviewStatus.OPEN
    assert state.lock is not None
    assert state.lock.actor == "alice"
    assert state.lock.until == T0 + timedelta(minutes=30)
    assert state.claimed_by(T0 + timedelta(minutes=29)) == "alice"
    assert state.claimed_by(T0 + timedelta(minutes=30)) is None
    assert "claimed by alice until 2026-02-01 12:30 UTC" in state.describe(T0)


def test_claiming_again_renews_the_claim() -> None:
    state = fold(act(INC, "claim", 0), act(INC, "claim", 20), now_minutes=25)
    assert state.lock is not None
    assert state.lock.until == T0 + timedelta(minutes=50)


def test_another_analyst_cannot_claim_or_act_while_the_claim_holds() -> None:
    state = fold(act(INC, "claim", 0), now_minutes=10)
    error = refused(state, act(INC, "claim", 10, actor="bob"), "actor", "claimed by alice (JCC)")
    assert "ask alice to release it, or wait until the claim lapses" in str(error)
    refused(state, act(INC, "confirm", 10, actor="bob"), "actor", "claimed by alice")
    refused(state, act(INC, "dismiss", 10, actor="bob", reason="harvest fire"), "actor", "claimed")


def test_a_lapsed_claim_does_not_block_and_is_dropped_from_the_state() -> None:
    claimed = fold(act(INC, "claim", 0), now_minutes=10)
    taken = apply(claimed, act(INC, "claim", 31, actor="bob"))
    assert taken.lock is not None
    assert taken.lock.actor == "bob"
    later = fold(act(INC, "claim", 0), now_minutes=45)
    assert later.lock is None
    assert "claimed" not in later.describe(T0 + timedelta(minutes=45))


def test_the_lock_duration_is_configurable() -> None:
    policy = ReviewPolicy(lock_duration=timedelta(minutes=5))
    state = review_state([act(INC, "claim", 0)], T0 + timedelta(minutes=1), policy=policy)
    assert state.lock is not None
    assert state.lock.until == T0 + timedelta(minutes=5)
    after = apply(state, act(INC, "claim", 6, actor="bob"), policy)
    assert after.lock is not None
    assert after.lock.actor == "bob"


def test_release_by_the_holder_and_refusals() -> None:
    state = fold(act(INC, "claim", 0), now_minutes=10)
    released = apply(state, act(INC, "release", 5))
    assert released.lock is None
    refused(released, act(INC, "release", 6), "action", "not claimed; there is nothing to release")
    refused(state, act(INC, "release", 5, actor="bob"), "actor", "claimed by alice")
    refused(state, act(INC, "release", 5, actor="carol", role=SENIOR), "reason", "needs a reason")
    broken = apply(
        state, act(INC, "release", 5, actor="carol", role=SENIOR, reason="alice is off shift")
    )
    assert broken.lock is None
    assert broken.history[-1].reason == "alice is off shift"


def test_a_decision_ends_the_deciders_own_claim_but_not_anothers() -> None:
    state = apply(fold(act(INC, "claim", 0), now_minutes=1), act(INC, "confirm", 2))
    assert state.lock is None
    # A claim taken after a lapse by bob stays with bob while alice's old one is gone.
    other = fold(act(INC, "claim", 0, actor="bob"), act(INC, "confirm", 40), now_minutes=41)
    assert other.lock is None


# --- deciding ---------------------------------------------------------------------------


def test_confirm_records_who_and_when() -> None:
    state = fold(act(INC, "claim", 0), act(INC, "confirm", 3))
    assert state.status is ReviewStatus.CONFIRMED
    assert state.confirmed_by == "alice"
    assert state.confirmed_at == T0 + timedelta(minutes=3)
    assert [a.action for a in state.history] == [ReviewActionKind.CLAIM, ReviewActionKind.CONFIRM]
    assert all(a.actor == "alice" and a.actor_org == "JCC" for a in state.history)


def test_confirming_twice_or_after_a_signature_is_refused() -> None:
    refused(confirmed(), act(INC, "confirm", 5), "action", "it is confirmed; it needs signatures")
    refused(signed_once(), act(INC, "confirm", 5, actor="bob"), "action", "a second signature")


@pytest.mark.parametrize("start", ["open", "confirmed", "awaiting", "signed_once"])
def test_dismiss_needs_a_reason_and_ends_the_review(start: str) -> None:
    states = {
        "open": fold_empty(),
        "confirmed": confirmed(),
        "awaiting": fold(act(INC, "request_collection", 0, reason="another UAV pass")),
        "signed_once": signed_once(),
    }
    state = states[start]
    refused(state, act(INC, "dismiss", 10, actor="bob"), "reason", "a dismissal needs a reason")
    done = apply(state, act(INC, "dismiss", 10, actor="bob", reason="harvest fire, seen on SAR"))
    assert done.status is ReviewStatus.DISMISSED
    assert done.dismissal_reason == "harvest fire, seen on SAR"
    assert done.is_final


def test_request_collection_needs_a_reason_and_cannot_be_repeated() -> None:
    state = fold_empty()
    refused(state, act(INC, "request_collection", 1), "reason", "say what should be collected")
    waiting = apply(state, act(INC, "request_collection", 1, reason="acoustic array log"))
    assert waiting.status is ReviewStatus.AWAITING_COLLECTION
    assert waiting.collection_request == "acoustic array log"
    refused(
        waiting,
        act(INC, "request_collection", 2, reason="again"),
        "action",
        "collection is already requested",
    )
    back = apply(waiting, act(INC, "confirm", 3))
    assert back.status is ReviewStatus.CONFIRMED
    assert back.collection_request is None


def test_requesting_collection_after_one_signature_voids_it() -> None:
    state = apply(signed_once(), act(INC, "request_collection", 5, actor="bob", reason="UAV"))
    assert state.status is ReviewStatus.AWAITING_COLLECTION
    assert state.signatures == ()
    assert state.confirmed_by is None


# --- the two-person rule ---------------------------------------------------------------


def test_two_different_reviewers_sign_a_clear_breach() -> None:
    state = fold(*signing(INC, DET))
    assert state.status is ReviewStatus.SIGNED
    assert [s.actor for s in state.signatures] == ["alice", "bob"]
    assert state.signed_at == T0 + timedelta(minutes=50)
    assert state.signed_determination_id == DET
    assert state.is_final


def test_signing_refusals() -> None:
    refused(
        confirmed(),
        act(INC, "sign", 2, determination_id=DET),
        "role",
        "the role analyst may not sign incidents; this takes the role senior_analyst",
    )
    refused(
        fold_empty(),
        act(INC, "sign", 2, role=SENIOR, determination_id=DET),
        "action",
        "it is open; confirm it before signing",
    )
    refused(
        fold(act(INC, "request_collection", 0, reason="more")),
        act(INC, "sign", 2, role=SENIOR, determination_id=DET),
        "action",
        "confirm it when the collection is in",
    )
    refused(confirmed(), act(INC, "sign", 2, role=SENIOR), "payload.determination_id", "names")
    refused(
        signed_once(),
        act(INC, "sign", 5, role=SENIOR, determination_id=DET),
        "actor",
        "alice has already signed it; a clear breach needs the signatures of two different",
    )
    refused(
        signed_once(),
        act(INC, "sign", 5, actor="bob", role=SENIOR, determination_id="det-2222"),
        "payload.determination_id",
        "both signatures must be of the same determination",
    )


def test_distinct_organisations_can_be_required() -> None:
    policy = ReviewPolicy(signers_from_distinct_orgs=True)
    state = signed_once()
    same_org = act(INC, "sign", 5, actor="bob", role=SENIOR, determination_id=DET)
    with pytest.raises(ReviewError) as caught:
        apply(state, same_org, policy)
    assert caught.value.field == "actor_org"
    other_org = act(INC, "sign", 5, actor="bob", org="FR-MOD", role=SENIOR, determination_id=DET)
    assert apply(state, other_org, policy).status is ReviewStatus.SIGNED


def test_a_liaison_officer_does_not_review() -> None:
    refused(
        fold_empty(),
        act(INC, "claim", 0, actor="lo-fr", role=Role.LIAISON),
        "role",
        "the role liaison may not claim incidents",
    )


# --- final states ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(ReviewActionKind))
def test_nothing_is_done_to_a_signed_incident(kind: ReviewActionKind) -> None:
    state = fold(*signing(INC, DET))
    action = act(INC, kind.value, 60, actor="carol", role=SENIOR, reason="x", determination_id=DET)
    refused(state, action, "action", "it is already signed by two reviewers; its review is over")


def test_merge_bookkeeping_on_both_sides() -> None:
    target = "inc-bbbb"
    state = fold_empty()
    refused(state, act(INC, "merge", 1), "payload.into", "names the incident it joins")
    refused(state, act(INC, "merge", 1, into=INC), "payload.into", "cannot be merged into itself")
    merged = apply(state, act(INC, "merge", 1, into=target))
    assert merged.status is ReviewStatus.MERGED
    assert merged.merged_into == target
    refused(merged, act(INC, "confirm", 2), "action", f"act on {target} instead")
    states = review_states(
        [act(INC, "merge", 1, into=target), act("inc-cccc", "merge", 2, into=target)], NOW
    )
    assert states[target].merged_from == ("inc-aaaa", "inc-cccc")
    assert states[target].status is ReviewStatus.OPEN
    assert states[INC].merged_into == target


def test_merging_into_an_incident_whose_review_was_over_is_refused() -> None:
    target = "inc-bbbb"
    with pytest.raises(ReviewError) as caught:
        review_states(
            [
                act(target, "dismiss", 1, actor="bob", reason="duplicate"),
                act(INC, "merge", 2, into=target),
            ],
            NOW,
        )
    assert caught.value.field == "payload.into"
    assert "inc-bbbb was already dismissed by then (bob" in str(caught.value)
    # Merging first, dismissing the target afterwards, is a different story.
    states = review_states(
        [
            act(INC, "merge", 1, into=target),
            act(target, "dismiss", 2, actor="bob", reason="not a breach"),
        ],
        NOW,
    )
    assert states[target].merged_from == (INC,)


def test_split_names_the_new_incidents_as_fusion_does() -> None:
    state = fold_empty()
    refused(state, act(INC, "split", 1, groups=[["o1", "o2"]]), "payload.groups", "two")
    refused(
        state,
        act(INC, "split", 1, groups=[["o1", "o2"], ["o2", "o3"]]),
        "payload.groups",
        "observation o2 is in groups 0 and 1",
    )
    done = apply(state, act(INC, "split", 1, groups=[["o4", "o3"], ["o2", "o1"]]))
    assert done.status is ReviewStatus.SPLIT
    assert done.split_groups == (("o1", "o2"), ("o3", "o4"))
    assert done.split_into == (fused_incident_id("o1"), fused_incident_id("o3"))
    refused(done, act(INC, "claim", 2), "action", "act on those instead")


# --- the log itself -----------------------------------------------------------------------


def test_action_ids_derive_from_content() -> None:
    first = act(INC, "dismiss", 1, reason="harvest fire")
    assert first == act(INC, "dismiss", 1, reason="harvest fire")
    assert first.id.startswith("rev-")
    assert len(first.id) == 28
    assert first.id != act(INC, "dismiss", 1, reason="a duplicate").id
    assert first.id != act(INC, "dismiss", 2, reason="harvest fire").id


def test_log_refusals() -> None:
    state = fold(act(INC, "claim", 10), now_minutes=11)
    refused(state, act("inc-other", "claim", 12), "incident_id", "not inc-aaaa")
    refused(state, act(INC, "confirm", 5), "at", "earlier than the last action")
    refused(state, state.history[0], "id", "already recorded")
    with pytest.raises(ReviewError, match="after now") as future:
        review_state([act(INC, "claim", 90)], T0)
    assert future.value.field == "at"
    with pytest.raises(ReviewError, match="folds the actions of one incident"):
        review_state([act(INC, "claim", 1), act("inc-other", "claim", 1)], NOW)
    with pytest.raises(ReviewError, match="needs an incident_id"):
        review_state([], NOW)
    assert review_state([], NOW, incident_id=INC).status is ReviewStatus.OPEN
    clash = act(INC, "claim", 1).model_copy(update={"actor": "mallory"})
    with pytest.raises(ReviewError, match="share the id") as same_id:
        review_state([act(INC, "claim", 1), clash], NOW)
    assert same_id.value.field == "id"


def test_a_replayed_action_is_recorded_once() -> None:
    claim = act(INC, "claim", 1)
    assert fold(claim, claim, act(INC, "confirm", 2)) == fold(claim, act(INC, "confirm", 2))


def test_the_fold_does_not_depend_on_the_order_actions_arrive_in() -> None:
    log = [
        act(INC, "request_collection", 0, reason="UAV pass"),
        *signing(INC, DET, start=10),
    ]
    expected = fold(*log)
    rng = random.Random(7)
    for _ in range(5):
        shuffled = log[:]
        rng.shuffle(shuffled)
        assert fold(*shuffled) == expected


_ACTORS = [("alice", Role.ANALYST), ("bob", SENIOR), ("carol", SENIOR), ("lo", Role.LIAISON)]


@st.composite
def _random_log(draw: st.DrawFn) -> list[ReviewAction]:
    count = draw(st.integers(min_value=1, max_value=25))
    minutes = 0.0
    log = []
    for _ in range(count):
        minutes += draw(st.sampled_from([0.0, 1.0, 7.0, 31.0]))
        actor, role = draw(st.sampled_from(_ACTORS))
        kind = draw(st.sampled_from(list(ReviewActionKind)))
        payload: dict[str, Any] = {}
        if kind is ReviewActionKind.SIGN:
            payload["determination_id"] = draw(st.sampled_from([DET, "det-2222"]))
        if kind is ReviewActionKind.MERGE:
            payload["into"] = "inc-bbbb"
        if kind is ReviewActionKind.SPLIT:
            payload["groups"] = [["o1"], ["o2"]]
        reason = draw(st.sampled_from([None, "because"]))
        log.append(act(INC, kind.value, minutes, actor=actor, role=role, reason=reason, **payload))
    return log


@settings(max_examples=150)
@given(_random_log())
def test_whatever_is_tried_the_workflow_keeps_its_invariants(log: list[ReviewAction]) -> None:
    state = ReviewState(incident_id=INC)
    refusals: list[ReviewError] = []
    for action in log:
        before = state
        try:
            state = apply(state, action)
        except ReviewError as error:
            refusals.append(error)
            continue
        # Only allowed roles act; a final status is never left.
        assert action.role is not Role.LIAISON
        assert before.status not in FINAL_STATUSES
        if action.action is ReviewActionKind.SIGN:
            assert action.role is SENIOR
    # Every refusal names the field at fault.
    assert all(error.field for error in refusals)
    signers = [s.actor for s in state.signatures]
    assert len(signers) == len(set(signers))
    assert len({s.determination_id for s in state.signatures}) <= 1
    if state.status is ReviewStatus.SIGNED:
        assert len(signers) == 2
        assert state.confirmed_by is not None
    if state.status is ReviewStatus.SIGNED_ONCE:
        assert len(signers) == 1
    assert len(state.history) <= len(log)
    assert [a.at for a in state.history] == sorted(a.at for a in state.history)
