"""The cell's workflow behind the API: review, alerts, responses, receipts of notices.

`Workflow` holds what the review, alert and deconfliction endpoints do, independent of the
web framework (the routes only parse and answer). It reads and writes through the store
(`truceline.store.Store`), applies the principal's releasability filter to every read of
incidents and alerts, and leaves the rules to the pure domain packages:
`truceline.response.review` (the review workflow), `truceline.response.cap` (CAP 1.2),
`truceline.response.protocol` (the response clocks) and
`truceline.adjudication.notice_activity` (late and out-of-area activity).

- A review action is timed by the service and recorded by the store in one transaction
  with the check of the incident's state, so that of two people acting at once one wins.
- The second signature of a clear breach makes its CAP alert (status from the service's
  settings: Exercise for a simulated theatre), stores it, publishes it on the live feed
  (`cap_alert`) and so starts the response protocol's clocks.
- Reminders of overdue steps are made when alerts are read (the list, one alert, its
  clocks) and by POST /api/alerts/reminders, which an operator's scheduler may call; each
  is stored as an Update of its thread and published on the feed. A thread never gets two
  reminders of one tier.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Request

from truceline.access.directory import Directory
from truceline.access.marking import parse_marking
from truceline.access.model import OrganisationKind, Principal
from truceline.access.policy import audiences_of, read_filter
from truceline.adjudication.determination import Determination, Status
from truceline.adjudication.notice_activity import (
    NoticeFinding,
    notice_findings,
    search_box,
    timeliness,
)
from truceline.agreement.model import ResponseTier
from truceline.agreement.prenotification import PreNotification
from truceline.agreement.receipts import CELL_RECEIVER, NoticeReceipt
from truceline.errors import InputError
from truceline.response.cap import (
    AlertSettings,
    CapStatus,
    MsgType,
    Releasability,
    breach_alert,
    cancel_alert,
)
from truceline.response.protocol import (
    OVERDUE_TIER,
    Clock,
    Response,
    clocks,
    reminder_alerts,
)
from truceline.response.records import AlertRecord
from truceline.response.review import (
    DEFAULT_POLICY,
    QueueEntry,
    ReviewAction,
    ReviewActionKind,
    ReviewError,
    ReviewPolicy,
    ReviewState,
    ReviewStatus,
    review_queue,
    review_states,
)
from truceline.service.deps import Service
from truceline.service.errors import ApiError, FieldProblem, not_found
from truceline.service.feed import EventType
from truceline.service.permissions import (
    receipt_receiver,
    require_cell,
    response_member,
    review_role,
)
from truceline.service.workflow_schemas import (
    AlertOut,
    AlertSummary,
    ClockOut,
    ClocksOut,
    FindingsOut,
    NoticeReceipts,
    ResponseIn,
    ResponseRecorded,
    ReviewActionIn,
    ReviewOut,
)
from truceline.store import BBox, TimeWindow

ONE_MICROSECOND = timedelta(microseconds=1)

_REQUEST_FIELDS = {
    "reason": "reason",
    "payload.groups": "groups",
    "payload.determination_id": "determination_id",
}
"""Review refusals that are about a field of the request (422), by the field they name."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def marking_words(marking: str) -> str:
    """Who may read a marking, in words for CAP's `restriction`."""
    parsed = parse_marking(marking)
    if parsed.public:
        return "Anyone"
    parts = ["The coordination cell"]
    for noun, codes in (("coalition member", parsed.members), ("party", parsed.parties)):
        if codes is None:
            parts.append(f"every {noun}")
        elif codes:
            plural = "parties" if noun == "party" else f"{noun}s"
            parts.append(f"the {plural if len(codes) > 1 else noun} {', '.join(sorted(codes))}")
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def cap_releasability(marking: str) -> Releasability:
    """The CAP scope of an alert with this marking: Public, or Restricted to those it names."""
    if parse_marking(marking).public:
        return Releasability(level="public")
    return Releasability(level="restricted", restriction=marking_words(marking))


