"""Observations: submit one or a batch (idempotent), list and read them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from truceline.observations.model import Kind, Observation
from truceline.service.auth import CurrentPrincipal, Principal, Role, requires
from truceline.service.deps import BBoxDep, PageDep, ServiceDep, WindowDep
from truceline.service.errors import ApiError, FieldProblem, not_found, responses, validation_error
from truceline.service.queries import ObservationFilter
from truceline.service.schemas import (
    BatchSubmitted,
    ObservationBatchIn,
    ObservationIn,
    ObservationPage,
    ObservationSubmitted,
)

router = APIRouter(tags=["observations"])
Submitter = Annotated[Principal, Depends(requires(Role.ANALYST))]


@router.post(
    "/observations",
    status_code=201,
    summary="Submit one observation",
    responses={
        200: {"model": ObservationSubmitted, "description": "Already stored."},
        **responses(409),
    },
)
def submit_observation(
    body: ObservationIn, svc: ServiceDep, response: Response, principal: Submitter
) -> ObservationSubmitted:
    """Store one report (201), or say it is already stored (200): the id derives from
    `source_id` and `source_ref`."""
    outcome = svc.submitter.submit([body.model_dump(mode="json")], datetime.now(UTC))
    if outcome.rejections:
        raise validation_error(
            [
                FieldProblem(location="body", field=r.field, reason=r.reason)
                for r in outcome.rejections
            ]
        )
    result = outcome.results[0]
    if result.status == "already_stored":
        response.status_code = 200
    return ObservationSubmitted(id=result.id, status=result.status, processing=outcome.processing)


@router.post("/observations/batch", summary="Submit many observations", responses=responses(409))
def submit_batch(body: ObservationBatchIn, svc: ServiceDep, principal: Submitter) -> BatchSubmitted:
    """Store the good rows of a batch and report each bad one with its index, field and
    reason. Every row is in `results` (stored or already_stored) or in `rejections`."""
    limit = svc.settings.max_batch_rows
    if len(body.observations) > limit:
        raise ApiError(
            413,
            "batch_too_large",
            f"observations: {len(body.observations)} rows in one batch, at most {limit} are "
            "accepted; split the batch",
            errors=[
                FieldProblem(location="body", field="observations", reason=f"at most {limit} rows")
            ],
        )
    outcome = svc.submitter.submit(body.observations, datetime.now(UTC))
    already = sum(1 for r in outcome.results if r.status == "already_stored")
    return BatchSubmitted(
        received=len(body.observations),
        stored=outcome.stored,
        already_stored=already,
        rejected=outcome.rejected_rows,
        results=outcome.results,
        rejections=outcome.rejections,
        processing=outcome.processing,
    )


@router.get("/observations", summary="List observations")
def list_observations(
    svc: ServiceDep,
    principal: CurrentPrincipal,
    window: WindowDep,
    bbox: BBoxDep,
    page: PageDep,
    source_id: Annotated[str | None, Query(max_length=200)] = None,
    kind: Kind | None = None,
) -> ObservationPage:
    """Observations whose time window overlaps [start, end], in the box, of that source
    and kind; ordered by (observed_at, id)."""
    f = ObservationFilter(window=window, bbox=bbox, source_id=source_id, kind=kind)
    found = svc.reader.observations(principal, f, page)
    return ObservationPage(items=found.items, next_cursor=found.next_cursor)


@router.get("/observations/{observation_id}", summary="One observation", responses=responses(404))
def get_observation(
    observation_id: Annotated[str, Path(max_length=200)],
    svc: ServiceDep,
    principal: CurrentPrincipal,
) -> Observation:
    found = svc.reader.observation(principal, observation_id)
    if found is None:
        raise not_found("observation", observation_id, "list them with GET /api/observations")
    return found
