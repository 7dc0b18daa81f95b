"""GET /api/health: whether the service is up and its store readable (no token needed)."""

from __future__ import annotations

from fastapi import APIRouter

from truceline import __version__
from truceline.service.deps import ServiceDep
from truceline.service.schemas import Health

router = APIRouter(tags=["service"])


@router.get("/health", summary="Whether the service is up")
def health(svc: ServiceDep) -> Health:
    """`ok` with the version of Truceline and of the store's schema."""
    return Health(status="ok", version=__version__, schema_version=svc.store.schema_version())
