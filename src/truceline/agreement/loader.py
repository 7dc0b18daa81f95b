"""Load an agreement file: YAML validated against the model, with the GeoJSON it names.

Every error is an `AgreementError` whose message names the file, the line, the YAML path
and what was expected, e.g.
``agreement.yaml, line 41, zones.withdrawal_bands[2].width_km.UA: input should be greater
than 0 (got -5)``. All problems found are reported together (up to 20), not just the first:
problems between fields (an unknown party code) are reported beside bad values too.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from truceline.agreement.cross_checks import cross_field_problems
from truceline.agreement.documents import (
    agreement_digest,
    agreement_document,
    agreement_from_document,
)
from truceline.agreement.geometry_refs import load_geometry
from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.model import Agreement
from truceline.agreement.validation_messages import describe_validation_error
from truceline.agreement.versions import amend_agreement, write_agreement
from truceline.agreement.yaml_source import parse_yaml
from truceline.errors import AgreementError

__all__ = [
    "MAX_AGREEMENT_BYTES",
    "agreement_digest",
    "agreement_document",
    "agreement_from_document",
    "amend_agreement",
    "load_agreement",
    "load_geometry",
    "write_agreement",
]

MAX_AGREEMENT_BYTES = 10 * 1024 * 1024
"""Largest agreement file read; real ones are a few kilobytes."""


def load_agreement(path: Path, *, notices: list[str] | None = None) -> LoadedAgreement:
    """Read, validate and load one agreement file and the GeoJSON files it names.

    Notes that are not errors (a polygon repaired with a large change of area) are added
    to `notices` when given.
    """
    name = str(path)
    if not path.is_file():
        raise AgreementError(f"{name}: no such agreement file; check the path")
    size = path.stat().st_size
    if size > MAX_AGREEMENT_BYTES:
        raise AgreementError(
            f"{name}: {size} bytes is more than the {MAX_AGREEMENT_BYTES} bytes an agreement "
            "file may have"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise AgreementError(
            f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8"
        ) from None
    except OSError as exc:
        raise AgreementError(f"{name}: cannot read the file ({exc.strerror})") from None
    document = parse_yaml(text, name)
    if not isinstance(document.data, dict):
        got = "nothing" if document.data is None else f"a {type(document.data).__name__}"
        raise AgreementError(
            f"{name}, line 1: expected a mapping of agreement fields (schema_version, id, "
            f"version, title, effective_from, parties, line, ...), got {got}"
        )
    try:
        agreement = Agreement.model_validate(document.data)
    except ValidationError as exc:
        # The model's own cross-field checks ran (an error at the root) only when every
        # field was valid; otherwise run them here on the sections that are.
        checked = any(not error["loc"] for error in exc.errors())
        lines = describe_validation_error(
            exc,
            model=Agreement,
            where=name,
            line_of=document.line_of,
            problems=[] if checked else cross_field_problems(document.data),
        )
        raise AgreementError("\n".join(lines)) from None
    geometry = load_geometry(
        agreement, base=path.parent, where=name, line_of=document.line_of, notices=notices
    )
    return LoadedAgreement(
        agreement=agreement,
        line=geometry.line,
        held_areas=geometry.held_areas,
        exclusions=geometry.exclusions,
        source=path.resolve(),
    )
