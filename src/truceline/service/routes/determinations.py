"""Determinations: list with filters and paging, read one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from truceline.adjudication.determination import Status
from truceline.service.auth import CurrentPrincipal
from truceline.service.deps import BBoxDep, PageDep, Service, ServiceDep, WindowDep
from truceline.service.errors import not_found, responses
from truceline.service.queries import DeterminationFilter
from truceline.service.schemas import DeterminationOut, DeterminationPage

router = APIRouter(tags=["determinations"])


@dataclass(frozen=True)
class VersionChoice:
    """Which agreement version's determinations a request asks for."""

    agreement_version: int | None
    all_versions: bool


def version_choice(
    agreement_version: Annotated[
        int | None,
        Query(ge=1, le=1_000_000, description="Under this version of the agreement in force."),
    ] = None,
    all_versions: Annotated[
        bool, Query(description="Under every version (default: the latest version only).")
    ] = False,
) -> VersionChoice:
    return VersionChoice(agreement_version, all_versions)


VersionDep = Annotated[VersionChoice, Depends(version_choice)]


def version_filter(svc: Service, choice: VersionChoice, **fields: Any) -> DeterminationFilter:
    """A filter keeping the determinations of the version in force (or the one named)."""
    if choice.all_versions:
        return DeterminationFilter(**fields)
    loaded = svc.processor.in_force()
    if loaded is None:
        return DeterminationFilter(**fields)  # nothing judged yet
    version = choice.agreement_version or loaded.agreement.version
    return DeterminationFilter(
        agreement_id=loaded.agreement.id, agreement_version=version, **fields
    )


@router.get("/determinations", summary="List determinations", responses=responses(409))
def list_determinations(
    svc: ServiceDep,
    principal: CurrentPrincipal,
    window: WindowDep,
    bbox: BBoxDep,
    page: PageDep,
    version: VersionDep,
    zone: Annotated[str | None, Query(max_length=100, description="Zone id, e.g. buffer.")] = None,
    party: Annotated[
        str | None, Query(max_length=16, description="On this party's side or attributed to it.")
    ] = None,
    attributed_to: Annotated[str | None, Query(max_length=16)] = None,
    status: Status | None = None,
    rule: Annotated[
        str | None, Query(max_length=64, description="Rule code, e.g. CV-FIRE.")
    ] = None,
    clear_breach: bool | None = None,
    min_confidence: Annotated[float | None, Query(ge=0, le=1)] = None,
) -> DeterminationPage:
    """Determinations whose incident overlaps the window and lies in the box, matching
    every filter given; under the latest version of the agreement in force unless
    `agreement_version` or `all_versions` says otherwise. Ordered by (incident start, id)."""
    f = version_filter(
        svc,
        version,
        window=window,
        bbox=bbox,
        zone=zone,
        party=party,
        attributed_to=attributed_to,
        status=status,
        rule=rule,
        clear_breach=clear_breach,
        min_confidence=min_confidence,
    )
    found = svc.reader.determinations(principal, f, page)
    return DeterminationPage(items=found.items, next_cursor=found.next_cursor)


@router.get(
    "/determinations/{determination_id}", summary="One determination", responses=responses(404)
)
def get_determination(
    determination_id: Annotated[str, Path(max_length=200)],
    svc: ServiceDep,
    principal: CurrentPrincipal,
) -> DeterminationOut:
    found = svc.reader.determination(principal, determination_id)
    if found is None:
        raise not_found("determination", determination_id, "list them with GET /api/determinations")
    return found
