"""Versions of an agreement: amendments, and writing a version to files of its own.

An amendment is a new version (version + 1, `amends` the old one) with some top-level
fields changed; the old version is never touched. Each written version has its own YAML
and geometry files, so every version stays loadable.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from shapely.geometry import MultiLineString, MultiPolygon

from truceline.agreement.geometry_files import feature_collection
from truceline.agreement.geometry_refs import (
    LINE,
    exclusion_role,
    held_role,
    load_geometry,
)
from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.model import Agreement
from truceline.agreement.validation_messages import describe_validation_error
from truceline.errors import AgreementError

SET_BY_AMENDMENT = frozenset(
    {"schema_version", "id", "version", "amends", "amendment_note", "effective_from"}
)
"""Fields an amendment sets itself and `changes` may not."""


def _known_geometry(
    loaded: LoadedAgreement,
) -> dict[str, tuple[str, MultiLineString | MultiPolygon]]:
    agreement = loaded.agreement
    known: dict[str, tuple[str, MultiLineString | MultiPolygon]] = {
        LINE: (agreement.line.file, loaded.line)
    }
    for code, file in agreement.line.held_areas.items():
        if code in loaded.held_areas:
            known[held_role(code)] = (file, loaded.held_areas[code])
    for zone in agreement.zones.exclusions:
        if zone.id in loaded.exclusions:
            known[exclusion_role(zone.id)] = (zone.file, loaded.exclusions[zone.id])
    return known


def amend_agreement(
    loaded: LoadedAgreement,
    *,
    changes: dict[str, Any],
    note: str,
    effective_from: datetime,
) -> LoadedAgreement:
    """A new version with top-level fields replaced by `changes`, validated; old one intact.

    Geometry is taken over from the old version unless a change names other files; those
    are read relative to the folder the old version was read from.
    """
    old = loaded.agreement
    where = f"amendment of {old.id} version {old.version}"
    forbidden = sorted(set(changes) & SET_BY_AMENDMENT)
    if forbidden:
        raise AgreementError(
            f"{where}: {', '.join(forbidden)} cannot be changed: an amendment sets them "
            "itself (version + 1, amends, amendment_note, effective_from)"
        )
    unknown = sorted(set(changes) - set(Agreement.model_fields))
    if unknown:
        allowed = sorted(set(Agreement.model_fields) - SET_BY_AMENDMENT)
        raise AgreementError(
            f"{where}: unknown field(s) {', '.join(unknown)}; expected one of: {', '.join(allowed)}"
        )
    if effective_from.tzinfo is not None and effective_from <= old.effective_from:
        raise AgreementError(
            f"{where}, effective_from: {effective_from.isoformat()} is not after version "
            f"{old.version}'s {old.effective_from.isoformat()}; an amendment takes effect later"
        )
    data = old.model_dump(mode="python")
    data.update(changes)
    data.update(
        version=old.version + 1,
        amends=old.version,
        amendment_note=note,
        effective_from=effective_from,
    )
    try:
        agreement = Agreement.model_validate(data)
    except ValidationError as exc:
        lines = describe_validation_error(exc, model=Agreement, where=where)
        raise AgreementError("\n".join(lines)) from None
    geometry = load_geometry(
        agreement,
        base=loaded.source.parent if loaded.source else None,
        where=where,
        reuse=_known_geometry(loaded),
    )
    return LoadedAgreement(
        agreement=agreement,
        line=geometry.line,
        held_areas=geometry.held_areas,
        exclusions=geometry.exclusions,
    )


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


def version_files(loaded: LoadedAgreement) -> dict[str, bytes]:
    """The files of one written version, by file name: the YAML first, then its geometry."""
    agreement = loaded.agreement
    stem = f"{agreement.id}-v{agreement.version}"
    common = {"agreement": agreement.id, "version": agreement.version}
    geometry: dict[str, bytes] = {
        f"{stem}.line.geojson": _json_bytes(
            feature_collection(loaded.line, {**common, "role": "line of contact"})
        )
    }
    data = agreement.model_dump(mode="json", exclude_none=True)
    data["line"]["file"] = f"{stem}.line.geojson"
    for code in agreement.line.held_areas:
        name = f"{stem}.held-{code}.geojson"
        data["line"]["held_areas"][code] = name
        props = {**common, "role": f"area held by {code}"}
        geometry[name] = _json_bytes(feature_collection(loaded.held_areas[code], props))
    for zone, entry in zip(agreement.zones.exclusions, data["zones"]["exclusions"], strict=True):
        name = f"{stem}.zone-{zone.id}.geojson"
        entry["file"] = name
        props = {**common, "role": f"exclusion zone {zone.id}"}
        geometry[name] = _json_bytes(feature_collection(loaded.exclusions[zone.id], props))
    header = (
        f"# Agreement {agreement.id}, version {agreement.version}: {agreement.title}\n"
        "# Written by Truceline. The geometry files named below are beside this file.\n"
        "# Format: docs/agreement.md. Check with: truceline agreement validate <this file>\n"
    )
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return {f"{stem}.yaml": (header + body).encode("utf-8"), **geometry}


def _write_atomic(path: Path, content: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_agreement(loaded: LoadedAgreement, folder: Path) -> Path:
    """Write the version as ``<id>-v<version>.yaml`` with its geometry files beside it.

    A version is never overwritten: when a file of that name exists with other content,
    nothing is written and AgreementError says so. Returns the YAML file's path.
    """
    files = version_files(loaded)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AgreementError(f"{folder}: cannot create the folder ({exc.strerror})") from None
    clashes = [
        name
        for name, content in files.items()
        if (folder / name).exists() and (folder / name).read_bytes() != content
    ]
    if clashes:
        raise AgreementError(
            f"{folder}: {', '.join(clashes)} already exist with other content; a version is "
            "never overwritten: amend it to a new version, or write to another folder"
        )
    for name, content in files.items():
        try:
            _write_atomic(folder / name, content)
        except OSError as exc:
            raise AgreementError(f"{folder / name}: cannot write ({exc.strerror})") from None
    return folder / next(iter(files))
