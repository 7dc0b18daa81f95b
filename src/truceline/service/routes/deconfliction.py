"""Deconfliction: receipts of pre-notifications (proof of notice), and the notifying
parties' late or out-of-area activity."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from truceline.adjudication.notice_activity import FindingKind
from truceline.service.auth import CurrentPrincipal
from truceline.service.deps import WindowDep
from truceline.service.errors import responses
from truceline.service.workflow import WorkflowDep
from truceline.service.workflow_schemas import (
    FindingsOut,
    NoticeReceipts,
    ReceiptIn,
    ReceiptRecorded,
)

router = APIRouter(tags=["pre-notifications"])
NoticeId = Annotated[str, Path(max_length=100)]


@router.post(
    "/prenotifications/{notice_id}/receipts",
    summary="Acknowledge a pre-notification",
    status_code=201,
    responses={
        200: {"model": ReceiptRecorded, "description": "Already acknowledged."},
        **responses(404, 409),
    },
)
def acknowledge(
    notice_id: NoticeId,
    flow: WorkflowDep,
    principal: CurrentPrincipal,
    response: Response,
    body: ReceiptIn | None = None,
) -> ReceiptRecorded:
    """Record, now, that the caller's side received the notice: the other party (a party's
    representative, for its own party) or the cell (an analyst or reviewer). The first
    receipt of each receiver is the proof of notice; a later one answers it with 200."""
    receipt, new = flow.receive(principal, notice_id, body.receiver if body else None)
    if not new:
        response.status_code = 200
    return ReceiptRecorded(receipt=receipt, status="recorded" if new else "already_recorded")


@router.get(
    "/prenotifications/{notice_id}/receipts",
    summary="Proof of notice",
    responses=responses(404, 409),
)
def receipts(notice_id: NoticeId, flow: WorkflowDep, principal: CurrentPrincipal) -> NoticeReceipts:
    """The receipts of the notice, the receivers still awaited (the cell and every other
    party), and whether the notice was timely and not longer than its activity allows."""
    return flow.receipts(notice_id)


@router.get(
    "/deconfliction/findings",
    summary="Late and out-of-area activity",
    responses=responses(404, 409),
)
def findings(
    flow: WorkflowDep,
    principal: CurrentPrincipal,
    window: WindowDep,
    party: Annotated[
        str | None, Query(min_length=1, max_length=16, description="Notices of this party.")
    ] = None,
    notice_id: Annotated[
        str | None, Query(min_length=1, max_length=100, description="This notice only.")
    ] = None,
    finding: Annotated[
        list[FindingKind] | None, Query(description="Keep these findings only.")
    ] = None,
    radius_km: Annotated[
        float, Query(gt=0, le=50, description="How far outside an area activity is reported.")
    ] = 10.0,
    slack_hours: Annotated[
        float,
        Query(ge=0, le=168, description="How long before or after a window it is reported."),
    ] = 24.0,
) -> FindingsOut:
    """For each notice whose window overlaps [start, end] (or the one named): whether it was
    timely, and each incident of the notifying party's activity (attributed to it, or
    unattributed on its side, of a kind the activity covers) near it — `covered`,
    `late_notice` (in area and window, but the notice came too late or runs too long),
    `outside_area` (in the window, outside the area within radius_km), `outside_window` (in
    the area, within slack_hours before or after the window), `not_covered` (in area and
    window of a timely notice, yet a rule or kind is not exempted)."""
    found = flow.findings(
        principal,
        window=window,
        party=party,
        notice_id=notice_id,
        radius_m=radius_km * 1000.0,
        slack=timedelta(hours=slack_hours),
    )
    if finding:
        found = FindingsOut(
            notices=found.notices, items=[f for f in found.items if f.finding in finding]
        )
    return found
