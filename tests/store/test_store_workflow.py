"""The cell's workflow in the store, on SQLite and PostgreSQL: review actions recorded with
their check in one transaction (two people claiming at once: exactly one wins), alert
messages and their threads, members' responses and receipts of pre-notifications — all
append-only and idempotent."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_helpers import emptied

from truceline.access.policy import ReadFilter
from truceline.agreement.receipts import NoticeReceipt
from truceline.errors import StoreError
from truceline.response.cap import (
    Alert,
    CapSeverity,
    CapStatus,
    Category,
    Certainty,
    Info,
    MsgType,
    Scope,
    Urgency,
    cancel_alert,
    update_alert,
)
from truceline.response.protocol import Response
from truceline.response.records import AlertRecord
from truceline.response.review import (
    ReviewAction,
    ReviewError,
    ReviewStatus,
    Role,
    review_state,
)
from truceline.store import Store, open_store

T0 = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)


def act(
    incident: str,
    action: str,
    seconds: float,
    *,
    actor: str = "alice",
    role: Role = Role.SENIOR_ANALYST,
    reason: str | None = None,
    **payload: object,
) -> ReviewAction:
    return ReviewAction.create(
        incident_id=incident,
        actor=actor,
        actor_org="JCC",
        role=role,
        action=action,
        at=T0 + timedelta(seconds=seconds),
        reason=reason,
        payload=payload or None,
    )


def alert(name: str, minutes: float = 0.0) -> Alert:
    return Alert(
        identifier=f"truceline-{name}",
        sender="cell@monitoring.example",
        sent=T0 + timedelta(minutes=minutes),
        status=CapStatus.EXERCISE,
        msg_type=MsgType.ALERT,
        scope=Scope.RESTRICTED,
        restriction="The coordination cell and every coalition member",
        incidents=(f"inc-{name}",),
        info=(
            Info(
                categories=(Category.SECURITY,),
                event="Ceasefire breach",
                urgency=Urgency.IMMEDIATE,
                severity=CapSeverity.SEVERE,
                certainty=Certainty.OBSERVED,
                headline=f"Clear breach {name}",
            ),
        ),
    )


def record(message: Alert, thread: str | None = None, marking: str = "cell+members") -> AlertRecord:
    return AlertRecord.of(
        message,
        thread=thread,
        determination_id=f"det-{message.incidents[0]}",
        releasability=marking,
        members=["UK", "FR"],
    )


def test_review_actions_are_recorded_checked_and_read_back_in_order(store_target: str) -> None:
    with open_store(store_target) as store:
        claim = act("inc-a", "claim", 1, actor="alice", role=Role.ANALYST)
        state, recorded = store.add_review_action(claim)
        assert recorded
        assert state.claimed_by(claim.at) == "alice"
        # the same action again: recorded once, same state
        again, recorded = store.add_review_action(claim)
        assert not recorded
        assert again == state
        # someone else acting while alice's claim holds is refused, naming the holder
        with pytest.raises(ReviewError, match="claimed by alice") as refused:
            store.add_review_action(act("inc-a", "confirm", 2, actor="bob"))
        assert refused.value.field == "actor"
        # an action not later than the last one is refused: resend with the time of now
        with pytest.raises(ReviewError, match="at the same time or later") as late:
            store.add_review_action(act("inc-a", "confirm", 1, actor="alice"))
        assert late.value.field == "at"
        confirm = act("inc-a", "confirm", 3, actor="alice", role=Role.ANALYST)
        state, _ = store.add_review_action(confirm)
        assert state.status is ReviewStatus.CONFIRMED
        other = act("inc-b", "dismiss", 4, reason="harvest fire")
        store.add_review_action(other)
        assert store.review_actions(["inc-a"]) == [claim, confirm]
        assert store.review_actions() == [claim, confirm, other]
        assert store.review_actions(["inc-a", "inc-b", "inc-zz"]) == [claim, confirm, other]


def test_a_merge_is_read_from_both_incidents_and_refused_into_a_closed_one(
    store_target: str,
) -> None:
    with open_store(store_target) as store:
        store.add_review_action(act("inc-b", "dismiss", 1, reason="duplicate"))
        with pytest.raises(ReviewError, match="inc-b is already dismissed") as refused:
            store.add_review_action(act("inc-a", "merge", 2, into="inc-b"))
        assert refused.value.field == "payload.into"
        merge = act("inc-a", "merge", 3, into="inc-c")
        store.add_review_action(merge)
        assert store.review_actions(["inc-c"]) == []
        assert store.review_actions(["inc-c"], merged_into=True) == [merge]


def _race(store: Store, incident: str, people: list[str]) -> tuple[list[str], list[str]]:
    """Everyone claims the incident at the same moment: who won, who was refused."""
    start = threading.Barrier(len(people))
    won: list[str] = []
    refused: list[str] = []
    failed: list[BaseException] = []

    def claim(person: str, index: int) -> None:
        action = act(incident, "claim", 10 + index * 1e-6, actor=person, role=Role.ANALYST)
        start.wait(timeout=30)
        try:
            _, recorded = store.add_review_action(action)
            if recorded:
                won.append(person)
        except ReviewError:
            refused.append(person)
        except BaseException as exc:  # reported below
            failed.append(exc)

    threads = [threading.Thread(target=claim, args=(p, i)) for i, p in enumerate(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failed, failed
    return won, refused


def test_two_analysts_claiming_at_once_exactly_one_wins(store_target: str) -> None:
    """Eight threads claim each of four incidents at the same moment; for each incident one
    claim is recorded and the seven others are refused."""
    people = [f"analyst-{n}" for n in range(8)]
    with open_store(store_target) as store:
        for round_ in range(4):
            incident = f"inc-race-{round_}"
            won, refused = _race(store, incident, people)
            assert len(won) == 1, (won, refused)
            assert sorted(won + refused) == sorted(people)
            stored = store.review_actions([incident])
            assert [a.actor for a in stored] == won
            assert review_state(stored, T0 + timedelta(minutes=1)).claimed_by(T0) == won[0]


def test_alerts_are_stored_once_read_by_thread_and_filtered_by_marking(
    store_target: str,
) -> None:
    with open_store(store_target) as store:
        first = alert("one")
        update = update_alert([first], sent=T0 + timedelta(minutes=5), note="Reminder")
        cell_only = alert("two", minutes=1)
        records = [
            record(first),
            record(update, thread=first.identifier),
            record(cell_only, marking="cell"),
        ]
        assert store.add_alerts(records) == records
        assert store.add_alerts(records) == []
        changed = record(first, marking="public")
        with pytest.raises(StoreError, match="already stored with different content"):
            store.add_alerts([changed])
        thread = store.alerts(thread=first.identifier)
        assert [r.identifier for r in thread] == [first.identifier, update.identifier]
        assert thread[0] == records[0]
        assert thread[0].xml.startswith('<?xml version="1.0" encoding="UTF-8"?>')
        assert thread[1].alert.references == (first.reference,)
        assert [r.identifier for r in store.alerts()] == [
            first.identifier,
            cell_only.identifier,
            update.identifier,
        ]
        assert store.alerts(msg_type=MsgType.UPDATE) == [records[1]]
        assert store.alerts(incident_id="inc-two") == [records[2]]
        member = ReadFilter(frozenset({"public", "member:*", "member:FR"}))
        assert [r.identifier for r in store.alerts(readable=member)] == [
            first.identifier,
            update.identifier,
        ]
        party = ReadFilter(frozenset({"public", "party:*", "party:UA"}))
        assert store.alerts(readable=party) == []


def test_a_thread_is_extended_in_one_transaction_from_what_it_holds(store_target: str) -> None:
    with open_store(store_target) as store:
        first = alert("one")
        store.add_alerts([record(first)])

        def cancel(thread: list[AlertRecord], answers: list[Response]) -> list[AlertRecord]:
            if any(r.msg_type is MsgType.CANCEL for r in thread):
                return []
            made = cancel_alert([r.alert for r in thread], sent=T0 + timedelta(hours=1), note="x")
            return [record(made, thread=first.identifier)]

        made = store.extend_alert_thread(first.identifier, cancel)
        assert [r.msg_type for r in made] == [MsgType.CANCEL]
        assert store.extend_alert_thread(first.identifier, cancel) == []
        assert [r.msg_type for r in store.alerts(thread=first.identifier)] == [
            MsgType.ALERT,
            MsgType.CANCEL,
        ]


def test_responses_are_stored_once_in_order(store_target: str) -> None:
    with open_store(store_target) as store:
        late = Response.create(
            alert="truceline-one",
            member="FR",
            kind="statement",
            tier="Joint statement",
            text="France condemns the breach.",
            at=T0 + timedelta(hours=2),
            actor="c.dupont",
        )
        ack = Response.create(
            alert="truceline-one",
            member="UK",
            kind="acknowledgement",
            text="Received.",
            at=T0 + timedelta(minutes=3),
            actor="j.smith",
        )
        assert store.add_response(late)
        assert store.add_response(ack)
        assert not store.add_response(ack)
        forged = ack.model_copy(update={"text": "Something else."})
        with pytest.raises(StoreError, match="never changed"):
            store.add_response(forged)
        assert store.responses("truceline-one") == [ack, late]
        assert store.responses("truceline-two") == []


def test_the_first_receipt_of_each_receiver_counts(store_target: str) -> None:
    with open_store(store_target) as store:
        first = NoticeReceipt(
            notice_id="pn-1", receiver="RED", received_at=T0, actor="r.user", actor_org="RED"
        )
        cell = NoticeReceipt(
            notice_id="pn-1",
            receiver="cell",
            received_at=T0 + timedelta(minutes=1),
            actor="alice",
            actor_org="JCC",
        )
        assert store.add_prenotification_receipt(first) == (first, True)
        again = first.model_copy(update={"received_at": T0 + timedelta(hours=1)})
        assert store.add_prenotification_receipt(again) == (first, False)
        store.add_prenotification_receipt(cell)
        assert store.prenotification_receipts(["pn-1"]) == [first, cell]
        assert store.prenotification_receipts(["pn-2"]) == []
        assert store.prenotification_receipts() == [first, cell]


ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["inc-a", "inc-b"]),
        st.sampled_from(["alice", "bob", "carol"]),
        st.sampled_from(
            ["claim", "release", "confirm", "dismiss", "request_collection", "merge", "sign"]
        ),
        st.integers(min_value=1, max_value=3600),
    ),
    max_size=12,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=ACTIONS)
def test_what_is_stored_folds_to_the_state_each_recording_answered(
    scratch: Store, steps: list[tuple[str, str, str, int]]
) -> None:
    """Whatever people try, in whatever order, the actions the store accepted fold (with
    the pure workflow) to the state it answered after the last one it accepted, and every
    refused action changed nothing."""
    store = emptied(scratch)
    answered = {}
    elapsed = 0
    for incident, actor, action, gap in steps:
        elapsed += gap
        payload: dict[str, object] = {}
        if action == "merge":
            payload["into"] = "inc-b" if incident == "inc-a" else "inc-a"
        if action == "sign":
            payload["determination_id"] = f"det-{incident}"
        made = act(
            incident,
            action,
            elapsed,
            actor=actor,
            reason="because" if action in ("dismiss", "request_collection") else None,
            **payload,
        )
        before = store.review_actions([incident])
        try:
            state, _ = store.add_review_action(made)
        except ReviewError:
            assert store.review_actions([incident]) == before
            continue
        answered[incident] = state
    now = T0 + timedelta(seconds=elapsed)
    for incident, state in answered.items():
        stored = store.review_actions([incident])
        assert review_state(stored, state.history[-1].at) == state
        assert review_state(stored, now).status is state.status
