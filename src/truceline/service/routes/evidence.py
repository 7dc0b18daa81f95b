"""Evidence files: upload one (content-addressed, write-once) and fetch it by its hash."""

from __future__ import annotations

import tempfile
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from truceline.errors import InputError, StoreError
from truceline.ledger.evidence import DEFAULT_MAX_BYTES, EvidenceStore, evidence_dir_for
from truceline.service.auth import Principal, Role, requires
from truceline.service.deps import ServiceDep
from truceline.service.errors import ApiError, field_error, not_found, responses

router = APIRouter(tags=["evidence"])
Analyst = Annotated[Principal, Depends(requires(Role.ANALYST))]
CellReader = Annotated[Principal, Depends(requires(Role.ANALYST, Role.REVIEWER))]
SPOOL_BYTES = 1024 * 1024


class EvidenceStored(BaseModel):
    """An evidence file as stored: refer to it from an observation as `sha256:<hex>`."""

    sha256: str = Field(description="SHA-256 of the bytes, 64 lowercase hex digits.")
    uri: str = Field(description="The URI to give in an observation's evidence.")
    bytes: int


def _store(svc: ServiceDep) -> EvidenceStore:
    try:
        return EvidenceStore(evidence_dir_for(svc.settings.store))
    except InputError as exc:
        raise ApiError(503, "evidence_unavailable", str(exc)) from None


@router.post(
    "/evidence",
    status_code=201,
    summary="Upload an evidence file",
)
async def upload_evidence(request: Request, svc: ServiceDep, principal: Analyst) -> EvidenceStored:
    """Store the request body (any content type) once, under the SHA-256 of its bytes.
    Uploading the same bytes again changes nothing. Bodies larger than the service's body
    limit are refused with 413."""
    store = _store(svc)
    limit = min(svc.settings.max_body_bytes, DEFAULT_MAX_BYTES)
    size = 0
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise ApiError(
                    413,
                    "payload_too_large",
                    f"the evidence file is larger than the {limit} bytes this service accepts",
                )
            spool.write(chunk)
        if size == 0:
            raise field_error("body", "an evidence file must not be empty", location="body")
        spool.seek(0)
        try:
            sha256 = await run_in_threadpool(store.put, spool, limit)  # type: ignore[arg-type]
        except InputError as exc:
            raise field_error(exc.field or "body", str(exc), location="body") from None
        except StoreError as exc:
            raise ApiError(507, "insufficient_storage", str(exc)) from None
    return EvidenceStored(sha256=sha256, uri=f"sha256:{sha256}", bytes=size)


@router.get("/evidence/{sha256}", summary="Fetch an evidence file", responses=responses(404))
def get_evidence(
    sha256: Annotated[str, PathParam(pattern=r"^[0-9a-f]{64}$")],
    svc: ServiceDep,
    principal: CellReader,
) -> FileResponse:
    """The bytes of the evidence file with this SHA-256 (application/octet-stream)."""
    store = _store(svc)
    if not store.exists(sha256):
        raise not_found("evidence file", sha256, "upload it with POST /api/evidence")
    return FileResponse(store.get(sha256), media_type="application/octet-stream")
