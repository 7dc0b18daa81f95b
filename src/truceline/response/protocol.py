"""The response protocol's clocks: who has answered which step of a clear breach, and when.

A signed clear breach raises an alert (`truceline.response.cap.breach_alert`); the alert
starts the tiers of the agreement's response protocol that the determination triggers. Each
coalition member answers each tier with `Response` records (acknowledgement, consultation,
statement, measures). `clocks` says, for every member and tier, when it is due, when it was
acknowledged and done, and whether it is overdue; `reminder_alerts` makes one CAP Update per
overdue tier. Pure functions: nothing here reads a clock, the caller passes `now`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from truceline.agreement.model import ResponseTier, Severity
from truceline.errors import InputError
from truceline.observations.model import UtcDatetime
from truceline.response.cap import (
    Alert,
    MsgType,
    Urgency,
    format_time,
    replace_info,
    triggered_tiers,
    update_alert,
)
from truceline.response.review import Ident

Text = Annotated[str, StringConstraints(min_length=1, max_length=4000, strip_whitespace=True)]

OVERDUE_TIER = "overdueTier"
"""CAP parameter naming the tier a reminder is about; one reminder per tier per alert."""
OVERDUE_MEMBERS = "overdueMembers"
"""CAP parameter listing the members a reminder is about, space-separated."""


class ResponseKind(StrEnum):
    """What a member's response is."""

    ACKNOWLEDGEMENT = "acknowledgement"
    CONSULTATION = "consultation"
    STATEMENT = "statement"
    MEASURES = "measures"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Response(_Frozen):
    """One response of one coalition member to an alert, recorded by its liaison officer."""

    id: Ident = Field(description="Unique id; `Response.create` derives it from content.")
    alert: Ident = Field(description="Identifier of the alert (the first message) answered.")
    member: Ident = Field(description="Code of the coalition member.")
    kind: ResponseKind
    tier: Text | None = Field(
        default=None,
        description="Name of the protocol tier it answers; none for an acknowledgement of "
        "the alert as a whole.",
    )
    text: Text = Field(description="What the member said or did.")
    at: UtcDatetime
    actor: Ident = Field(description="User id of the person who recorded it.")

    @classmethod
    def create(
        cls,
        *,
        alert: str,
        member: str,
        kind: ResponseKind | str,
        text: str,
        at: datetime,
        actor: str,
        tier: str | None = None,
    ) -> Response:
        """A response whose id (``rsp-`` and 24 hex digits) is derived from its content."""
        draft = cls.model_validate(
            {
                "id": "draft",
                "alert": alert,
                "member": member,
                "kind": kind,
                "text": text,
                "at": at,
                "actor": actor,
                "tier": tier,
            }
        )
        body = json.dumps(
            draft.model_dump(mode="json", exclude={"id"}), sort_keys=True, ensure_ascii=False
        )
        return draft.model_copy(
            update={"id": "rsp-" + hashlib.sha256(body.encode()).hexdigest()[:24]}
        )


class Clock(_Frozen):
    """One member's step of one tier."""

    alert: str = Field(description="Identifier of the alert that started the clock.")
    member: str
    tier: str
    tier_index: int = Field(description="Position of the tier in the response protocol.")
    due: UtcDatetime
    acknowledged_at: UtcDatetime | None = Field(
        description="The member's first acknowledgement of the alert or of this tier."
    )
    done_at: UtcDatetime | None = Field(description="The member's first response naming this tier.")
    done_by: str | None = Field(description="Id of that response.")
    overdue: bool = Field(description="Not done, and `now` is past the due time.")
    late: bool = Field(description="Done, but after the due time.")

    @property
    def state(self) -> str:
        """'done', 'done late', 'overdue' or 'pending'."""
        if self.done_at is not None:
            return "done late" if self.late else "done"
        return "overdue" if self.overdue else "pending"


def _fact(alert: Alert, name: str) -> str:
    value = alert.info[0].parameter(name) if alert.info else None
    if value is None:
        raise InputError(
            f"alert {alert.identifier} has no parameter {name!r} in its first info block; "
            "the clocks start from an alert made by breach_alert",
            field=f"alert.info[0].parameter.{name}",
        )
    return value


def alert_tiers(alert: Alert, tiers: Sequence[ResponseTier]) -> list[ResponseTier]:
    """The tiers of the protocol this alert starts, from the severity and clear-breach
    parameters the alert carries."""
    severity_text = _fact(alert, "severity")
    clear_breach = _fact(alert, "clearBreach") == "true"
    severity = None if severity_text == "none" else Severity(severity_text)
    return triggered_tiers(tiers, clear_breach=clear_breach, severity=severity)


def _checked(
    alert: Alert,
    tier_names: Sequence[str],
    members: Sequence[str],
    responses: Iterable[Response],
    now: datetime,
) -> list[Response]:
    checked: dict[str, Response] = {}
    for index, response in enumerate(responses):
        where = f"responses[{index}]"
        if response.alert != alert.identifier:
            raise InputError(
                f"{where}.alert: response {response.id} answers alert {response.alert}, not "
                f"{alert.identifier}; pass the responses of this alert only",
                field=f"{where}.alert",
            )
        if response.member not in members:
            raise InputError(
                f"{where}.member: {response.member!r} is not among the members this alert "
                f"went to ({', '.join(members)})",
                field=f"{where}.member",
            )
        if response.tier is not None and response.tier not in tier_names:
            raise InputError(
                f"{where}.tier: {response.tier!r} is not a tier this alert started; expected "
                f"one of: {'; '.join(tier_names) or '(none)'}",
                field=f"{where}.tier",
            )
        if response.at < alert.sent or response.at > now:
            raise InputError(
                f"{where}.at: {response.at.isoformat()} is outside the life of the alert "
                f"(sent {alert.sent.isoformat()}, now {now.isoformat()}); a response comes "
                "after the alert and not after now",
                field=f"{where}.at",
            )
        known = checked.get(response.id)
        if known is not None and known != response:
            raise InputError(
                f"{where}.id: two different responses share the id {response.id}",
                field=f"{where}.id",
            )
        checked[response.id] = response
    return sorted(checked.values(), key=lambda r: (r.at, r.id))


