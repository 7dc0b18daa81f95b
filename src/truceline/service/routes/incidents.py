"""Incidents: list with filters and paging, read one with its evidence."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from truceline.adjudication.determination import Status
from truceline.service.auth import CurrentPrincipal
from truceline.service.deps import BBoxDep, PageDep, ServiceDep, WindowDep
from truceline.service.errors import not_found, responses
from truceline.service.queries import IncidentFilter
from truceline.service.routes.determinations import VersionDep, version_filter
from truceline.service.schemas import IncidentDetail, IncidentPage

router = APIRouter(tags=["incidents"])


@router.get("/incidents", summary="List incidents", responses=responses(409))
def list_incidents(
    svc: ServiceDep,
    principal: CurrentPrincipal,
    window: WindowDep,
    bbox: BBoxDep,
    page: PageDep,
    version: VersionDep,
    min_confidence: Annotated[float | None, Query(ge=0, le=1)] = None,
    zone: Annotated[str | None, Query(max_length=100, description="Judged in this zone.")] = None,
    party: Annotated[
        str | None, Query(max_length=16, description="Judged on this side or attributed to it.")
    ] = None,
    status: Annotated[Status | None, Query(description="Judged with this status.")] = None,
) -> IncidentPage:
    """Incidents whose [start, end] overlaps the window, in the box, at least that
    confident; `zone`, `party` and `status` keep those with a matching determination under
    the agreement version in force (or the one named). Ordered by (start, id)."""
    judged = None
    if zone is not None or party is not None or status is not None:
        judged = version_filter(svc, version, zone=zone, party=party, status=status)
    f = IncidentFilter(window=window, bbox=bbox, min_confidence=min_confidence, judged=judged)
    found = svc.reader.incidents(principal, f, page)
    return IncidentPage(items=found.items, next_cursor=found.next_cursor)


@router.get(
    "/incidents/{incident_id}",
    summary="One incident with its evidence",
    responses=responses(404),
)
def get_incident(
    incident_id: Annotated[str, Path(max_length=200)],
    svc: ServiceDep,
    principal: CurrentPrincipal,
) -> IncidentDetail:
    """The incident, its observations and its determinations under every agreement version."""
    incident = svc.reader.incident(principal, incident_id)
    if incident is None:
        raise not_found("incident", incident_id, "list them with GET /api/incidents")
    return IncidentDetail(
        incident=incident,
        observations=svc.reader.observations_by_id(principal, list(incident.observation_ids)),
        determinations=svc.reader.determinations_of(principal, [incident.id]),
    )
