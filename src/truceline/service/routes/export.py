"""Exports: a whole layer as GeoJSON, CSV or GeoParquet, as the caller may read it.

`GET /api/export/{what}.{format}` streams the incidents, determinations, line or zones
(docs/opendata.md). Like every read, it goes through the service's read layer with the
caller's releasability. With `--public-read`, a request without a token reads as the
public (what is marked `public`); without it, a token is needed, as everywhere.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, Annotated, Any, Final

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from truceline.access.model import Principal
from truceline.adjudication.determination import Status
from truceline.opendata import Format, Layer, LayerFilter, OpenData, export_layer
from truceline.opendata.reading import PUBLIC_PRINCIPAL
from truceline.service.auth import current_principal
from truceline.service.deps import BBoxDep, ServiceDep, WindowDep
from truceline.service.errors import responses

router = APIRouter(tags=["open data"])

_bearer = HTTPBearer(
    auto_error=False,
    description="The API token: `Authorization: Bearer <token>`; optional when the service "
    "runs with --public-read (then a request without one reads what is public).",
)

SPOOL_BYTES: Final = 16 * 1024 * 1024
"""Exports up to this size are made in memory, larger ones in a temporary file."""

BLOCK: Final = 1024 * 1024


def reader_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller: the token's principal; without a token, the public when the service
    lets anonymous readers in (`--public-read`), else 401."""
    if credentials is None and request.app.state.settings.public_read:
        return PUBLIC_PRINCIPAL
    return current_principal(request, credentials)


ReaderDep = Annotated[Principal, Depends(reader_principal)]

ANONYMOUS_ALLOWED: Final[dict[str, Any]] = {"security": [{}]}
"""OpenAPI of an endpoint whose token is optional where the operator allows anonymous
readers (`--public-read`): added to its bearer scheme, an empty requirement."""


def open_data_of(svc: ServiceDep) -> OpenData:
    """The layers of the service's store, under the agreement in force."""
    return OpenData(svc.store, svc.reader, svc.processor.in_force())


OpenDataDep = Annotated[OpenData, Depends(open_data_of)]


def _stream(spool: IO[bytes]) -> Iterator[bytes]:
    try:
        spool.seek(0)
        while block := spool.read(BLOCK):
            yield block
    finally:
        spool.close()


@router.get(
    "/export/{what}.{format}",
    summary="Export a layer",
    response_class=StreamingResponse,
    openapi_extra=ANONYMOUS_ALLOWED,
    responses={
        200: {
            "description": "The layer, in the format asked for.",
            "content": {
                "application/geo+json": {"schema": {"type": "object"}},
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.apache.parquet": {
                    "schema": {"type": "string", "format": "binary"}
                },
            },
        },
        **responses(409),
    },
)
def export(
    what: Layer,
    format: Format,
    data: OpenDataDep,
    principal: ReaderDep,
    window: WindowDep,
    bbox: BBoxDep,
    min_confidence: Annotated[
        float | None, Query(ge=0, le=1, description="Incidents at least this confident.")
    ] = None,
    status: Annotated[Status | None, Query(description="Judged with this status.")] = None,
    clear_breach: Annotated[
        bool | None, Query(description="Judged a clear breach, or not.")
    ] = None,
    zone: Annotated[str | None, Query(max_length=100, description="Judged in this zone.")] = None,
    party: Annotated[
        str | None, Query(max_length=16, description="On this side or attributed to it.")
    ] = None,
    agreement_version: Annotated[
        int | None,
        Query(ge=1, le=1_000_000, description="Under this version of the agreement in force."),
    ] = None,
    all_versions: Annotated[
        bool, Query(description="Determinations under every version (default: the latest).")
    ] = False,
) -> StreamingResponse:
    """The incidents, determinations, line or zones as GeoJSON, CSV or GeoParquet, holding
    what the caller may read. The filters are those of the lists: `start`, `end` and
    `bbox` for every layer but the line and zones (which take `bbox` only); the others for
    incidents and determinations."""
    chosen = LayerFilter(
        window=window,
        bbox=bbox,
        min_confidence=min_confidence,
        status=status,
        clear_breach=clear_breach,
        zone=zone,
        party=party,
        agreement_version=agreement_version,
        all_versions=all_versions,
    )
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (closed by _stream)
    try:
        export_layer(data, what, format, spool, principal=principal, layer_filter=chosen)
    except BaseException:
        spool.close()
        raise
    name = f"truceline-{what.value}{format.suffix}"
    return StreamingResponse(
        _stream(spool),
        media_type=format.media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
