"""The columnar FIRMS reader accepts and rejects exactly what the row adapter does."""

from __future__ import annotations

import dataclasses
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from truceline.observations.table import ObservationTable
from truceline.sources.base import Rejection
from truceline.sources.columnar import ColumnarRead, _five_decimals, read_firms_table, read_table
from truceline.sources.firms import FirmsAdapter, rounded_degrees
from truceline.sources.registry import BUILTIN_SOURCES, SourceRegistry

RECEIVED = datetime(2026, 3, 1, tzinfo=UTC)
HEADER = (
    "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,confidence,"
    "version,bright_ti5,frp,daynight,instrument,type"
)
GOOD = (
    "48.53234,34.64774,305.95,0.47,0.64,2025-09-01,00:52:00,N20,nominal,2.0NRT,289.34,1.45,N,"
    "VIIRS,0"
)


def _row_path(path: Path, registry: SourceRegistry) -> tuple[ObservationTable, list[Rejection]]:
    """What ingest gets from the row adapter: observations (unregistered sources turned
    away) as a table, and the rejections."""
    adapter = FirmsAdapter(registry)
    kept, rejected = [], []
    for item in adapter.read(path, received_at=RECEIVED):
        if isinstance(item, Rejection):
            rejected.append(item)
        elif item.source_id in registry:
            kept.append(item)
        else:
            rejected.append(
                adapter.unknown_source(str(path), None, item.source_id, item.source_ref)
            )
    return ObservationTable.from_observations(kept, registry), rejected


def _assert_same(path: Path, registry: SourceRegistry | None = None) -> ColumnarRead:
    registry = registry if registry is not None else SourceRegistry()
    columnar = read_firms_table(path, registry, received_at=RECEIVED)
    table, rejections = _row_path(path, registry)
    assert columnar.rejections == rejections
    assert columnar.rows_read == len(rejections) + columnar.accepted
    for f in dataclasses.fields(table):
        mine, theirs = getattr(columnar.table, f.name), getattr(table, f.name)
        if isinstance(theirs, np.ndarray):
            assert mine.dtype.kind == theirs.dtype.kind, f.name
            assert np.array_equal(mine, theirs, equal_nan=theirs.dtype.kind == "f"), f.name
        else:
            assert mine == theirs, f.name
    return columnar


def test_real_archive_rows_are_read_in_columns_exactly(shared_data: Path, tmp_path: Path) -> None:
    # The first 8,000 rows of a year of the reduced archive (coordinates of 4 to 6 decimals).
    lines = (shared_data / "firms" / "history" / "ukr_fire_data_2012.csv").read_text()
    path = tmp_path / "archive.csv"
    path.write_text("\n".join(lines.splitlines()[:8_001]) + "\n")
    read = _assert_same(path)
    assert read.columnar_rows == read.rows_read == 8_000


def test_real_viirs_files_are_read_in_columns_exactly(shared_data: Path) -> None:
    for path in sorted((shared_data / "firms" / "viirs_noaa20_2025").glob("*.csv"))[:5]:
        read = _assert_same(path)
        assert read.columnar_rows == read.rows_read > 0


def test_bad_rows_get_the_row_paths_rejections(tmp_path: Path) -> None:
    bad_cells = [
        GOOD.replace("48.53234", "north"),
        GOOD.replace("48.53234", "91.5"),
        GOOD.replace("2025-09-01", "2025-13-01"),
        GOOD.replace("2025-09-01", "2027-09-01"),
        GOOD.replace("00:52:00", "25:00"),
        GOOD.replace("N20", "XYZ"),
        GOOD.replace("N20", "N21"),  # its source is not registered below
        GOOD.replace("nominal", "sure"),
        GOOD.replace(",0.47,", ",0,"),
        GOOD.replace("305.95", "nan"),
        GOOD.replace("305.95", "1" * 41),
        GOOD[: -len(",0")] + ",7",
        GOOD.replace("VIIRS", "V" * 201),
        "48.5,34.6,1",
        "",
        GOOD.replace("48.53234", "48.532345").replace("305.95", "306.1"),  # a tie in print
        GOOD.replace("305.95", "310.0"),  # the same detection twice: the row rule picks one
        GOOD.replace("34.64774", "-0.000004"),
        GOOD.replace("48.53234", " 48.53234 "),
    ]
    path = tmp_path / "mixed.csv"
    path.write_text("\n".join([HEADER, GOOD, *bad_cells, GOOD.replace("0.47", "0.5")[:30]]))
    registry = SourceRegistry([s for s in BUILTIN_SOURCES if s.id != "firms-viirs-noaa21"])
    read = _assert_same(path, registry)
    assert len(read.rejections) >= 14
    assert {r.field for r in read.rejections} >= {"latitude", "acq_date", "satellite", "scan"}
    assert "cut off" in read.rejections[-1].reason
    assert 0 < read.columnar_rows < read.rows_read


def test_files_that_are_not_plain_are_read_by_rows(tmp_path: Path) -> None:
    path = tmp_path / "quoted.csv"
    path.write_text(HEADER + "\n" + GOOD.replace("N20", '"N20"') + "\n" + GOOD + "\n")
    read = _assert_same(path)
    assert read.columnar_rows == 0
    assert read.accepted == 2
    assert len(read_table(path, SourceRegistry(), received_at=RECEIVED).table) == 1


@given(st.from_regex(r"-?[0-9]{1,3}(\.[0-9]{0,7})?", fullmatch=True))
def test_fast_rounding_equals_rounded_degrees(text: str) -> None:
    fast = _five_decimals(text)
    if fast is not None:
        assert fast == rounded_degrees(text)


CELLS = {
    "latitude": st.sampled_from(["48.53234", "48.5", "-0.000004", "x", "95", "48.532345"]),
    "scan": st.sampled_from(["0.47", "", "0", "11", "inf", "0.390000"]),
    "acq_date": st.sampled_from(["2025-09-01", "2025-02-30", "2025-09-02", ""]),
    "satellite": st.sampled_from(["N20", "N", "Terra", "", "Q"]),
    "confidence": st.sampled_from(["nominal", "h", "75", "101", ""]),
}


@settings(max_examples=25, deadline=None)
@given(st.lists(st.fixed_dictionaries(CELLS), min_size=1, max_size=12))
def test_any_mix_of_cells_reads_the_same(rows: list[dict[str, str]]) -> None:
    names = HEADER.split(",")
    lines = [HEADER]
    for cells in rows:
        parts = GOOD.split(",")
        for name, value in cells.items():
            parts[names.index(name)] = value
        lines.append(",".join(parts))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mix.csv"
        path.write_text("\n".join(lines) + "\n")
        _assert_same(path)
