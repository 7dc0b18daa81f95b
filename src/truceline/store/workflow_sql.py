"""The cell's workflow in the SQL store: review actions, alert messages, responses, receipts.

Every table here is append-only (migration 3): a row is written once and never changed, and
writing the same record again is a no-op (each has a primary key derived from its content
or from what it is about). The functions run inside a transaction the store opens
(`SqlStore`); recording a review action checks the incident's review state and inserts in
that one transaction, so that two people acting on one incident at once cannot both win.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, select

from truceline.agreement.receipts import NoticeReceipt
from truceline.errors import StoreError
from truceline.ledger.entry import EntryKind
from truceline.response.cap import CapStatus, MsgType, Scope
from truceline.response.protocol import Response
from truceline.response.records import AlertRecord
from truceline.response.review import (
    DEFAULT_POLICY,
    ReviewAction,
    ReviewActionKind,
    ReviewError,
    ReviewPolicy,
    ReviewState,
    apply,
    review_state,
)
from truceline.store import ledger_sql
from truceline.store import tables as t
from truceline.store.codec import dump_json, from_us, to_us

if TYPE_CHECKING:
    from truceline.access.policy import ReadFilter

IN_CHUNK = 5_000


def _chunks(values: Sequence[str]) -> list[Sequence[str]]:
    return [values[i : i + IN_CHUNK] for i in range(0, len(values), IN_CHUNK)]


# review actions


def _action_row(action: ReviewAction) -> dict[str, Any]:
    payload = action.payload.model_dump(mode="json", exclude_defaults=True)
    return {
        "id": action.id,
        "incident_id": action.incident_id,
        "actor": action.actor,
        "actor_org": action.actor_org,
        "role": action.role.value,
        "action": action.action.value,
        "reason": action.reason,
        "payload": dump_json(payload, f"review action {action.id}"),
        "into_incident": action.payload.into,
        "at_us": to_us(action.at),
    }


def _action_of(row: Any) -> ReviewAction:
    try:
        return ReviewAction.model_validate(
            {
                "id": row.id,
                "incident_id": row.incident_id,
                "actor": row.actor,
                "actor_org": row.actor_org,
                "role": row.role,
                "action": row.action,
                "reason": row.reason,
                "payload": json.loads(row.payload),
                "at": from_us(row.at_us),
            }
        )
    except ValueError as exc:
        raise StoreError(
            f"review action {row.id!r}: the stored row is invalid ({exc}); the store was "
            "changed outside Truceline or by a newer version"
        ) from None


def review_actions(
    conn: Connection, incident_ids: Sequence[str] | None, *, into: bool = False
) -> list[ReviewAction]:
    """The actions on these incidents (every action when None), ordered by (at, id); with
    `into`, also the merges of other incidents into them."""
    r = t.review_actions
    query = select(r).order_by(r.c.at_us, r.c.id)
    if incident_ids is None:
        return [_action_of(row) for row in conn.execute(query)]
    found: dict[str, ReviewAction] = {}
    for chunk in _chunks(sorted(set(incident_ids))):
        where: ColumnElement[bool] = r.c.incident_id.in_(chunk)
        if into:
            where = where | r.c.into_incident.in_(chunk)
        for row in conn.execute(query.where(where)):
            found[row.id] = _action_of(row)
    return sorted(found.values(), key=lambda a: (a.at, a.id))


def record_review_action(
    conn: Connection, action: ReviewAction, policy: ReviewPolicy = DEFAULT_POLICY
) -> tuple[ReviewState, bool]:
    """Check the action against the incident's state and insert it; the state after it, and
    whether it was recorded now (False: this very action was recorded before)."""
    stored = review_actions(conn, [action.incident_id])
    known = next((a for a in stored if a.id == action.id), None)
    if known is not None:
        if known != action:
            raise ReviewError(
                f"two different actions share the id {action.id}; each action needs its own id",
                field="id",
            )
        return review_state(stored, stored[-1].at, policy=policy), False
    if stored and action.at <= stored[-1].at:
        last = stored[-1]
        raise ReviewError(
            f"{action.actor} cannot act on incident {action.incident_id} at "
            f"{action.at.isoformat()}: {last.actor} acted on it at {last.at.isoformat()}, "
            "at the same time or later; look at its state again and resend",
            field="at",
        )
    state = review_state(stored, action.at, incident_id=action.incident_id, policy=policy)
    after = apply(state, action, policy)
    into = action.payload.into
    if action.action is ReviewActionKind.MERGE and into is not None:
        target = [a for a in review_actions(conn, [into]) if a.at <= action.at]
        then = review_state(target, action.at, incident_id=into, policy=policy)
        if then.is_final:
            last = then.history[-1]
            raise ReviewError(
                f"{action.actor} cannot merge incident {action.incident_id}: {into} is already "
                f"{then.status.value} ({last.actor}, {last.at.isoformat()}); merge into the "
                "incident it went to instead",
                field="payload.into",
            )
    row = _action_row(action)
    conn.execute(t.review_actions.insert().values(**row))
    ledger_sql.append(
        conn, ledger_sql.payloads(t.review_actions, EntryKind.REVIEW_ACTION, "id", [row])
    )
    return after, True


# alerts


def _alert_row(record: AlertRecord) -> dict[str, Any]:
    return {
        "identifier": record.identifier,
        "thread": record.thread,
        "incident_id": record.incident_id,
        "determination_id": record.determination_id,
        "msg_type": record.msg_type.value,
        "status": record.status.value,
        "sent_us": to_us(record.sent),
        "scope": record.scope.value,
        "releasability": record.releasability,
        "members": dump_json(list(record.members), f"alert {record.identifier}"),
        "xml": record.xml,
        "document": record.json_text(),
    }


def _alert_of(row: Any) -> AlertRecord:
    try:
        return AlertRecord(
            identifier=row.identifier,
            thread=row.thread,
            incident_id=row.incident_id,
            determination_id=row.determination_id,
            msg_type=MsgType(row.msg_type),
            status=CapStatus(row.status),
            sent=from_us(row.sent_us),
            scope=Scope(row.scope),
            releasability=row.releasability,
            members=tuple(json.loads(row.members)),
            alert=AlertRecord.alert_of_json(row.document),
            xml=row.xml,
        )
    except ValueError as exc:
        raise StoreError(
            f"alert {row.identifier!r}: the stored row is invalid ({exc}); the store was "
            "changed outside Truceline or by a newer version"
        ) from None


def insert_alerts(conn: Connection, records: Sequence[AlertRecord]) -> list[AlertRecord]:
    """Insert the messages not stored yet; the ones inserted. A different message under a
    stored identifier is refused (StoreError): a message is never changed."""
    a = t.alerts
    added: list[AlertRecord] = []
    for record in records:
        row = _alert_row(record)
        stored = conn.execute(select(a).where(a.c.identifier == record.identifier)).first()
        if stored is not None:
            if dict(stored._mapping) != row:
                raise StoreError(
                    f"alert {record.identifier!r} is already stored with different content; "
                    "a message is never changed: send an Update or a Cancel instead"
                )
            continue
        conn.execute(a.insert().values(**row))
        ledger_sql.append(conn, ledger_sql.payloads(a, EntryKind.ALERT, "identifier", [row]))
        added.append(record)
    return added


def alerts(
    conn: Connection,
    *,
    identifiers: Sequence[str] | None = None,
    thread: str | None = None,
    incident_id: str | None = None,
    msg_type: MsgType | None = None,
    since_us: int | None = None,
    until_us: int | None = None,
    readable: ReadFilter | None = None,
) -> list[AlertRecord]:
    """Messages matching every filter given, ordered by (sent, identifier)."""
    a = t.alerts
    where: list[ColumnElement[bool]] = []
    if identifiers is not None:
        where.append(a.c.identifier.in_(sorted(set(identifiers))))
    if thread is not None:
        where.append(a.c.thread == thread)
    if incident_id is not None:
        where.append(a.c.incident_id == incident_id)
    if msg_type is not None:
        where.append(a.c.msg_type == MsgType(msg_type).value)
    if since_us is not None:
        where.append(a.c.sent_us >= since_us)
    if until_us is not None:
        where.append(a.c.sent_us <= until_us)
    if readable is not None:
        where.append(readable.clause(a.c.releasability))
    query = select(a).where(*where).order_by(a.c.sent_us, a.c.identifier)
    return [_alert_of(row) for row in conn.execute(query)]


# responses


def _response_row(response: Response) -> dict[str, Any]:
    return {
        "id": response.id,
        "alert": response.alert,
        "member": response.member,
        "kind": response.kind.value,
        "tier": response.tier,
        "text": response.text,
        "at_us": to_us(response.at),
        "actor": response.actor,
    }


def _response_of(row: Any) -> Response:
    try:
        return Response.model_validate(
            {
                "id": row.id,
                "alert": row.alert,
                "member": row.member,
                "kind": row.kind,
                "tier": row.tier,
                "text": row.text,
                "at": from_us(row.at_us),
                "actor": row.actor,
            }
        )
    except ValueError as exc:
        raise StoreError(
            f"response {row.id!r}: the stored row is invalid ({exc}); the store was changed "
            "outside Truceline or by a newer version"
        ) from None


def insert_response(conn: Connection, response: Response) -> bool:
    """Insert a response; False when this very response is stored already."""
    r = t.responses
    stored = conn.execute(select(r).where(r.c.id == response.id)).first()
    if stored is not None:
        if _response_of(stored) != response:
            raise StoreError(
                f"response {response.id!r} is already stored with different content; a "
                "response is never changed: record a new one"
            )
        return False
    row = _response_row(response)
    conn.execute(r.insert().values(**row))
    ledger_sql.append(conn, ledger_sql.payloads(r, EntryKind.RESPONSE, "id", [row]))
    return True


def responses(conn: Connection, alert: str) -> list[Response]:
    """The responses to one alert (the identifier of its thread), ordered by (at, id)."""
    r = t.responses
    query = select(r).where(r.c.alert == alert).order_by(r.c.at_us, r.c.id)
    return [_response_of(row) for row in conn.execute(query)]


# receipts of pre-notifications


def _receipt_of(row: Any) -> NoticeReceipt:
    return NoticeReceipt(
        notice_id=row.notice_id,
        receiver=row.receiver,
        received_at=from_us(row.received_us),
        actor=row.actor,
        actor_org=row.actor_org,
    )


def insert_receipt(conn: Connection, receipt: NoticeReceipt) -> tuple[NoticeReceipt, bool]:
    """Insert a receipt unless its receiver has acknowledged the notice already; the receipt
    that counts (the first), and whether it is this one."""
    p = t.prenotification_receipts
    stored = conn.execute(
        select(p).where(p.c.notice_id == receipt.notice_id, p.c.receiver == receipt.receiver)
    ).first()
    if stored is not None:
        return _receipt_of(stored), False
    row = {
        "notice_id": receipt.notice_id,
        "receiver": receipt.receiver,
        "received_us": to_us(receipt.received_at),
        "actor": receipt.actor,
        "actor_org": receipt.actor_org,
    }
    conn.execute(p.insert().values(**row))
    ledger_sql.append(
        conn,
        [
            (
                EntryKind.RECEIPT,
                receipt_key(receipt.notice_id, receipt.receiver),
                ledger_sql.row_payload(p, row),
            )
        ],
    )
    return receipt, True


def receipt_key(notice_id: str, receiver: str) -> str:
    """The record id of a receipt in the ledger."""
    return f"{notice_id}/{receiver}"


def receipts(conn: Connection, notice_ids: Sequence[str] | None) -> list[NoticeReceipt]:
    """Receipts of these notices (of every notice when None), ordered by (notice id,
    received, receiver)."""
    p = t.prenotification_receipts
    query = select(p).order_by(p.c.notice_id, p.c.received_us, p.c.receiver)
    if notice_ids is None:
        return [_receipt_of(row) for row in conn.execute(query)]
    found: list[NoticeReceipt] = []
    for chunk in _chunks(sorted(set(notice_ids))):
        found.extend(
            _receipt_of(row) for row in conn.execute(query.where(p.c.notice_id.in_(chunk)))
        )
    return sorted(found, key=lambda r: (r.notice_id, r.received_at, r.receiver))
