"""Agreements and their versions: list, read a version, submit a version or an amendment.

A version is never changed: a different document under a stored version number is
refused (409). Geometry travels inline, as GeoJSON, in the version's document; an
amendment through the API keeps the geometry of the version it amends.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response
from pydantic import ValidationError

from truceline.agreement.documents import agreement_document
from truceline.agreement.geometry_refs import geometry_references
from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.loader import agreement_digest, agreement_from_document, amend_agreement
from truceline.agreement.model import Agreement
from truceline.agreement.versions import SET_BY_AMENDMENT
from truceline.errors import AgreementError, GeometryError
from truceline.service.auth import CurrentPrincipal, Principal, Role, requires
from truceline.service.deps import Service, ServiceDep
from truceline.service.errors import ApiError, FieldProblem, not_found, responses
from truceline.service.schemas import (
    AgreementDocumentIn,
    AgreementDocumentOut,
    AgreementInfo,
    AgreementSubmitted,
    AmendmentIn,
)

router = APIRouter(tags=["agreements"])
Administrator = Annotated[Principal, Depends(requires(Role.ADMINISTRATOR))]
AgreementId = Annotated[str, Path(max_length=64)]


@router.get("/agreements", summary="List agreements and their versions")
def list_agreements(svc: ServiceDep, principal: CurrentPrincipal) -> list[AgreementInfo]:
    return svc.reader.agreements(principal)


def _info(svc: Service, principal: Principal, agreement_id: str) -> AgreementInfo:
    for info in svc.reader.agreements(principal):
        if info.id == agreement_id:
            return info
    raise not_found("agreement", agreement_id, "list them with GET /api/agreements")


@router.get(
    "/agreements/{agreement_id}", summary="One agreement's versions", responses=responses(404)
)
def get_agreement(
    agreement_id: AgreementId, svc: ServiceDep, principal: CurrentPrincipal
) -> AgreementInfo:
    return _info(svc, principal, agreement_id)


@router.get(
    "/agreements/{agreement_id}/versions/{version}",
    summary="One version as a document",
    responses=responses(404),
)
def get_agreement_version(
    agreement_id: AgreementId,
    version: Annotated[int, Path(ge=1, le=1_000_000)],
    svc: ServiceDep,
    principal: CurrentPrincipal,
) -> AgreementDocumentOut:
    """The version's fields and its geometry as GeoJSON, in one document."""
    info = _info(svc, principal, agreement_id)
    if version not in [v.version for v in info.versions]:
        raise not_found(
            f"version of agreement {agreement_id!r}",
            version,
            f"stored versions: {', '.join(str(v.version) for v in info.versions)}",
        )
    loaded = svc.store.agreement(agreement_id, version)
    return AgreementDocumentOut(
        id=agreement_id,
        version=version,
        digest=agreement_digest(loaded),
        document=agreement_document(loaded),
    )


def _check_usable(svc: Service, loaded: LoadedAgreement) -> None:
    """Refuse an agreement whose geometry the adjudication cannot work with."""
    try:
        svc.processor.theatre(loaded)
    except (GeometryError, AgreementError, ValueError) as exc:
        raise ApiError(
            422,
            "invalid_agreement",
            f"the agreement's geometry cannot be used to judge incidents: {exc}",
            errors=[FieldProblem(location="body", field="geometry", reason=str(exc))],
        ) from None


def _store_version(svc: Service, loaded: LoadedAgreement, response: Response) -> AgreementSubmitted:
    agreement = loaded.agreement
    digest = agreement_digest(loaded)
    versions = svc.store.agreement_versions(agreement.id)
    answer = AgreementSubmitted(
        id=agreement.id, version=agreement.version, digest=digest, status="already_stored"
    )
    if agreement.version in versions:
        if agreement_digest(svc.store.agreement(agreement.id, agreement.version)) == digest:
            response.status_code = 200
            return answer
        raise ApiError(
            409,
            "version_exists",
            f"agreement {agreement.id!r} version {agreement.version} is already stored with "
            f"different content; a version is never changed: submit version {versions[-1] + 1}",
        )
    if versions and agreement.version < versions[-1]:
        raise ApiError(
            409,
            "version_too_old",
            f"agreement {agreement.id!r}: version {agreement.version} is older than the "
            f"latest stored version {versions[-1]}; submit version {versions[-1] + 1}",
        )
    _check_usable(svc, loaded)
    svc.store.add_agreement(loaded)
    return answer.model_copy(update={"status": "stored"})


@router.post(
    "/agreements",
    status_code=201,
    summary="Submit an agreement version",
    responses={
        200: {"model": AgreementSubmitted, "description": "Already stored."},
        **responses(409),
    },
)
def submit_agreement(
    body: AgreementDocumentIn, svc: ServiceDep, response: Response, principal: Administrator
) -> AgreementSubmitted:
    """Store a whole version (its fields and its geometry as GeoJSON), as GET
    /api/agreements/{id}/versions/{version} gives it. The same document again is
    `already_stored` (200)."""
    loaded = agreement_from_document(body.model_dump(mode="json"))
    return _store_version(svc, loaded, response)


def _geometry_kept(old: Agreement, changes: dict[str, Any], amendment: AmendmentIn) -> None:
    """Refuse changes that name geometry files: the API reads no files of the server."""
    data = old.model_dump(mode="python")
    data.update(changes)
    data.update(
        version=old.version + 1,
        amends=old.version,
        amendment_note=amendment.note,
        effective_from=amendment.effective_from,
    )
    try:
        candidate = Agreement.model_validate(data)
    except ValidationError:
        return  # the amendment itself reports what is wrong, before any file is read
    known = {(role, file) for _, file, role in geometry_references(old)}
    for _, file, role in geometry_references(candidate):
        if (role, file) not in known:
            raise ApiError(
                422,
                "geometry_change",
                f"changes: the amendment names geometry file {file!r} for {role}; an amendment "
                "through the API keeps the geometry of the version it amends. To change the "
                "geometry, submit the whole new version with its geometry to POST /api/agreements",
                errors=[
                    FieldProblem(
                        location="body",
                        field="changes",
                        reason=f"names geometry file {file!r}; geometry cannot be amended here",
                    )
                ],
            )


@router.post(
    "/agreements/{agreement_id}/amendments",
    status_code=201,
    summary="Amend an agreement",
    responses=responses(404, 409),
)
def amend(
    agreement_id: AgreementId,
    body: AmendmentIn,
    svc: ServiceDep,
    response: Response,
    principal: Administrator,
) -> AgreementSubmitted:
    """Make and store the next version of the latest one, with some top-level fields
    replaced (e.g. `clear_breach`, `prohibited_acts`); the older versions stay as they are.
    Fields an amendment sets itself (version, amends, amendment_note, effective_from) and
    geometry files cannot be changed."""
    versions = svc.store.agreement_versions(agreement_id)
    if not versions:
        raise not_found("agreement", agreement_id, "list them with GET /api/agreements")
    old = svc.store.agreement(agreement_id, versions[-1])
    forbidden = sorted(set(body.changes) & SET_BY_AMENDMENT)
    if forbidden:
        raise ApiError(
            422,
            "validation_failed",
            f"changes: {', '.join(forbidden)} cannot be changed; an amendment sets them itself",
            errors=[
                FieldProblem(
                    location="body", field=f"changes.{name}", reason="set by the amendment"
                )
                for name in forbidden
            ],
        )
    _geometry_kept(old.agreement, body.changes, body)
    loaded = amend_agreement(
        old, changes=dict(body.changes), note=body.note, effective_from=body.effective_from
    )
    return _store_version(svc, loaded, response)
