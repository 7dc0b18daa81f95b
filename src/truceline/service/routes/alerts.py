"""Alerts of signed clear breaches (CAP 1.2, XML and JSON), members' responses and the
response protocol's clocks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response
from fastapi.responses import JSONResponse

from truceline.response.cap import MsgType
from truceline.response.protocol import Response as MemberResponse
from truceline.service.auth import CurrentPrincipal
from truceline.service.deps import WindowDep
from truceline.service.errors import responses
from truceline.service.workflow import WorkflowDep, alert_out, alert_summary
from truceline.service.workflow_schemas import (
    AlertOut,
    AlertPage,
    AlertSummary,
    CancelIn,
    ClocksOut,
    ResponseIn,
    ResponseRecorded,
)

router = APIRouter(tags=["alerts"])
AlertId = Annotated[str, Path(max_length=200)]
CAP_XML = "application/cap+xml"
XML_TYPES = (CAP_XML, "application/xml", "text/xml")

_XML_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The message: JSON, or the CAP 1.2 XML document when asked for.",
        "content": {CAP_XML: {"schema": {"type": "string"}}},
    }
}


def _xml(document: str) -> Response:
    return Response(content=document.encode("utf-8"), media_type=CAP_XML)


@router.get("/alerts", summary="List alert messages")
def list_alerts(
    flow: WorkflowDep,
    principal: CurrentPrincipal,
    window: WindowDep,
    incident_id: Annotated[str | None, Query(max_length=200)] = None,
    msg_type: Annotated[MsgType | None, Query(description="Alert, Update or Cancel.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many.")] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Skip this many.")] = 0,
) -> AlertPage:
    """The messages the caller may read — alerts of signed clear breaches, their updates
    (reminders of overdue steps) and cancels — sent within the window, ordered by (sent,
    identifier). Reminders that have fallen due are sent first."""
    found = flow.alerts(principal, incident_id=incident_id, msg_type=msg_type, window=window)
    return AlertPage(
        items=[alert_summary(r) for r in found[offset : offset + limit]], total=len(found)
    )


@router.post("/alerts/reminders", summary="Send the reminders due")
def send_reminders(flow: WorkflowDep, principal: CurrentPrincipal) -> list[AlertSummary]:
    """Send a reminder (a CAP Update) for every tier of every open alert with overdue steps
    that has not been reminded of yet; the reminders sent. Reading alerts does the same;
    this is for a scheduler. For analysts and reviewers."""
    from truceline.service.permissions import require_cell

    require_cell(principal, "sending reminders")
    return [alert_summary(r) for r in flow.remind(flow.svc.store.alerts(msg_type=MsgType.ALERT))]


@router.get(
    "/alerts/{alert_id}.xml",
    summary="One alert message as CAP 1.2 XML",
    response_class=Response,
    responses={**_XML_ANSWER, **responses(404)},
)
def get_alert_xml(alert_id: AlertId, flow: WorkflowDep, principal: CurrentPrincipal) -> Response:
    """The CAP 1.2 XML document of the message, exactly as sent."""
    return _xml(flow.alert(principal, alert_id).xml)


@router.get(
    "/alerts/{alert_id}",
    summary="One alert message",
    response_model=AlertOut,
    responses={**_XML_ANSWER, **responses(404)},
)
def get_alert(
    alert_id: AlertId,
    flow: WorkflowDep,
    principal: CurrentPrincipal,
    accept: Annotated[str | None, Header(max_length=1000)] = None,
) -> Response:
    """The message with its CAP content in JSON; with `Accept: application/cap+xml` (or
    application/xml), the CAP 1.2 XML document."""
    record = flow.alert(principal, alert_id)
    wanted = (accept or "").lower()
    if any(t in wanted for t in XML_TYPES) and "json" not in wanted:
        return _xml(record.xml)
    return JSONResponse(alert_out(record).model_dump(mode="json"))


@router.post(
    "/alerts/{alert_id}/cancel",
    summary="Cancel an alert",
    status_code=201,
    responses=responses(404, 409),
)
def cancel_alert(
    alert_id: AlertId, body: CancelIn, flow: WorkflowDep, principal: CurrentPrincipal
) -> AlertOut:
    """Send a CAP Cancel of the alert's thread (referencing every message of it), saying
    why in `note`. The clocks stop raising reminders and no more responses are taken. 409
    when it is cancelled already. For analysts and reviewers."""
    return alert_out(flow.cancel(principal, alert_id, body.note))


@router.post(
    "/alerts/{alert_id}/responses",
    summary="Record a member's response",
    status_code=201,
    responses={
        200: {"model": ResponseRecorded, "description": "Already recorded."},
        **responses(404, 409),
    },
)
def record_response(
    alert_id: AlertId,
    body: ResponseIn,
    flow: WorkflowDep,
    principal: CurrentPrincipal,
    response: Response,
) -> ResponseRecorded:
    """An acknowledgement, consultation, statement or measures of a coalition member, now,
    naming the protocol tier it answers (none: an acknowledgement of the whole alert). A
    liaison records its own member's responses. Answers the member's clocks after it."""
    made, new = flow.respond(principal, alert_id, body)
    if not new:
        response.status_code = 200
    return made


@router.get("/alerts/{alert_id}/responses", summary="Members' responses", responses=responses(404))
def list_responses(
    alert_id: AlertId, flow: WorkflowDep, principal: CurrentPrincipal
) -> list[MemberResponse]:
    """Every response recorded to the alert, by (time, id)."""
    first = flow.alert(principal, alert_id)
    return flow.svc.store.responses(first.thread)


@router.get(
    "/alerts/{alert_id}/clocks", summary="The response protocol's clocks", responses=responses(404)
)
def get_clocks(alert_id: AlertId, flow: WorkflowDep, principal: CurrentPrincipal) -> ClocksOut:
    """Per member and tier: when it is due, when it was acknowledged and done, and whether
    it is overdue (`state`: done, done late, overdue, pending). Reminders that have fallen
    due are sent first."""
    return flow.clocks(principal, alert_id)