def _clock_out(step: Clock) -> ClockOut:
    return ClockOut(
        member=step.member,
        tier=step.tier,
        tier_index=step.tier_index,
        due=step.due,
        acknowledged_at=step.acknowledged_at,
        done_at=step.done_at,
        done_by=step.done_by,
        overdue=step.overdue,
        late=step.late,
        state=step.state,
    )


def alert_summary(record: AlertRecord) -> AlertSummary:
    info = record.alert.info[0] if record.alert.info else None
    return AlertSummary(
        identifier=record.identifier,
        thread=record.thread,
        msg_type=record.msg_type,
        status=record.status,
        sent=record.sent,
        scope=record.scope,
        incident_id=record.incident_id,
        determination_id=record.determination_id,
        releasability=record.releasability,
        members=list(record.members),
        headline=info.headline if info else None,
        note=record.alert.note,
        references=[str(r) for r in record.alert.references],
    )


def alert_out(record: AlertRecord) -> AlertOut:
    return AlertOut(**alert_summary(record).model_dump(), cap=record.cap_json)


def _event(record: AlertRecord) -> tuple[str, Mapping[str, Any]]:
    data = alert_summary(record).model_dump(mode="json")
    data["cap"] = record.cap_json
    return EventType.CAP_ALERT, data


class Workflow:
    """The review, alert and deconfliction work of one service."""

    def __init__(
        self,
        svc: Service,
        *,
        clock: Callable[[], datetime] = utc_now,
        policy: ReviewPolicy = DEFAULT_POLICY,
    ) -> None:
        self.svc = svc
        self.clock = clock
        """The service's time: review actions, alerts, responses and receipts are dated
        with it."""
        self.policy = policy
        self._lock = threading.Lock()
        self._tiers: dict[tuple[str, int], list[ResponseTier]] = {}

    # review

    def _incident_or_404(self, principal: Principal, incident_id: str) -> None:
        if self.svc.reader.incident(principal, incident_id) is None:
            raise not_found("incident", incident_id, "list them with GET /api/incidents")

    def _states(self, incident_ids: Sequence[str], now: datetime) -> dict[str, ReviewState]:
        actions = self.svc.store.review_actions(incident_ids, merged_into=True)
        latest = max((a.at for a in actions), default=now)
        return review_states(actions, max(now, latest), policy=self.policy)

    def queue(self, principal: Principal) -> list[QueueEntry]:
        """The review queue under the agreement version in force, most pressing first."""
        require_cell(principal, "reading the review queue")
        loaded = self.svc.processor.in_force()
        if loaded is None:
            return []
        readable = read_filter(principal)
        store = self.svc.store
        determinations: list[Determination] = []
        for status in (Status.CLEAR_BREACH, Status.SUSPECTED_BREACH):
            determinations += store.determinations(
                status=status,
                agreement_id=loaded.agreement.id,
                agreement_version=loaded.agreement.version,
                readable=readable,
            )
        ids = sorted({d.incident_id for d in determinations})
        incidents = store.incidents(ids=ids, readable=readable)
        now = self.clock()
        return review_queue(incidents, determinations, self._states(ids, now), now)

    def review(self, principal: Principal, incident_id: str) -> ReviewOut:
        """Where the review of one incident stands, with its history."""
        self._incident_or_404(principal, incident_id)
        state = self._states([incident_id], self.clock()).get(incident_id) or ReviewState(
            incident_id=incident_id
        )
        alert = self._ensure_alert(state) if state.status is ReviewStatus.SIGNED else None
        return self._out(state, alert, None)

    def _out(
        self, state: ReviewState, alert: AlertRecord | None, recorded: bool | None
    ) -> ReviewOut:
        now = max(self.clock(), state.last_action_at or self.clock())
        return ReviewOut(
            **dict(state),
            summary=state.describe(now),
            alert=alert.identifier if alert is not None else None,
            recorded=recorded,
        )

    def _payload(
        self, principal: Principal, incident_id: str, body: ReviewActionIn
    ) -> dict[str, Any]:
        """What the action needs beyond who and when, checked against the stored incidents."""
        kind = body.action
        if kind is ReviewActionKind.MERGE:
            if body.into is None:
                raise _field("into", "a merge names the incident it joins")
            if body.into == incident_id:
                raise _field("into", "an incident cannot be merged into itself")
            if self.svc.reader.incident(principal, body.into) is None:
                raise _field(
                    "into", f"no incident {body.into!r}; list them with GET /api/incidents"
                )
            return {"into": body.into}
        if kind is ReviewActionKind.SPLIT:
            incident = self.svc.store.incident(incident_id)
            groups = body.groups or []
            if len(groups) < 2 or any(not g for g in groups):
                raise _field("groups", "a split needs at least two non-empty groups")
            given = [x for g in groups for x in g]
            owned = set(incident.observation_ids) if incident is not None else set()
            foreign = sorted(set(given) - owned)
            if foreign:
                raise _field("groups", f"observation {foreign[0]} is not in incident {incident_id}")
            if len(given) != len(set(given)) or set(given) != owned:
                raise _field(
                    "groups",
                    "every observation of the incident goes to exactly one group "
                    f"({len(owned)} observations)",
                )
            return {"groups": groups}
        if kind is ReviewActionKind.SIGN:
            determination_id = body.determination_id or self._current_determination(incident_id)
            found = self.svc.store.determination(determination_id)
            if found is None or found.incident_id != incident_id:
                raise _field(
                    "determination_id",
                    f"{determination_id} is not a determination of incident {incident_id}",
                )
            return {"determination_id": determination_id}
        return {}

    def _current_determination(self, incident_id: str) -> str:
        loaded = self.svc.processor.in_force()
        found = [
            d
            for d in self.svc.reader.stored_determinations_of([incident_id])
            if loaded is not None
            and (d.agreement_id, d.agreement_version)
            == (loaded.agreement.id, loaded.agreement.version)
        ]
        if not found:
            raise ApiError(
                409,
                "not_judged",
                f"incident {incident_id} has no determination under the agreement in force "
                "yet; run POST /api/process, or name determination_id",
            )
        return found[0].id

    def act(self, principal: Principal, incident_id: str, body: ReviewActionIn) -> ReviewOut:
        """Record one review action by the principal, now; the state after it."""
        role = review_role(principal)
        self._incident_or_404(principal, incident_id)
        payload = self._payload(principal, incident_id, body)
        store = self.svc.store
        with self._lock:
            # Within this process actions are timed one after another, each later than the
            # last on its incident; the store refuses one that another process recorded
            # at the same time or later.
            stored = store.review_actions([incident_id])
            at = self.clock()
            if stored and at <= stored[-1].at:
                at = stored[-1].at + ONE_MICROSECOND
            action = ReviewAction.create(
                incident_id=incident_id,
                actor=principal.subject,
                actor_org=principal.organisation,
                role=role,
                action=body.action,
                at=at,
                reason=body.reason,
                payload=payload,
            )
            try:
                state, recorded = store.add_review_action(action, policy=self.policy)
            except ReviewError as exc:
                raise self._refusal(exc, incident_id, action) from None
        alert = self._ensure_alert(state) if state.status is ReviewStatus.SIGNED else None
        return self._out(state, alert, recorded)

    def _refusal(self, exc: ReviewError, incident_id: str, action: ReviewAction) -> ApiError:
        field = exc.field or "action"
        if field == "role":
            return ApiError(403, "forbidden", str(exc))
        if field in _REQUEST_FIELDS:
            return ApiError(
                422,
                "validation_failed",
                str(exc),
                errors=[
                    FieldProblem(location="body", field=_REQUEST_FIELDS[field], reason=str(exc))
                ],
            )
        code = "illegal_transition"
        if field == "at":
            code = "conflict"
        elif field == "actor":
            states = self._states([incident_id], action.at)
            holder = states.get(incident_id)
            if holder is not None and holder.claimed_by(action.at) not in (None, action.actor):
                code = "claimed"
        return ApiError(
            409,
            code,
            str(exc),
            errors=[FieldProblem(location="body", field=field, reason=str(exc))],
        )

    # alerts

    def _members(self, marking: str) -> list[str]:
        """The coalition members registered now that an alert with this marking reaches."""
        parsed = parse_marking(marking)
        return [
            org.id
            for org in Directory(self.svc.store).organisations()
            if org.kind is OrganisationKind.MEMBER and parsed.allows(audiences_of(org))
        ]

    def alert_settings(self) -> AlertSettings:
        settings = self.svc.settings
        return AlertSettings(
            sender=settings.alert_sender,
            sender_name=settings.alert_sender_name,
            status=CapStatus(settings.alert_status),
            releasability=cap_releasability(settings.alert_releasability),
        )

    def _ensure_alert(self, state: ReviewState) -> AlertRecord | None:
        """The alert of a signed incident: made, stored and published the first time (the
        identifier derives from the signed determination, so it is made once); None when
        what was signed is not (or no longer) a clear breach."""
        store = self.svc.store
        determination_id = state.signed_determination_id
        made = [
            r
            for r in store.alerts(incident_id=state.incident_id, msg_type=MsgType.ALERT)
            if r.determination_id == determination_id
        ]
        if made:
            return made[0]
        determination = store.determination(determination_id) if determination_id else None
        incident = store.incident(state.incident_id)
        if determination is None or incident is None or not determination.clear_breach:
            return None
        loaded = store.agreement(determination.agreement_id, determination.agreement_version)
        alert = breach_alert(
            determination, incident, loaded.agreement, state, self.alert_settings()
        )
        marking = self.svc.settings.alert_releasability
        record = AlertRecord.of(
            alert,
            determination_id=determination.id,
            releasability=marking,
            members=self._members(marking),
        )
        self._publish(store.add_alerts([record]))
        return record

    def _publish(self, records: Sequence[AlertRecord]) -> None:
        if records:
            self.svc.broker.publish([_event(r) for r in records])

    def _tiers_of(self, record: AlertRecord) -> list[ResponseTier]:
        first = record.alert.info[0] if record.alert.info else None
        agreement_id = first.parameter("agreementId") if first else None
        version = first.parameter("agreementVersion") if first else None
        if agreement_id is None or version is None or not version.isdigit():
            return []
        key = (agreement_id, int(version))
        if key not in self._tiers:
            loaded = self.svc.store.agreement(agreement_id, int(version))
            self._tiers[key] = list(loaded.agreement.response_protocol)
        return self._tiers[key]

    def _readable(self, principal: Principal, identifier: str) -> AlertRecord:
        found = self.svc.store.alerts(identifiers=[identifier], readable=read_filter(principal))
        if not found:
            raise not_found("alert", identifier, "list them with GET /api/alerts")
        return found[0]

    def alerts(
        self,
        principal: Principal,
        *,
        incident_id: str | None = None,
        msg_type: MsgType | None = None,
        window: TimeWindow | None = None,
    ) -> list[AlertRecord]:
        """The alert messages the principal may read, by (sent, identifier); reminders due
        are sent first."""
        readable = read_filter(principal)
        self.remind(self.svc.store.alerts(msg_type=MsgType.ALERT, readable=readable))
        return self.svc.store.alerts(
            incident_id=incident_id, msg_type=msg_type, window=window, readable=readable
        )

    def alert(self, principal: Principal, identifier: str) -> AlertRecord:
        record = self._readable(principal, identifier)
        self.remind([self._first(record)])
        return record

    def _first(self, record: AlertRecord) -> AlertRecord:
        if record.identifier == record.thread:
            return record
        return self.svc.store.alerts(identifiers=[record.thread])[0]

    def _steps(self, first: AlertRecord, answers: Sequence[Response], now: datetime) -> list[Clock]:
        return clocks(first.alert, self._tiers_of(first), list(first.members), answers, now)

    def remind(
        self, firsts: Sequence[AlertRecord], now: datetime | None = None
    ) -> list[AlertRecord]:
        """Send the reminders due on these alert threads (their first messages): one CAP
        Update per tier with overdue steps not reminded of yet, stored and published."""
        now = now or self.clock()
        sent: list[AlertRecord] = []
        for first in firsts:
            if first.msg_type is not MsgType.ALERT or now < first.sent:
                continue
            thread = self.svc.store.alerts(thread=first.identifier)
            answers = self.svc.store.responses(first.identifier)
            if not self._reminders(thread, answers, now):
                continue

            def make(
                thread: list[AlertRecord], answers: list[Response], first: AlertRecord = first
            ) -> list[AlertRecord]:
                return self._reminders(thread, answers, now)

            added = self.svc.store.extend_alert_thread(first.identifier, make)
            self._publish(added)
            sent += added
        return sent

    def _reminders(
        self, thread: Sequence[AlertRecord], answers: Sequence[Response], now: datetime
    ) -> list[AlertRecord]:
        if not thread or any(r.msg_type is MsgType.CANCEL for r in thread):
            return []
        first = thread[0]
        if any(r.sent > now for r in thread):
            return []
        steps = self._steps(first, answers, now)
        made = reminder_alerts([r.alert for r in thread], steps, now)
        return [
            AlertRecord.of(
                message,
                thread=first.identifier,
                determination_id=first.determination_id,
                releasability=first.releasability,
                members=first.members,
            )
            for message in made
        ]

    def cancel(self, principal: Principal, identifier: str, note: str) -> AlertRecord:
        """Cancel an alert thread (any of its messages names it); 409 when it is cancelled
        already."""
        require_cell(principal, "cancelling an alert")
        first = self._first(self._readable(principal, identifier))
        now = self.clock()

        def make(thread: list[AlertRecord], answers: list[Response]) -> list[AlertRecord]:
            if any(r.msg_type is MsgType.CANCEL for r in thread):
                raise ApiError(
                    409,
                    "alert_cancelled",
                    f"alert {first.identifier} is cancelled already; nothing more is sent on it",
                )
            latest = max(r.sent for r in thread)
            message = cancel_alert([r.alert for r in thread], sent=max(now, latest), note=note)
            return [
                AlertRecord.of(
                    message,
                    thread=first.identifier,
                    determination_id=first.determination_id,
                    releasability=first.releasability,
                    members=first.members,
                )
            ]

        (made,) = self.svc.store.extend_alert_thread(first.identifier, make)
        self._publish([made])
        return made

    def clocks(self, principal: Principal, identifier: str) -> ClocksOut:
        """The clocks of an alert's response protocol, after sending the reminders due."""
        first = self._first(self._readable(principal, identifier))
        now = max(self.clock(), first.sent)
        self.remind([first], now)
        thread = self.svc.store.alerts(thread=first.identifier)
        steps = self._steps(first, self.svc.store.responses(first.identifier), now)
        return ClocksOut(
            alert=first.identifier,
            sent=first.sent,
            now=now,
            cancelled=any(r.msg_type is MsgType.CANCEL for r in thread),
            members=list(first.members),
            clocks=[_clock_out(s) for s in steps],
            overdue=sum(1 for s in steps if s.overdue),
            reminders=[
                r.identifier
                for r in thread
                if r.alert.info and r.alert.info[0].parameter(OVERDUE_TIER) is not None
            ],
        )

    def respond(
        self, principal: Principal, identifier: str, body: ResponseIn
    ) -> tuple[ResponseRecorded, bool]:
        """Record a member's response to an alert, now; and whether it is new."""
        first = self._first(self._readable(principal, identifier))
        member = response_member(principal, body.member, first.members)
        thread = self.svc.store.alerts(thread=first.identifier)
        if any(r.msg_type is MsgType.CANCEL for r in thread):
            raise ApiError(
                409,
                "alert_cancelled",
                f"alert {first.identifier} was cancelled; it takes no more responses",
            )
        now = max(self.clock(), first.sent)
        response = Response.create(
            alert=first.identifier,
            member=member,
            kind=body.kind,
            text=body.text,
            at=now,
            actor=principal.subject,
            tier=body.tier,
        )
        answers = [*self.svc.store.responses(first.identifier), response]
        try:
            steps = self._steps(first, answers, now)
        except InputError as exc:
            field = (exc.field or "").rsplit(".", 1)[-1]
            raise ApiError(
                422,
                "validation_failed",
                str(exc),
                errors=[FieldProblem(location="body", field=field or None, reason=str(exc))],
            ) from None
        recorded = self.svc.store.add_response(response)
        return (
            ResponseRecorded(
                response=response,
                status="recorded" if recorded else "already_recorded",
                clocks=[_clock_out(s) for s in steps if s.member == member],
            ),
            recorded,
        )

    # pre-notifications

    def _notice(self, notice_id: str) -> PreNotification:
        notice = self.svc.reader.prenotification(notice_id)
        if notice is None:
            raise not_found(
                "pre-notification", notice_id, "list them with GET /api/prenotifications"
            )
        return notice

    def receive(
        self, principal: Principal, notice_id: str, receiver: str | None
    ) -> tuple[NoticeReceipt, bool]:
        """Record that the principal's side received a notice, now; the receipt that
        counts (this receiver's first) and whether it is this one."""
        notice = self._notice(notice_id)
        chosen = receipt_receiver(principal, receiver, notice.party)
        loaded = self.svc.processor.in_force()
        parties = [p.code for p in loaded.agreement.parties] if loaded is not None else []
        if chosen != CELL_RECEIVER and chosen not in parties:
            raise _field(
                "receiver",
                f"{chosen} is not a party to the agreement in force; expected 'cell' or one of "
                f"{parties}",
            )
        receipt = NoticeReceipt(
            notice_id=notice.id,
            receiver=chosen,
            received_at=self.clock(),
            actor=principal.subject,
            actor_org=principal.organisation,
        )
        return self.svc.store.add_prenotification_receipt(receipt)

    def receipts(self, notice_id: str) -> NoticeReceipts:
        """The receipts of a notice, and who has not acknowledged it yet."""
        notice = self._notice(notice_id)
        loaded = self.svc.processor.in_force()
        if loaded is None:
            raise ApiError(
                409, "no_agreement", "the store holds no agreement yet; submit one first"
            )
        found = self.svc.store.prenotification_receipts([notice.id])
        others = [p.code for p in loaded.agreement.parties if p.code != notice.party]
        awaiting = [r for r in [CELL_RECEIVER, *others] if r not in {x.receiver for x in found}]
        return NoticeReceipts(
            notice_id=notice.id,
            party=notice.party,
            receipts=found,
            awaiting=awaiting,
            complete=not awaiting,
            timeliness=timeliness(notice, loaded.agreement),
        )

    def findings(
        self,
        principal: Principal,
        *,
        window: TimeWindow | None,
        party: str | None,
        notice_id: str | None,
        radius_m: float,
        slack: timedelta,
    ) -> FindingsOut:
        """Each notice's timeliness, and the notifying party's activity near it."""
        loaded = self.svc.processor.in_force()
        if loaded is None:
            return FindingsOut(notices=[], items=[])
        agreement = loaded.agreement
        store = self.svc.store
        if notice_id is not None:
            notices = [self._notice(notice_id)]
        else:
            notices = store.prenotifications(window=window, party=party)
        readable = read_filter(principal)
        items: list[NoticeFinding] = []
        for notice in notices:
            around = TimeWindow(notice.starts_at - slack, notice.ends_at + slack)
            box = BBox(*search_box(notice, radius_m))
            determinations = store.determinations(
                window=around,
                bbox=box,
                agreement_id=agreement.id,
                agreement_version=agreement.version,
                readable=readable,
            )
            incidents = store.incidents(
                ids=sorted({d.incident_id for d in determinations}), readable=readable
            )
            items += notice_findings(
                notice, agreement, incidents, determinations, radius_m=radius_m, slack=slack
            )
        return FindingsOut(notices=[timeliness(n, agreement) for n in notices], items=items)


def _field(field: str, reason: str) -> ApiError:
    return ApiError(
        422,
        "validation_failed",
        f"{field}: {reason}",
        errors=[FieldProblem(location="body", field=field, reason=reason)],
    )


def workflow(request: Request) -> Workflow:
    """The workflow of the service the request was made to."""
    found: Workflow = request.app.state.workflow
    return found


WorkflowDep = Annotated[Workflow, Depends(workflow)]
