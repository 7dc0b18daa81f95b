"""Every real FIRMS file of ../shared/data/firms is read without a single rejected row."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from truceline.observations.model import Credibility, Observation
from truceline.sources.base import Rejection, adapter_for
from truceline.sources.firms import FirmsAdapter
from truceline.sources.ingest import ingest_file
from truceline.sources.registry import SourceRegistry
from truceline.store import Store

HISTORY = {
    # year: (data rows, unique detections)
    2012: (92_268, 92_268),
    2013: (78_183, 78_183),
    2016: (124_371, 124_371),
    2018: (91_932, 91_932),
    2019: (127_967, 127_967),
    2020: (120_028, 120_028),
    2021: (57_595, 57_595),
    2022: (133_979, 126_706),  # 7,273 detections are listed twice, at 5 and 6 decimals
    2023: (98_287, 98_287),
}


def data_lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") - 1


def test_history_totals() -> None:
    assert sum(rows for rows, _ in HISTORY.values()) == 924_610
    assert sum(unique for _, unique in HISTORY.values()) == 917_337


@pytest.mark.parametrize("year", sorted(HISTORY))
def test_history_file_reads_without_rejection(
    shared_data: Path, received_at: datetime, year: int
) -> None:
    path = shared_data / "firms" / "history" / f"ukr_fire_data_{year}.csv"
    adapter = adapter_for(path)
    assert isinstance(adapter, FirmsAdapter)
    ids: set[str] = set()
    rows = 0
    for item in adapter.read(path, received_at=received_at):
        assert not isinstance(item, Rejection), str(item)
        rows += 1
        ids.add(item.id)
        assert item.source_id == "firms-archive"
        assert item.observed_at.hour == 12
        assert item.observed_at.year == year
    assert rows == data_lines(path) == HISTORY[year][0]
    assert len(ids) == HISTORY[year][1]
    assert adapter.bytes_read == path.stat().st_size


def test_first_history_row(shared_data: Path, received_at: datetime) -> None:
    path = shared_data / "firms" / "history" / "ukr_fire_data_2022.csv"
    first = next(iter(FirmsAdapter().read(path, received_at=received_at)))
    assert isinstance(first, Observation)
    assert (first.lat, first.lon) == (47.1005, 37.6171)
    assert first.observed_at == datetime(2022, 1, 1, 12, tzinfo=UTC)
    assert first.time_uncertainty_s == 43_200


def test_first_viirs_row(shared_data: Path, received_at: datetime) -> None:
    path = (
        shared_data
        / "firms"
        / "viirs_noaa20_2025"
        / "J1_VIIRS_C2_Global_VJ114IMGTDL_NRT_2025244.csv"
    )
    first = next(iter(FirmsAdapter().read(path, received_at=received_at)))
    assert isinstance(first, Observation)
    assert (first.lat, first.lon) == (48.53234, 34.64774)
    assert first.observed_at == datetime(2025, 9, 1, 0, 52, tzinfo=UTC)
    assert first.attributes["frp"] == 1.45
    assert first.attributes["confidence"] == "nominal"
    assert first.credibility is Credibility.POSSIBLY_TRUE
    assert first.source_id == "firms-viirs-noaa20"


def test_viirs_day_files_into_the_store_twice(
    shared_data: Path, store: Store, received_at: datetime
) -> None:
    files = sorted((shared_data / "firms" / "viirs_noaa20_2025").glob("*.csv"))
    assert len(files) == 54
    registry = SourceRegistry()
    total = 0
    for path in files:
        report = ingest_file(
            path, store, registry=registry, progress=False, received_at=received_at
        )
        assert report.rejected == 0, [str(r) for r in report.rejections]
        assert report.rows_read == report.stored_new == data_lines(path)
        total += report.rows_read
    assert total == store.observation_count() == 8_960
    for path in files:
        again = ingest_file(path, store, registry=registry, progress=False)
        assert again.stored_new == 0
        assert again.duplicates == again.rows_read
    assert store.observation_count() == 8_960


def test_history_year_with_repeats_into_the_store_twice(
    shared_data: Path, store: Store, received_at: datetime
) -> None:
    path = shared_data / "firms" / "history" / "ukr_fire_data_2022.csv"
    registry = SourceRegistry()
    report = ingest_file(path, store, registry=registry, progress=False, received_at=received_at)
    assert (report.rows_read, report.rejected) == (133_979, 0)
    assert (report.stored_new, report.duplicates) == (126_706, 7_273)
    assert store.observation_count() == 126_706
    again = ingest_file(path, store, registry=registry, progress=False, received_at=received_at)
    assert (again.stored_new, again.duplicates) == (0, 133_979)
    assert store.observation_count() == 126_706
