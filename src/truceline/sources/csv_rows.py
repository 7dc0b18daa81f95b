"""Truceline CSV: one observation per row, columns named after the observation fields.

The format is documented in docs/formats.md. Missing required columns, and unknown columns
that do not start with ``attr_``, refuse the whole file (a typo must not silently drop
data); every problem within a row rejects that row only.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from pydantic import ValidationError

from truceline.errors import InputError
from truceline.observations.model import MAX_ATTRIBUTES, Observation
from truceline.sources.base import Adapter, Rejection, aware_utc, excerpt
from truceline.sources.delimited import Row, header_columns, read_rows
from truceline.sources.fields import (
    NUMERIC_FIELDS,
    FieldError,
    attribute_from_text,
    content_ref,
    finite_number,
    observed_time,
)
from truceline.sources.readable import rejection_from

REQUIRED_COLUMNS = ("source_id", "observed_at", "lon", "lat", "kind")
OPTIONAL_COLUMNS = (
    "source_ref",
    "time_uncertainty_s",
    "location_uncertainty_m",
    "domain",
    "weapon_class",
    "calibre_mm",
    "reliability",
    "credibility",
    "evidence_uri",
    "evidence_sha256",
    "releasability",
)
ATTRIBUTE_PREFIX = "attr_"


def _column_of(field: str) -> str:
    """The CSV column of a model field path, for error messages."""
    if field.startswith("evidence."):
        return "evidence_" + field.rsplit(".", 1)[-1]
    if field.startswith("attributes."):
        return ATTRIBUTE_PREFIX + field.split(".", 2)[1]
    return field


def _check_header(names: list[str], file: str) -> None:
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise InputError(f"{file}, line 1: duplicated column(s) {', '.join(duplicated)}")
    missing = [n for n in REQUIRED_COLUMNS if n not in names]
    if missing:
        raise InputError(
            f"{file}, line 1: missing required column(s) {', '.join(missing)}; a Truceline CSV "
            f"needs {', '.join(REQUIRED_COLUMNS)} (see docs/formats.md)",
            field=missing[0],
        )
    unknown = [n for n in names if n not in known and not n.startswith(ATTRIBUTE_PREFIX)]
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise InputError(
            f"{file}, line 1: unknown column(s) {', '.join(hints)}; rename them, or prefix "
            f"extra data with {ATTRIBUTE_PREFIX!r} to keep it as attributes",
            field=unknown[0],
        )
    if ATTRIBUTE_PREFIX in names:
        raise InputError(f"{file}, line 1: column {ATTRIBUTE_PREFIX!r} needs a name after it")
    attributes = [n for n in names if n.startswith(ATTRIBUTE_PREFIX)]
    if len(attributes) > MAX_ATTRIBUTES:
        raise InputError(
            f"{file}, line 1: {len(attributes)} attr_ columns; at most {MAX_ATTRIBUTES} are allowed"
        )


class CsvAdapter(Adapter):
    """Truceline's own CSV format: one observation per row."""

    name: ClassVar[str] = "csv"
    description: ClassVar[str] = "Truceline CSV, one observation per row (docs/formats.md)"

    @classmethod
    def can_read(cls, path: Path, head: bytes) -> bool:
        return {"source_id", "observed_at"} <= header_columns(head)

    def read(self, path: Path, *, received_at: datetime) -> Iterator[Observation | Rejection]:
        received = aware_utc(received_at)
        file = str(path)
        rows = read_rows(path, on_bytes=self._consumed)
        header = next(rows)
        assert isinstance(header, Row)  # read_rows yields the header first or raises
        names = [name.strip().lower() for name in header.fields]
        _check_header(names, file)
        for item in rows:
            if isinstance(item, Rejection):
                yield item
                continue
            try:
                yield self._observation(file, names, item, received)
            except FieldError as bad:
                yield Rejection(file, item.line, bad.field, bad.reason, excerpt(item.text))
            except ValidationError as exc:
                yield rejection_from(
                    exc, file=file, line=item.line, text=item.text, field_name=_column_of
                )

    def _observation(
        self, file: str, names: list[str], row: Row, received: datetime
    ) -> Observation | Rejection:
        data: dict[str, Any] = {}
        attributes: dict[str, Any] = {}
        for name, raw in zip(names, row.fields, strict=True):
            value = raw.strip()
            if not value:
                continue
            if name.startswith(ATTRIBUTE_PREFIX):
                attributes[name[len(ATTRIBUTE_PREFIX) :]] = attribute_from_text(value, name)
            elif name in NUMERIC_FIELDS:
                data[name] = finite_number(value, name)
            else:
                data[name] = value
        source_id = data.get("source_id", "")
        source = self.source(source_id) if source_id else None
        if source_id and source is None:
            return self.unknown_source(file, row.line, source_id, row.text)
        if "observed_at" in data:
            data["observed_at"] = observed_time(data["observed_at"], "observed_at", received)
        if "reliability" in data:
            data["reliability"] = data["reliability"].upper()
        elif source is not None:
            data["reliability"] = source.reliability
        if "credibility" not in data and source is not None:
            data["credibility"] = source.credibility
        uri = data.pop("evidence_uri", None)
        sha = data.pop("evidence_sha256", None)
        if uri is not None or sha is not None:
            item = {"uri": uri, "sha256": sha.lower() if sha else None}
            data["evidence"] = [{k: v for k, v in item.items() if v is not None}]
        if "source_ref" not in data:
            data["source_ref"] = content_ref(*(f.strip() for f in row.fields))
        data["attributes"] = attributes
        data["received_at"] = received
        return Observation.model_validate(data)
