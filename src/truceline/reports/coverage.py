"""Coverage gaps from a file: where and when sensors could not watch.

The store does not hold coverage gaps yet. A report takes them from a CSV file with the
columns ``sensor, source_id, reason, start, end, sector, area_wkt``, as `truceline simulate`
writes `coverage_gaps.csv`: times ISO 8601 with a zone, `reason` one of ``cloud``,
``uav_outage``, ``jamming``, ``access_denied``, the area a WKT polygon in WGS 84
longitude/latitude.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Final

import shapely
from shapely.errors import ShapelyError

from truceline.errors import InputError
from truceline.simulation.gaps import CoverageGap, GapReason

COLUMNS: Final = ("sensor", "source_id", "reason", "start", "end", "sector", "area_wkt")


def _time(path: Path, line: int, column: str, text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise InputError(
            f"{path}, line {line}, column {column}: {text!r} is not an ISO 8601 time with a "
            "zone (e.g. 2025-09-01T06:00:00Z)",
            field=column,
        )
    return value


def read_gaps(path: Path) -> list[CoverageGap]:
    """Every gap in the file, sorted by start; InputError naming the file, line and column
    of the first bad value."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
    except FileNotFoundError:
        raise InputError(
            f"{path}: no such coverage-gaps file; check --gaps", field="gaps"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{path}: cannot read the coverage-gaps file ({exc})", field="gaps"
        ) from None
    if not rows or tuple(h.strip() for h in rows[0]) != COLUMNS:
        raise InputError(
            f"{path}: expected the header {','.join(COLUMNS)} (a coverage_gaps.csv as "
            "'truceline simulate' writes it)",
            field="gaps",
        )
    reasons = {r.value for r in GapReason}
    gaps = []
    for n, row in enumerate(rows[1:]):
        line = n + 2
        if len(row) != len(COLUMNS):
            raise InputError(
                f"{path}, line {line}: expected {len(COLUMNS)} columns, got {len(row)}",
                field="gaps",
            )
        sensor, source_id, reason, start, end, sector, area = row
        if reason not in reasons:
            raise InputError(
                f"{path}, line {line}, column reason: {reason!r} is not one of "
                f"{', '.join(sorted(reasons))}",
                field="reason",
            )
        begins = _time(path, line, "start", start)
        ends = _time(path, line, "end", end)
        if ends < begins:
            raise InputError(
                f"{path}, line {line}, column end: {end} is before the start {start}",
                field="end",
            )
        try:
            geometry = shapely.from_wkt(area)
        except ShapelyError:
            geometry = None
        if (
            geometry is None
            or geometry.is_empty
            or geometry.geom_type
            not in (
                "Polygon",
                "MultiPolygon",
            )
        ):
            raise InputError(
                f"{path}, line {line}, column area_wkt: not a WKT polygon", field="area_wkt"
            )
        gaps.append(
            CoverageGap(
                sensor=sensor,
                source_id=source_id,
                reason=GapReason(reason),
                start=begins,
                end=ends,
                sector=sector,
                area=area,
            )
        )
    return sorted(gaps, key=CoverageGap.key)
