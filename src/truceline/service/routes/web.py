"""The analysts' dashboard: its static files under /app/, and the two small reads it needs
beyond the rest of the API — who the caller is, and the theatre's geometry as GeoJSON.

The dashboard is plain HTML, CSS and ES modules (`truceline/service/web/`), with MapLibre
GL JS vendored beside them: nothing is built at run time and nothing is fetched from
another site. Its pages are served with a Content-Security-Policy that allows only this
origin (and `blob:` workers, which MapLibre starts).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Annotated, Any

import shapely
from fastapi import APIRouter, FastAPI, Query
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from truceline.access.model import Principal
from truceline.agreement.loaded import LoadedAgreement
from truceline.opendata.zones import zone_features
from truceline.service.auth import CurrentPrincipal
from truceline.service.deps import Service, ServiceDep
from truceline.service.errors import ApiError, not_found, responses
from truceline.service.schemas import AgreementInfo

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"
"""The dashboard's static files."""

APP_PATH = "/app"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; worker-src 'self' blob:; "
    "child-src 'self' blob:; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
"""Only this origin: no external tiles, fonts or scripts. MapLibre starts its workers from
`blob:` URLs and sets inline styles on the elements it makes."""

SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)

router = APIRouter(tags=["dashboard"])
AgreementId = Annotated[str, PathParam(max_length=64)]


class Me(BaseModel):
    """The caller, as the dashboard shows it and decides which actions to offer."""

    subject: str = Field(description="The user id (administrator for the operator's token).")
    organisation: str
    roles: list[str] = Field(description="Sorted role names.")
    reads_everything: bool = Field(description="The cell: no releasability marking is hidden.")


@router.get("/me", summary="Who the token belongs to")
def me(principal: CurrentPrincipal) -> Me:
    """The principal of the bearer token: user, organisation and roles. The dashboard reads
    it at login to check the token and to offer only the actions the roles allow."""
    return Me(
        subject=principal.subject,
        organisation=principal.organisation,
        roles=sorted(r.value for r in principal.roles),
        reads_everything=principal.reads_everything,
    )


# the theatre as GeoJSON

KEPT = 4
_CACHE: OrderedDict[str, dict[str, Any]] = OrderedDict()
_CACHE_LOCK = threading.Lock()

SIMPLIFY_M = 50.0
"""Tolerance of the simplification of the drawn zones, metres (of latitude): finer than a
map shows."""

METRES_PER_DEGREE = 111_320.0
"""About one degree of latitude."""


