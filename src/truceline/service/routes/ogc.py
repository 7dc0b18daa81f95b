"""OGC API - Features under `/ogc`: the open data as a GIS opens it directly.

Thin: the documents and the parameters are `truceline.opendata.ogc`'s, the reads
`truceline.opendata.reading.OpenData`'s (through the service's read layer, with the
caller's releasability). A request without a token reads as the public when the service
runs with `--public-read`; otherwise it needs a token, as everywhere.

OGC API - Features asks for 400 on an unknown or invalid query parameter, so these routes
check their parameters themselves (not with the API's 422): the error body is the
service's one shape all the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from truceline.errors import InputError
from truceline.opendata import Layer, LayerFilter
from truceline.opendata import ogc as documents
from truceline.service.errors import (
    ERROR_RESPONSES,
    ApiError,
    FieldProblem,
    not_found,
    responses,
)
from truceline.service.routes.export import ANONYMOUS_ALLOWED, OpenDataDep, ReaderDep

router = APIRouter(prefix=documents.OGC_PREFIX, tags=["OGC API - Features"])


class GeoJsonResponse(JSONResponse):
    """A JSON answer of media type application/geo+json."""

    media_type = documents.GEOJSON


def _checked(request: Request, known: frozenset[str]) -> None:
    try:
        documents.check_parameters(request.query_params, known)
    except InputError as exc:
        raise _bad(exc) from None


def _bad(exc: InputError) -> ApiError:
    return ApiError(
        400,
        "bad_request",
        str(exc),
        errors=[FieldProblem(location="query", field=exc.field, reason=str(exc))],
    )


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _layer(collection_id: str) -> Layer:
    try:
        return Layer(collection_id)
    except ValueError:
        raise not_found(
            "collection", collection_id, f"the collections are {', '.join(x.value for x in Layer)}"
        ) from None


_F_ONLY: dict[str, Any] = {"parameters": [dict(documents.F_PARAMETER)], **ANONYMOUS_ALLOWED}
_ITEMS: dict[str, Any] = {"parameters": documents.items_parameters(), **ANONYMOUS_ALLOWED}
_ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorBody"}


def _geojson_responses() -> dict[int | str, dict[str, Any]]:
    """The answers of a GeoJSON endpoint: GeoJSON, or the error body as JSON (stated
    here, since the route's own media type would otherwise be given to its errors too)."""
    described = {**ERROR_RESPONSES, **responses(404, 409)}
    found: dict[int | str, dict[str, Any]] = {
        status: {
            "description": entry["description"],
            "content": {documents.JSON: {"schema": _ERROR_SCHEMA}},
        }
        for status, entry in described.items()
    }
    found[200] = {
        "description": "GeoJSON",
        "content": {documents.GEOJSON: {"schema": {"type": "object"}}},
    }
    return found


CollectionId = Annotated[
    str, Path(max_length=100, description="incidents, determinations, line or zones.")
]


@router.get("", summary="Landing page", openapi_extra=_F_ONLY)
def landing(request: Request, principal: ReaderDep) -> dict[str, Any]:
    """What this OGC API - Features service is, with links to its definition, conformance
    declaration and collections."""
    _checked(request, documents.COMMON_PARAMETERS)
    return documents.landing_page(_base(request))


@router.get("/conformance", summary="Conformance declaration", openapi_extra=_F_ONLY)
def conformance(request: Request, principal: ReaderDep) -> dict[str, Any]:
    """The conformance classes implemented: Core, GeoJSON, OpenAPI 3.0."""
    _checked(request, documents.COMMON_PARAMETERS)
    return documents.conformance()


@router.get(
    "/collections", summary="The collections", openapi_extra=_F_ONLY, responses=responses(409)
)
def collections(request: Request, principal: ReaderDep, data: OpenDataDep) -> dict[str, Any]:
    """Incidents, determinations, line and zones, each with its extent as the caller may
    read it."""
    _checked(request, documents.COMMON_PARAMETERS)
    extents = {layer: data.extent(principal, layer, LayerFilter()) for layer in Layer}
    return documents.collections(_base(request), extents)


@router.get(
    "/collections/{collection_id}",
    summary="One collection",
    openapi_extra=_F_ONLY,
    responses=responses(404, 409),
)
def collection(
    request: Request, collection_id: CollectionId, principal: ReaderDep, data: OpenDataDep
) -> dict[str, Any]:
    """A collection's description and extent (spatial and temporal)."""
    _checked(request, documents.COMMON_PARAMETERS)
    layer = _layer(collection_id)
    return documents.collection(_base(request), layer, data.extent(principal, layer, LayerFilter()))


def _items_filter(layer: Layer, query: documents.ItemsQuery) -> LayerFilter:
    # The line and the zones have no time: `datetime` does not filter them.
    window = query.window if layer.is_judged else None
    return LayerFilter(window=window, bbox=query.bbox)


@router.get(
    "/collections/{collection_id}/items",
    summary="A collection's features",
    response_class=GeoJsonResponse,
    openapi_extra=_ITEMS,
    responses=_geojson_responses(),
)
def items(
    request: Request, collection_id: CollectionId, principal: ReaderDep, data: OpenDataDep
) -> GeoJsonResponse:
    """One page of a collection's features (GeoJSON), filtered by `bbox` and `datetime`,
    with `numberMatched`, `numberReturned` and a `next` link while more remain."""
    layer = _layer(collection_id)
    params: Mapping[str, str] = request.query_params
    try:
        query = documents.ItemsQuery.parse(params)
    except InputError as exc:
        raise _bad(exc) from None
    chosen = _items_filter(layer, query)
    matched = data.extent(principal, layer, chosen).count
    features = (
        data.page(principal, layer, chosen, offset=query.offset, limit=query.limit)
        if query.offset < matched
        else []
    )
    return GeoJsonResponse(documents.items(_base(request), layer, query, features, matched))


@router.get(
    "/collections/{collection_id}/items/{feature_id}",
    summary="One feature",
    response_class=GeoJsonResponse,
    openapi_extra=_F_ONLY,
    responses=_geojson_responses(),
)
def item(
    request: Request,
    collection_id: CollectionId,
    feature_id: Annotated[str, Path(max_length=200)],
    principal: ReaderDep,
    data: OpenDataDep,
) -> GeoJsonResponse:
    """One feature of a collection by id; 404 when there is none the caller may read."""
    _checked(request, documents.COMMON_PARAMETERS)
    layer = _layer(collection_id)
    found = data.feature(principal, layer, feature_id)
    if found is None:
        raise not_found(
            layer.value.rstrip("s"),
            feature_id,
            f"list them with GET {documents.OGC_PREFIX}/collections/{layer.value}/items",
        )
    return GeoJsonResponse(documents.item(_base(request), layer, found))
