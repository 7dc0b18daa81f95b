"""Sources: list the known ones, register one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from truceline.pipeline import registry_of
from truceline.service.auth import CurrentPrincipal, Principal, Role, requires
from truceline.service.deps import ServiceDep
from truceline.service.schemas import SourceList, SourceOut, SourceSubmitted
from truceline.sources.registry import BUILTIN_SOURCES, Source

router = APIRouter(tags=["sources"])
Administrator = Annotated[Principal, Depends(requires(Role.ADMINISTRATOR))]
_BUILTIN = {s.id: s for s in BUILTIN_SOURCES}


@router.get("/sources", summary="List sources")
def list_sources(svc: ServiceDep, principal: CurrentPrincipal) -> SourceList:
    """Every source observations may name: the built-in ones and the registered ones."""
    registered = {s.id for s in svc.store.sources()}
    return SourceList(
        items=[
            SourceOut(**s.model_dump(), builtin=s.id not in registered and s.id in _BUILTIN)
            for s in registry_of(svc.store)
        ]
    )


@router.post(
    "/sources",
    status_code=201,
    summary="Register a source",
    responses={200: {"model": SourceSubmitted, "description": "Updated or unchanged."}},
)
def register_source(
    body: Source, svc: ServiceDep, response: Response, principal: Administrator
) -> SourceSubmitted:
    """Register a source (201), or replace the registered one of the same id (200). Its
    grade applies to its observations that do not give their own."""
    stored = {s.id: s for s in svc.store.sources()}.get(body.id)
    if stored == body:
        response.status_code = 200
        return SourceSubmitted(id=body.id, status="unchanged")
    svc.store.upsert_sources([body])
    if stored is not None:
        response.status_code = 200
        return SourceSubmitted(id=body.id, status="updated")
    return SourceSubmitted(id=body.id, status="stored")
