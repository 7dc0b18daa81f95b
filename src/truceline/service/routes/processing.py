"""POST /api/process: fuse and judge what is new (or judge everything again)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends

from truceline.service.auth import Principal, Role, requires
from truceline.service.deps import ServiceDep
from truceline.service.errors import responses
from truceline.service.schemas import ProcessIn, ProcessingReport

router = APIRouter(tags=["processing"])
Analyst = Annotated[Principal, Depends(requires(Role.ANALYST))]


@router.post("/process", summary="Process what is new", responses=responses(409))
def process(
    svc: ServiceDep,
    principal: Analyst,
    body: Annotated[ProcessIn | None, Body()] = None,
) -> ProcessingReport:
    """Fuse the observations that are in no incident yet, then judge the incidents not yet
    judged under the agreement version in force; with scope `all`, judge every incident
    again. New and changed determinations go to the live feed."""
    scope = body.scope if body is not None else "new"
    return svc.processor.process(judge_all=scope == "all")