def _feature(geometry: BaseGeometry, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": mapping(geometry)}


def theatre_geojson(loaded: LoadedAgreement) -> dict[str, Any]:
    """The agreement version's geometry for a map: a GeoJSON FeatureCollection of the line
    of contact (`kind` line), the area each listed party holds (`held_area`), every band
    of the buffer and of the withdrawal zones on each party's side (`zone`: the party's
    side of the line within the band's width; as in the adjudication, a place in no listed
    held area is on the side of `rest_held_by`) and the exclusion zones (`exclusion`).

    Bands are those of the open-data zones layer (`truceline.opendata.zones`), simplified to
    about 50 m: they are for display; the adjudication measures geodesic distances itself.
    """
    agreement = loaded.agreement
    features: list[dict[str, Any]] = [
        _feature(loaded.line, kind="line", id="line", name="Line of contact")
    ]
    names = {p.code: p.name for p in agreement.parties}
    for code in sorted(loaded.held_areas):
        features.append(
            _feature(
                loaded.held_areas[code],
                kind="held_area",
                id=f"held:{code}",
                party=code,
                name=f"Held by {names.get(code, code)}",
            )
        )
    for zone in zone_features(loaded):
        if zone.properties["zone_type"] not in ("buffer", "withdrawal"):
            continue  # exclusion zones follow, as the agreement gives them
        features.append(
            _feature(
                shapely.simplify(zone.geometry, SIMPLIFY_M / METRES_PER_DEGREE),
                kind="zone",
                id=zone.id,
                zone=zone.properties["zone"],
                party=zone.properties["party"],
                width_km=zone.properties["width_km"],
                name=f"{zone.properties['name']}, {zone.properties['width_km']:g} km",
            )
        )
    exclusion_names = {z.id: z.name for z in agreement.zones.exclusions}
    for zone_id in sorted(loaded.exclusions):
        features.append(
            _feature(
                loaded.exclusions[zone_id],
                kind="exclusion",
                id=f"exclusion:{zone_id}",
                zone=zone_id,
                name=exclusion_names.get(zone_id, zone_id),
            )
        )
    return {
        "type": "FeatureCollection",
        "agreement_id": agreement.id,
        "agreement_version": agreement.version,
        "bbox": list(shapely.union_all([loaded.line, *loaded.held_areas.values()]).bounds),
        "parties": [{"code": p.code, "name": p.name} for p in agreement.parties],
        "features": features,
    }


def _cached(svc: Service, info: AgreementInfo, version: int) -> dict[str, Any]:
    digest = next(v.digest for v in info.versions if v.version == version)
    with _CACHE_LOCK:
        found = _CACHE.get(digest)
        if found is not None:
            _CACHE.move_to_end(digest)
            return found
    made = theatre_geojson(svc.store.agreement(info.id, version))
    with _CACHE_LOCK:
        _CACHE[digest] = made
        while len(_CACHE) > KEPT:
            _CACHE.popitem(last=False)
    return made


def _theatre(
    svc: Service, principal: Principal, agreement_id: str, version: int | None
) -> dict[str, Any]:
    info = next((a for a in svc.reader.agreements(principal) if a.id == agreement_id), None)
    if info is None:
        raise not_found("agreement", agreement_id, "list them with GET /api/agreements")
    stored = [v.version for v in info.versions]
    if version is None:
        version = stored[-1]
    elif version not in stored:
        raise not_found(
            f"version of agreement {agreement_id!r}",
            version,
            f"stored versions: {', '.join(str(v) for v in stored)}",
        )
    return _cached(svc, info, version)


Version = Annotated[
    int | None, Query(ge=1, le=1_000_000, description="This version; the latest when absent.")
]


@router.get(
    "/agreements/{agreement_id}/theatre",
    summary="An agreement's line and zones as GeoJSON",
    responses=responses(404),
)
def agreement_theatre(
    agreement_id: AgreementId,
    svc: ServiceDep,
    principal: CurrentPrincipal,
    version: Version = None,
) -> dict[str, Any]:
    """The line of contact, the held areas, the buffer and withdrawal bands on each side,
    and the exclusion zones of one version (the latest unless `version`), as a GeoJSON
    FeatureCollection for a map; each feature's `kind` is line, held_area, zone or
    exclusion. The bands are for display, simplified to about 50 m."""
    return _theatre(svc, principal, agreement_id, version)


@router.get(
    "/theatre",
    summary="The line and zones of the agreement in force, as GeoJSON",
    responses=responses(409),
)
def theatre_in_force(svc: ServiceDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """As GET /api/agreements/{id}/theatre, for the latest version of the agreement in
    force. 409 `no_agreement` when the store holds none yet."""
    loaded = svc.processor.in_force()
    if loaded is None:
        raise ApiError(409, "no_agreement", "the store holds no agreement yet; submit one first")
    return _theatre(svc, principal, loaded.agreement.id, loaded.agreement.version)


# the static files


class _SecurityHeaders:
    """Adds the dashboard's security headers to every answer of the wrapped application."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, sending)


def mount(app: FastAPI) -> None:
    """Serve the dashboard at /app/ (and redirect / to it)."""
    if not (WEB_ROOT / "index.html").is_file():
        raise RuntimeError(f"the dashboard's files are missing from {WEB_ROOT}")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(f"{APP_PATH}/", status_code=307)

    app.mount(
        APP_PATH,
        _SecurityHeaders(StaticFiles(directory=WEB_ROOT, html=True)),
        name="dashboard",
    )
