"""The review workflow: the queue, an incident's review state and history, review actions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from truceline.service.auth import CurrentPrincipal
from truceline.service.errors import responses
from truceline.service.workflow import WorkflowDep
from truceline.service.workflow_schemas import QueueItem, QueuePage, ReviewActionIn, ReviewOut

router = APIRouter(tags=["review"])
IncidentId = Annotated[str, Path(max_length=200)]


@router.get("/review/queue", summary="The review queue", responses=responses(409))
def review_queue(
    request: Request,
    flow: WorkflowDep,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many entries.")] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Skip this many.")] = 0,
) -> QueuePage:
    """Incidents whose determination under the agreement version in force is a clear or
    suspected breach and whose review is not over, most pressing first: clear breaches
    awaiting a signature, then the others, then those awaiting more collection; within each,
    graver, nearer to signing, more confident, older first. Each entry shows the claim and
    the signatures so far. For analysts and reviewers."""
    entries = flow.queue(principal)
    return QueuePage(
        items=[QueueItem.of(e) for e in entries[offset : offset + limit]], total=len(entries)
    )


@router.get(
    "/incidents/{incident_id}/review",
    summary="An incident's review state and history",
    responses=responses(404),
)
def get_review(
    incident_id: IncidentId, flow: WorkflowDep, principal: CurrentPrincipal
) -> ReviewOut:
    """The review status, the claim (who, until when), the signatures, and every action
    taken on the incident: who, in which role, for which organisation, what, when and why."""
    return flow.review(principal, incident_id)


@router.post(
    "/incidents/{incident_id}/review",
    summary="Act on an incident's review",
    responses=responses(404, 409),
)
def act_on_review(
    incident_id: IncidentId, body: ReviewActionIn, flow: WorkflowDep, principal: CurrentPrincipal
) -> ReviewOut:
    """Claim, release, confirm, dismiss (with a reason), request more collection (with a
    reason), merge into another incident, split into groups of observations, or sign the
    determination. The caller is the actor and now is the time. Answers the new state; 409
    for an act the workflow refuses (`claimed`: someone else holds the claim;
    `illegal_transition`: not from this status), 403 for an act the caller's role may not
    take. The second signature of a clear breach by another reviewer raises its alert
    (`alert` in the answer)."""
    return flow.act(principal, incident_id, body)