def clocks(
    alert: Alert,
    tiers: Sequence[ResponseTier],
    members: Sequence[str],
    responses: Iterable[Response],
    now: datetime,
) -> list[Clock]:
    """Every member's step of every tier the alert started, soonest due first.

    A tier is due `deadline_hours` after the alert was sent (the time of the second
    signature). A member has done it with its first response that names the tier,
    whatever its kind — an acknowledgement naming the notification tier is all that tier
    asks of a member; a consultation, statement or measures answer the later ones. An
    acknowledgement that names no tier acknowledges the alert: it marks every tier
    acknowledged and does none. Refused (`InputError`): a response to another alert, from
    a member the alert did not go to, naming a tier the alert did not start, dated before
    the alert or after `now`, and two members of the same code.
    """
    if alert.msg_type is not MsgType.ALERT:
        raise InputError(
            f"alert {alert.identifier} is an {alert.msg_type.value}; the clocks start from "
            "the first message of a thread (msgType Alert)",
            field="alert.msgType",
        )
    if len(set(members)) != len(members):
        raise InputError("members: a member is listed twice", field="members")
    started = alert_tiers(alert, tiers)
    index_of = {tier.name: i for i, tier in enumerate(tiers)}
    ordered = _checked(alert, [t.name for t in started], members, responses, now)
    result: list[Clock] = []
    for tier in started:
        due = alert.sent + timedelta(hours=tier.deadline_hours)
        for member in members:
            own = [r for r in ordered if r.member == member]
            acknowledged = next(
                (
                    r.at
                    for r in own
                    if r.kind is ResponseKind.ACKNOWLEDGEMENT and r.tier in (None, tier.name)
                ),
                None,
            )
            done = next((r for r in own if r.tier == tier.name), None)
            result.append(
                Clock(
                    alert=alert.identifier,
                    member=member,
                    tier=tier.name,
                    tier_index=index_of[tier.name],
                    due=due,
                    acknowledged_at=acknowledged,
                    done_at=done.at if done else None,
                    done_by=done.id if done else None,
                    overdue=done is None and now > due,
                    late=done is not None and done.at > due,
                )
            )
    result.sort(key=lambda c: (c.due, c.tier_index, members.index(c.member)))
    return result


def overdue(steps: Iterable[Clock]) -> list[Clock]:
    """The steps that are overdue, in the order given."""
    return [step for step in steps if step.overdue]


def reminder_alerts(thread: Sequence[Alert], steps: Sequence[Clock], now: datetime) -> list[Alert]:
    """One CAP Update per tier with overdue steps that no message of the thread has
    reminded of yet (parameter ``overdueTier``), sent at `now`. A thread that has been
    cancelled raises no reminders.

    Each reminder references every earlier message of the thread (the reminders made here
    included), carries the alert's info with urgency Immediate, the headline
    "Overdue: <tier>", an instruction naming the members that have not answered and the
    deadline, and the parameters ``overdueTier`` and ``overdueMembers``. Asking again with
    the thread that includes them gives no new reminder.
    """
    if not thread:
        raise InputError("thread: no alert to remind of", field="thread")
    foreign = sorted({step.alert for step in steps} - {thread[0].identifier})
    if foreign:
        raise InputError(
            f"clocks: steps of alert {foreign[0]} given for the thread of "
            f"{thread[0].identifier}; pass the clocks of this alert",
            field="clocks",
        )
    if any(alert.msg_type is MsgType.CANCEL for alert in thread):
        return []
    reminded = {
        value
        for alert in thread
        for info in alert.info
        for value in info.parameter_values(OVERDUE_TIER)
    }
    by_tier: dict[str, list[Clock]] = {}
    for step in steps:
        if step.overdue and step.tier not in reminded:
            by_tier.setdefault(step.tier, []).append(step)
    base = next(
        (
            alert.info
            for alert in reversed(thread)
            if alert.info and not alert.info[0].parameter(OVERDUE_TIER)
        ),
        (),
    )
    if not base:
        raise InputError("thread: no message of the thread has an info block", field="thread")
    made: list[Alert] = []
    for tier, late in sorted(by_tier.items(), key=lambda item: (item[1][0].due, item[0])):
        names = [step.member for step in late]
        due = format_time(late[0].due)
        instruction = (
            f"{tier}: no response yet from {', '.join(names)}; it was due {due}. Record the "
            "response, or the reason for the delay."
        )
        extra: list[dict[str, Any]] = [
            {"value_name": OVERDUE_TIER, "value": tier},
            {"value_name": OVERDUE_MEMBERS, "value": " ".join(names)},
        ]
        info = [
            replace_info(
                block,
                urgency=Urgency.IMMEDIATE,
                headline=f"Overdue: {tier}"[:160],
                instruction=instruction,
                parameters=[
                    *(
                        p.model_dump()
                        for p in block.parameters
                        if p.value_name not in (OVERDUE_TIER, OVERDUE_MEMBERS)
                    ),
                    *extra,
                ],
            )
            for block in base
        ]
        note = f"Reminder: {tier} is overdue for {', '.join(names)} (due {due})."
        made.append(update_alert([*thread, *made], sent=now, note=note, info=info))
    return made
