"""The response protocol's clocks: due times, acknowledgements, responses, overdue steps and
the reminders they raise."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from response_support import (
    CONSULT,
    MEMBERS,
    NOTIFY,
    STATEMENT,
    T0,
    adjudicator,
    assert_valid_cap,
    at_km,
    judge,
    loaded_agreement,
    make_incident,
    shelling,
    signed_state,
)
from response_support import settings as alert_settings

from truceline.agreement.loaded import LoadedAgreement
from truceline.errors import InputError
from truceline.observations.model import Kind
from truceline.response.cap import (
    Alert,
    MsgType,
    Urgency,
    breach_alert,
    cancel_alert,
    parse_cap,
    to_xml,
    update_alert,
)
from truceline.response.protocol import (
    OVERDUE_TIER,
    Clock,
    Response,
    ResponseKind,
    alert_tiers,
    clocks,
    overdue,
    reminder_alerts,
)

SENT = T0 + timedelta(minutes=50)


@pytest.fixture(scope="module")
def loaded() -> LoadedAgreement:
    return loaded_agreement()


@pytest.fixture(scope="module")
def alert(loaded: LoadedAgreement) -> Alert:
    """The alert of a high-severity clear breach (all three tiers), sent at SENT."""
    incident = shelling()
    determination = judge(adjudicator(loaded), incident)
    state = signed_state(incident.id, determination.id)
    made = breach_alert(determination, incident, loaded.agreement, state, alert_settings())
    assert made.sent == SENT
    return made


def respond(
    alert: Alert,
    member: str,
    kind: str,
    minutes: float,
    tier: str | None = None,
    text: str = "Noted.",
) -> Response:
    return Response.create(
        alert=alert.identifier,
        member=member,
        kind=kind,
        tier=tier,
        text=text,
        at=SENT + timedelta(minutes=minutes),
        actor=f"lo-{member.lower()}",
    )


def table(steps: list[Clock]) -> dict[tuple[str, str], Clock]:
    return {(c.member, c.tier): c for c in steps}


def test_a_high_severity_breach_starts_every_tier(alert: Alert, loaded: LoadedAgreement) -> None:
    tiers = loaded.agreement.response_protocol
    assert [t.name for t in alert_tiers(alert, tiers)] == [NOTIFY, CONSULT, STATEMENT]
    steps = clocks(alert, tiers, MEMBERS, [], SENT)
    assert len(steps) == 3 * len(MEMBERS)
    assert [(c.tier, c.member) for c in steps[:4]] == [(NOTIFY, m) for m in MEMBERS]
    by = table(steps)
    assert by["FR", NOTIFY].due == SENT + timedelta(hours=1)
    assert by["FR", CONSULT].due == SENT + timedelta(hours=24)
    assert by["FR", STATEMENT].due == SENT + timedelta(hours=72)
    assert all(c.state == "pending" for c in steps)


def test_a_medium_breach_starts_fewer_tiers(loaded: LoadedAgreement) -> None:
    incident = make_incident("presence", *at_km(2.0, "west"), (Kind.ARMED_PRESENCE,))
    determination = judge(adjudicator(loaded), incident)
    state = signed_state(incident.id, determination.id)
    medium = breach_alert(determination, incident, loaded.agreement, state, alert_settings())
    tiers = loaded.agreement.response_protocol
    assert [t.name for t in alert_tiers(medium, tiers)] == [NOTIFY, CONSULT]
    statement = respond(medium, "US", "statement", 5, tier=STATEMENT)
    with pytest.raises(InputError, match="not a tier this alert started") as caught:
        clocks(medium, tiers, MEMBERS, [statement], SENT + timedelta(hours=1))
    assert caught.value.field == "responses[0].tier"


def test_acknowledgements_responses_and_overdue_steps(
    alert: Alert, loaded: LoadedAgreement
) -> None:
    tiers = loaded.agreement.response_protocol
    responses = [
        respond(alert, "US", "acknowledgement", 10, tier=NOTIFY),
        respond(alert, "FR", "acknowledgement", 20),  # the alert as a whole
        respond(alert, "UK", "acknowledgement", 70, tier=NOTIFY),  # late
        respond(alert, "US", "consultation", 600, tier=CONSULT, text="Joined the call."),
    ]
    now = SENT + timedelta(hours=30)
    by = table(clocks(alert, tiers, MEMBERS, responses, now))
    us = by["US", NOTIFY]
    assert us.state == "done"
    assert us.acknowledged_at == SENT + timedelta(minutes=10)
    assert us.done_by == responses[0].id
    fr = by["FR", NOTIFY]
    assert fr.state == "overdue"
    assert fr.acknowledged_at == SENT + timedelta(minutes=20)
    assert fr.done_at is None
    assert by["FR", CONSULT].acknowledged_at == SENT + timedelta(minutes=20)
    assert by["UK", NOTIFY].state == "done late"
    assert by["UK", NOTIFY].late
    assert by["UA", NOTIFY].state == "overdue"
    assert by["US", CONSULT].state == "done"
    assert by["US", CONSULT].acknowledged_at is None
    assert by["FR", CONSULT].state == "overdue"
    assert by["US", STATEMENT].state == "pending"
    late = overdue(list(by.values()))
    assert {(c.member, c.tier) for c in late} == {
        ("FR", NOTIFY),
        ("UA", NOTIFY),
        ("FR", CONSULT),
        ("UA", CONSULT),
        ("UK", CONSULT),
    }


def test_bad_responses_are_refused(alert: Alert, loaded: LoadedAgreement) -> None:
    tiers = loaded.agreement.response_protocol
    now = SENT + timedelta(hours=2)
    other = respond(alert, "US", "acknowledgement", 1).model_copy(update={"alert": "other"})
    stranger = respond(alert, "XX", "acknowledgement", 1)
    early = respond(alert, "US", "acknowledgement", -5)
    future = respond(alert, "US", "acknowledgement", 500)
    clash = respond(alert, "US", "acknowledgement", 1)
    for bad, field, words in [
        (other, "responses[0].alert", "pass the responses of this alert only"),
        (stranger, "responses[0].member", "not among the members"),
        (early, "responses[0].at", "a response comes after the alert"),
        (future, "responses[0].at", "not after now"),
    ]:
        with pytest.raises(InputError, match=words) as caught:
            clocks(alert, tiers, MEMBERS, [bad], now)
        assert caught.value.field == field
    with pytest.raises(InputError, match="share the id"):
        clocks(alert, tiers, MEMBERS, [clash, clash.model_copy(update={"text": "No"})], now)
    with pytest.raises(InputError, match="listed twice"):
        clocks(alert, tiers, ["US", "US"], [], now)
    update = update_alert([alert], sent=now, note="More.")
    with pytest.raises(InputError, match="the clocks start from the first message") as caught:
        clocks(update, tiers, MEMBERS, [], now)
    assert caught.value.field == "alert.msgType"
    bare = alert.model_copy(update={"info": ()})
    with pytest.raises(InputError, match="no parameter 'severity'"):
        clocks(bare, tiers, MEMBERS, [], now)


def test_response_ids_derive_from_content(alert: Alert) -> None:
    first = respond(alert, "US", "statement", 5, tier=STATEMENT, text="We condemn it.")
    assert (
        first.id == respond(alert, "US", "statement", 5, tier=STATEMENT, text="We condemn it.").id
    )
    assert first.id.startswith("rsp-")
    assert first.id != respond(alert, "US", "statement", 5, tier=STATEMENT, text="Other.").id
    assert first.kind is ResponseKind.STATEMENT


def test_overdue_steps_raise_one_reminder_per_tier(alert: Alert, loaded: LoadedAgreement) -> None:
    tiers = loaded.agreement.response_protocol
    responses = [respond(alert, m, "acknowledgement", 5, tier=NOTIFY) for m in ("US", "FR")]
    now = SENT + timedelta(hours=2)
    steps = clocks(alert, tiers, MEMBERS, responses, now)
    (reminder,) = reminder_alerts([alert], steps, now)
    assert reminder.msg_type is MsgType.UPDATE
    assert reminder.sent == now
    assert reminder.references == (alert.reference,)
    (info,) = reminder.info
    assert info.urgency is Urgency.IMMEDIATE
    assert info.headline == f"Overdue: {NOTIFY}"
    assert info.parameter(OVERDUE_TIER) == NOTIFY
    assert info.parameter("overdueMembers") == "UA UK"
    assert info.instruction is not None
    assert "no response yet from UA, UK; it was due 2026-02-01T13:50:00-00:00" in (info.instruction)
    assert info.parameter("determinationId") == alert.info[0].parameter("determinationId")
    document = to_xml(reminder)
    assert_valid_cap(document)
    assert parse_cap(document) == reminder
    # Asked again with the reminder in the thread: nothing new.
    assert reminder_alerts([alert, reminder], steps, now + timedelta(minutes=5)) == []
    # Same inputs, same reminder.
    assert reminder_alerts([alert], steps, now) == [reminder]
    # A day later the consultation is overdue too: one more reminder, referencing both.
    later = SENT + timedelta(hours=25)
    steps = clocks(alert, tiers, MEMBERS, responses, later)
    (second,) = reminder_alerts([alert, reminder], steps, later)
    assert second.info[0].parameter(OVERDUE_TIER) == CONSULT
    assert second.info[0].parameter("overdueMembers") == "US UA FR UK"
    assert second.references == (alert.reference, reminder.reference)
    assert_valid_cap(to_xml(second))


def test_several_tiers_overdue_at_once_chain_their_reminders(
    alert: Alert, loaded: LoadedAgreement
) -> None:
    tiers = loaded.agreement.response_protocol
    now = SENT + timedelta(days=4)
    steps = clocks(alert, tiers, MEMBERS, [], now)
    reminders = reminder_alerts([alert], steps, now)
    assert [r.info[0].parameter(OVERDUE_TIER) for r in reminders] == [NOTIFY, CONSULT, STATEMENT]
    assert reminders[2].references == (
        alert.reference,
        reminders[0].reference,
        reminders[1].reference,
    )
    assert len({r.identifier for r in reminders}) == 3
    for reminder in reminders:
        assert_valid_cap(to_xml(reminder))
    assert reminder_alerts([alert], [c for c in steps if not c.overdue], now) == []
    # A cancelled alert raises no reminders.
    cancel = cancel_alert([alert], sent=now, note="Withdrawn.")
    assert reminder_alerts([alert, cancel], steps, now) == []
    # Reminders are of the alert the clocks belong to.
    stranger = alert.model_copy(update={"identifier": "truceline-other"})
    with pytest.raises(InputError, match="pass the clocks of this alert") as caught:
        reminder_alerts([stranger], steps, now)
    assert caught.value.field == "clocks"


@settings(max_examples=60)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(MEMBERS),
            st.sampled_from(list(ResponseKind)),
            st.sampled_from([None, NOTIFY, CONSULT, STATEMENT]),
            st.integers(min_value=0, max_value=5 * 24 * 60),
        ),
        max_size=12,
    ),
    st.integers(min_value=5 * 24 * 60, max_value=6 * 24 * 60),
    st.randoms(use_true_random=False),
)
def test_clocks_keep_their_invariants(
    alert: Alert,
    loaded: LoadedAgreement,
    answers: list[tuple[str, ResponseKind, str | None, int]],
    now_minutes: int,
    rng: random.Random,
) -> None:
    tiers = loaded.agreement.response_protocol
    responses = [
        respond(alert, member, kind.value, minute, tier=tier)
        for member, kind, tier, minute in answers
    ]
    now: datetime = SENT + timedelta(minutes=now_minutes)
    steps = clocks(alert, tiers, MEMBERS, responses, now)
    shuffled = responses[:]
    rng.shuffle(shuffled)
    assert clocks(alert, tiers, MEMBERS, shuffled, now) == steps
    assert all(step.alert == alert.identifier for step in steps)
    for step in steps:
        answered = [r for r in responses if r.member == step.member and r.tier == step.tier]
        assert (step.done_at is None) == (not answered)
        if answered:
            assert step.done_at == min(r.at for r in answered)
            assert step.late == (step.done_at > step.due)
        assert step.overdue == (not answered and now > step.due)
        assert step.done_at is None or not step.overdue
    assert [c.due for c in steps] == sorted(c.due for c in steps)
