"""Ingest: strict mode, idempotence, duplicates, batches, progress, adapter choice."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console

from truceline.errors import InputError, TrucelineError
from truceline.sources.base import Rejection, adapter_for, adapters
from truceline.sources.csv_rows import CsvAdapter
from truceline.sources.firms import FirmsAdapter
from truceline.sources.geojson_features import GeoJsonAdapter
from truceline.sources.ingest import ingest_file
from truceline.sources.registry import SourceRegistry
from truceline.store import Store

HEADER = "source_id,source_ref,observed_at,lon,lat,kind\n"


def rows(count: int, start: int = 0) -> str:
    return "".join(
        f"uav-1,r{i},2025-09-01T10:00:00Z,37.5,{48 + i / 10000:.4f},explosion\n"
        for i in range(start, start + count)
    )


def test_adapters_are_found_by_entry_point() -> None:
    found = adapters()
    assert found == {"csv": CsvAdapter, "firms": FirmsAdapter, "geojson": GeoJsonAdapter}
    assert all(cls.description for cls in found.values())


def test_adapter_by_name_and_by_sniffing(tmp_path: Path) -> None:
    csv = tmp_path / "r.csv"
    csv.write_text(HEADER)
    geo = tmp_path / "r.json"
    geo.write_text('{"type": "FeatureCollection", "features": []}')
    assert isinstance(adapter_for(csv), CsvAdapter)
    assert isinstance(adapter_for(geo), GeoJsonAdapter)
    assert isinstance(adapter_for(csv, "firms"), FirmsAdapter)


def test_unknown_format_lists_the_formats(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("nothing to see here\n")
    with pytest.raises(InputError, match=r"cannot be recognised.*csv \(.*firms \(.*geojson \("):
        adapter_for(path)
    with pytest.raises(InputError, match=r"unknown format 'kml': expected one of csv"):
        adapter_for(path, "kml")


def test_rejection_text() -> None:
    rejection = Rejection("fires.csv", 12, "latitude", "must be between -90 and 90 (got 91.5)")
    assert (
        str(rejection)
        == "fires.csv, line 12, field 'latitude': must be between -90 and 90 (got 91.5)"
    )
    assert str(Rejection("f.geojson", None, None, "cut off")) == "f.geojson: cut off"


def test_second_ingest_stores_nothing_new(
    tmp_path: Path, store: Store, registry: SourceRegistry, received_at: datetime
) -> None:
    path = tmp_path / "r.csv"
    path.write_text(HEADER + rows(30))
    first = ingest_file(path, store, registry=registry, progress=False, received_at=received_at)
    assert (first.rows_read, first.accepted, first.stored_new, first.duplicates) == (30, 30, 30, 0)
    second = ingest_file(path, store, registry=registry, progress=False)
    assert (second.stored_new, second.duplicates) == (0, 30)
    assert store.observation_count() == 30


def test_duplicates_within_a_file(
    tmp_path: Path, store: Store, registry: SourceRegistry, received_at: datetime
) -> None:
    path = tmp_path / "r.csv"
    path.write_text(HEADER + rows(5) + rows(3))
    report = ingest_file(
        path, store, registry=registry, progress=False, received_at=received_at, batch_size=2
    )
    assert (report.accepted, report.stored_new, report.duplicates) == (8, 5, 3)
    assert store.observation_count() == 5


@pytest.mark.parametrize("batch_size", [1, 7, 10, 5000])
def test_batch_size_does_not_change_the_result(
    tmp_path: Path, store: Store, registry: SourceRegistry, batch_size: int
) -> None:
    path = tmp_path / "r.csv"
    path.write_text(HEADER + rows(10) + "uav-1,bad,2025-09-01T10:00:00Z,37.5,95,explosion\n")
    report = ingest_file(path, store, registry=registry, progress=False, batch_size=batch_size)
    assert (report.stored_new, report.rejected) == (10, 1)
    assert store.observation_count() == 10


def test_strict_stores_nothing_when_a_row_is_bad(
    tmp_path: Path, store: Store, registry: SourceRegistry
) -> None:
    path = tmp_path / "r.csv"
    path.write_text(HEADER + rows(20) + "uav-1,bad,2025-09-01T10:00:00Z,37.5,95,explosion\n")
    with pytest.raises(InputError, match=r"r\.csv: 1 bad record\(s\), nothing stored") as caught:
        ingest_file(path, store, registry=registry, strict=True, progress=False, batch_size=5)
    assert "line 22, field 'lat'" in str(caught.value)
    assert caught.value.field == "lat"
    assert store.observation_count() == 0


def test_strict_stores_everything_when_all_rows_are_good(
    tmp_path: Path, store: Store, registry: SourceRegistry
) -> None:
    path = tmp_path / "r.csv"
    path.write_text(HEADER + rows(20))
    report = ingest_file(path, store, registry=registry, strict=True, progress=False)
    assert (report.stored_new, report.rejected) == (20, 0)


def test_unregistered_source_is_rejected(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "r.csv"
    path.write_text(HEADER + rows(3))
    report = ingest_file(path, store, registry=SourceRegistry(), progress=False)
    assert (report.stored_new, report.rejected) == (0, 3)
    assert {r.field for r in report.rejections} == {"source_id"}
    assert [r.line for r in report.rejections] == [2, 3, 4]


def test_rejections_kept_are_capped(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    path = tmp_path / "r.csv"
    bad = "".join(f"uav-1,b{i},2025-09-01T10:00:00Z,37.5,95,explosion\n" for i in range(150))
    path.write_text(HEADER + bad + rows(1))
    report = ingest_file(path, store, registry=registry, progress=False)
    assert (report.rejected, len(report.rejections), report.stored_new) == (150, 100, 1)
    assert report.rejections[0].line == 2


def test_progress_bar_is_drawn_and_not_on_stdout(
    tmp_path: Path,
    store: Store,
    registry: SourceRegistry,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "r.csv"
    path.write_text(HEADER + rows(50))
    size = path.stat().st_size
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=120, color_system=None)
    report = ingest_file(
        path, store, registry=registry, progress=True, batch_size=10, console=terminal
    )
    assert report.stored_new == 50
    drawn = screen.getvalue()
    assert "r.csv" in drawn
    assert f"{size / 1000:.1f}/{size / 1000:.1f} kB" in drawn  # the bar at its end
    assert "\x1b[" in drawn  # cursor moves: the transient bar is erased when done
    assert capsys.readouterr().out == ""


def test_no_progress_bar_draws_nothing(
    tmp_path: Path, store: Store, registry: SourceRegistry
) -> None:
    path = tmp_path / "r.csv"
    path.write_text(HEADER + rows(5))
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=120)
    ingest_file(path, store, registry=registry, progress=False, console=terminal)
    assert screen.getvalue() == ""


def test_received_at_must_be_aware(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    path = tmp_path / "r.csv"
    path.write_text(HEADER + rows(1))
    with pytest.raises(InputError, match=r"received_at .* has no time zone"):
        ingest_file(
            path, store, registry=registry, progress=False, received_at=datetime(2026, 1, 1)
        )
    report = ingest_file(
        path, store, registry=registry, progress=False, received_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert store.observations()[0].received_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert report.stored_new == 1


def test_bad_batch_size(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    path = tmp_path / "r.csv"
    path.write_text(HEADER)
    with pytest.raises(InputError, match="batch_size must be at least 1"):
        ingest_file(path, store, registry=registry, batch_size=0)


def test_missing_file(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    with pytest.raises(TrucelineError, match="cannot be read"):
        ingest_file(tmp_path / "nope.csv", store, registry=registry, adapter="csv")
