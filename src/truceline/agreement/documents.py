"""Self-contained agreement documents: the agreement and all its geometry in one JSON object.

A store keeps every version as a document, so that it stays loadable without the original
files, and names it by its digest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from truceline.agreement.geometry_files import (
    areas_from_geojson,
    geometry_to_geojson,
    lines_from_geojson,
)
from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.model import Agreement
from truceline.agreement.validation_messages import describe_validation_error
from truceline.errors import AgreementError, GeometryError

DOCUMENT_FORMAT = "truceline-agreement"
"""Value of a document's ``format`` field."""

DOCUMENT_FORMAT_VERSION = 1
"""Version of the document layout this code writes and reads."""

_WHERE = "agreement document"


LATE_OPTIONAL_FIELDS = ("thermal",)
"""Agreement fields added after the first release that the document omits while unset."""


def agreement_document(loaded: LoadedAgreement) -> dict[str, Any]:
    """The agreement's fields plus every geometry inlined as GeoJSON; JSON-able.

    Optional sections added after the first release (`thermal`) are left out while unset,
    so that a version written before they existed keeps its document and its digest.
    """
    agreement = loaded.agreement.model_dump(mode="json")
    for late_field in LATE_OPTIONAL_FIELDS:
        if agreement.get(late_field) is None:
            agreement.pop(late_field, None)
    return {
        "format": DOCUMENT_FORMAT,
        "format_version": DOCUMENT_FORMAT_VERSION,
        "agreement": agreement,
        "geometry": {
            "line": geometry_to_geojson(loaded.line),
            "held_areas": {
                code: geometry_to_geojson(area) for code, area in sorted(loaded.held_areas.items())
            },
            "exclusions": {
                zone: geometry_to_geojson(area) for zone, area in sorted(loaded.exclusions.items())
            },
        },
    }


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: the same value always gives the same text."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def agreement_digest(loaded: LoadedAgreement) -> str:
    """SHA-256 (hex) of the canonical JSON of the agreement's document.

    Coordinates are rounded to 7 decimals. The names of the geometry files are left out:
    they say where the geometry was kept, not what was agreed, so the same version written
    to another folder has the same digest.
    """
    document = agreement_document(loaded)
    agreement = document["agreement"]
    agreement["line"]["file"] = ""
    agreement["line"]["held_areas"] = dict.fromkeys(agreement["line"]["held_areas"], "")
    for zone in agreement["zones"]["exclusions"]:
        zone["file"] = ""
    return hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise AgreementError(
            f"{_WHERE}, {path}: expected a JSON object, got {type(value).__name__}"
        )
    return value


def agreement_from_document(document: Mapping[str, Any]) -> LoadedAgreement:
    """The agreement a document holds; AgreementError naming the field when it is malformed."""
    doc = _mapping(document, "top level")
    if doc.get("format") != DOCUMENT_FORMAT or doc.get("format_version") != DOCUMENT_FORMAT_VERSION:
        raise AgreementError(
            f"{_WHERE}: expected format {DOCUMENT_FORMAT!r} version {DOCUMENT_FORMAT_VERSION}, "
            f"got {doc.get('format')!r} version {doc.get('format_version')!r}"
        )
    try:
        agreement = Agreement.model_validate(doc.get("agreement"))
    except ValidationError as exc:
        lines = describe_validation_error(exc, model=Agreement, where=f"{_WHERE}, agreement")
        raise AgreementError("\n".join(lines)) from None
    geometry = _mapping(doc.get("geometry"), "geometry")
    held_docs = _mapping(geometry.get("held_areas", {}), "geometry.held_areas")
    exclusion_docs = _mapping(geometry.get("exclusions", {}), "geometry.exclusions")
    expected_held = set(agreement.line.held_areas)
    expected_zones = {zone.id for zone in agreement.zones.exclusions}
    if set(held_docs) != expected_held or set(exclusion_docs) != expected_zones:
        raise AgreementError(
            f"{_WHERE}, geometry: expected held areas {sorted(expected_held)} and exclusion "
            f"zones {sorted(expected_zones)}, got {sorted(held_docs)} and {sorted(exclusion_docs)}"
        )
    try:
        path = "geometry.line"
        line = lines_from_geojson(geometry.get("line"))
        held = {}
        for code in agreement.line.held_areas:
            path = f"geometry.held_areas.{code}"
            held[code] = areas_from_geojson(held_docs[code], dissolve=False)
        exclusions = {}
        for zone in agreement.zones.exclusions:
            path = f"geometry.exclusions.{zone.id}"
            exclusions[zone.id] = areas_from_geojson(exclusion_docs[zone.id], dissolve=False)
    except GeometryError as exc:
        raise AgreementError(f"{_WHERE}, {path}: {exc}") from None
    return LoadedAgreement(agreement=agreement, line=line, held_areas=held, exclusions=exclusions)
