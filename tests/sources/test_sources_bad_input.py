"""Bad input: each case is refused with a message naming the place and the reason, and the
good records of the same file are kept."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from truceline.errors import InputError
from truceline.sources.base import Rejection
from truceline.sources.delimited import MAX_LINE_BYTES
from truceline.sources.ingest import IngestReport, ingest_file
from truceline.sources.registry import SourceRegistry
from truceline.store import Store

RECEIVED_AT = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
HEADER = "source_id,source_ref,observed_at,lon,lat,kind\n"


def good(n: int) -> str:
    return f"uav-1,r{n},2025-09-01T10:00:00Z,37.5,48.{n},explosion\n"


def run(path: Path, store: Store, registry: SourceRegistry, **options: object) -> IngestReport:
    return ingest_file(
        path,
        store,
        registry=registry,
        progress=False,
        received_at=RECEIVED_AT,
        **options,  # type: ignore[arg-type]
    )


def one_rejection(report: IngestReport) -> Rejection:
    assert report.rejected == 1, [str(r) for r in report.rejections]
    return report.rejections[0]


def csv_case(tmp_path: Path, store: Store, registry: SourceRegistry, bad: str | bytes) -> Rejection:
    """A file of two good rows around one bad line (line 3); both good rows are stored."""
    path = tmp_path / "reports.csv"
    body = bad if isinstance(bad, bytes) else bad.encode()
    path.write_bytes(HEADER.encode() + good(1).encode() + body + good(2).encode())
    report = run(path, store, registry)
    assert report.accepted == 2
    assert report.stored_new == 2
    assert store.observation_count() == 2
    rejection = one_rejection(report)
    assert rejection.line == 3
    assert "reports.csv, line 3" in str(rejection)
    return rejection


# --- CSV rows -------------------------------------------------------------------------


def test_malformed_csv_quote(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    rejection = csv_case(tmp_path, store, registry, 'uav-1,"r9,2025-09-01T10:00:00Z,37,48,x\n')
    assert "malformed CSV" in rejection.reason
    assert "quotes" in rejection.reason


def test_wrong_number_of_fields(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    rejection = csv_case(tmp_path, store, registry, "uav-1,r9,2025-09-01T10:00:00Z,37.5\n")
    assert rejection.reason == "expected 6 fields as in the header, got 4"


@pytest.mark.parametrize("value", ["NaN", "nan", "inf", "-Infinity"])
def test_non_finite_coordinate(
    tmp_path: Path, store: Store, registry: SourceRegistry, value: str
) -> None:
    rejection = csv_case(
        tmp_path, store, registry, f"uav-1,r9,2025-09-01T10:00:00Z,37.5,{value},explosion\n"
    )
    assert rejection.field == "lat"
    assert rejection.reason == f"must be a finite number (got {value!r})"


def test_latitude_out_of_range(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    rejection = csv_case(
        tmp_path, store, registry, "uav-1,r9,2025-09-01T10:00:00Z,37.5,91.5,explosion\n"
    )
    assert rejection.field == "lat"
    assert "less than or equal to 90" in rejection.reason
    assert "91.5" in rejection.reason
    assert str(rejection).endswith("field 'lat': must be less than or equal to 90 (got 91.5)")


def test_longitude_out_of_range(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    rejection = csv_case(
        tmp_path, store, registry, "uav-1,r9,2025-09-01T10:00:00Z,-181,48,explosion\n"
    )
    assert rejection.field == "lon"
    assert "greater than or equal to -180" in rejection.reason


def test_impossible_date(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    rejection = csv_case(
        tmp_path, store, registry, "uav-1,r9,2025-02-30T10:00:00Z,37.5,48,explosion\n"
    )
    assert rejection.field == "observed_at"
    assert "day is out of range for month" in rejection.reason
    assert "2025-02-30" in rejection.reason


def test_timestamp_without_zone(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    rejection = csv_case(
        tmp_path, store, registry, "uav-1,r9,2025-09-01T10:00:00,37.5,48,explosion\n"
    )
    assert rejection.field == "observed_at"
    assert rejection.reason.startswith("must have a time zone offset")


@pytest.mark.parametrize(
    "stamp",
    ["0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00"],
)
def test_timestamp_beyond_the_calendar_in_utc(
    tmp_path: Path, store: Store, registry: SourceRegistry, stamp: str
) -> None:
    rejection = csv_case(tmp_path, store, registry, f"uav-1,r9,{stamp},37.5,48,explosion\n")
    assert rejection.field == "observed_at"
    assert rejection.reason == (
        f"is outside the years 1 to 9999 once converted to UTC (got {stamp!r})"
    )


def test_timestamp_before_1970(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    rejection = csv_case(
        tmp_path, store, registry, "uav-1,r9,1969-12-31T23:59:59Z,37.5,48,explosion\n"
    )
    assert rejection.field == "observed_at"
    assert rejection.reason == "must be 1970-01-01 or later (got '1969-12-31T23:59:59Z')"


def test_timestamp_more_than_a_day_after_reception(
    tmp_path: Path, store: Store, registry: SourceRegistry
) -> None:
    rejection = csv_case(
        tmp_path, store, registry, "uav-1,r9,2026-01-16T12:00:01Z,37.5,48,explosion\n"
    )
    assert rejection.field == "observed_at"
    assert rejection.reason.startswith(
        "is after the time of reception 2026-01-15T12:00:00+00:00 plus one day"
    )


def test_timestamps_at_the_plausible_limits_are_kept(
    tmp_path: Path, store: Store, registry: SourceRegistry
) -> None:
    path = tmp_path / "limits.csv"
    path.write_text(
        HEADER
        + "uav-1,a,1970-01-01T00:00:00Z,37.5,48,explosion\n"
        + "uav-1,b,2026-01-16T13:00:00+01:00,37.5,48,explosion\n"
    )
    report = run(path, store, registry)
    assert (report.accepted, report.rejected) == (2, 0)


def test_timestamp_not_iso(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    rejection = csv_case(tmp_path, store, registry, "uav-1,r9,1756720800,37.5,48,explosion\n")
    assert rejection.field == "observed_at"
    assert "ISO 8601" in rejection.reason


def test_wrong_type(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    rejection = csv_case(
        tmp_path, store, registry, "uav-1,r9,2025-09-01T10:00:00Z,east,48,explosion\n"
    )
    assert rejection.field == "lon"
    assert rejection.reason == "must be a number (got 'east')"


def test_unknown_enum_value(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    rejection = csv_case(tmp_path, store, registry, "uav-1,r9,2025-09-01T10:00:00Z,37.5,48,bang\n")
    assert rejection.field == "kind"
    assert "'explosion'" in rejection.reason
    assert "(got 'bang')" in rejection.reason


def test_unknown_source(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    rejection = csv_case(
        tmp_path, store, registry, "uav-9,r9,2025-09-01T10:00:00Z,37.5,48,explosion\n"
    )
    assert rejection.field == "source_id"
    assert "unknown source 'uav-9'" in rejection.reason
    assert "register it first" in rejection.reason


def test_non_utf8_bytes(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    rejection = csv_case(
        tmp_path, store, registry, b"uav-1,r\xff9,2025-09-01T10:00:00Z,37.5,48,explosion\n"
    )
    assert "not valid UTF-8" in rejection.reason
    assert "0xff" in rejection.reason


def test_csv_field_larger_than_csv_module_limit(
    tmp_path: Path, store: Store, registry: SourceRegistry
) -> None:
    big = "x" * 200_000
    rejection = csv_case(
        tmp_path, store, registry, f'uav-1,"{big}",2025-09-01T10:00:00Z,37.5,48,explosion\n'
    )
    assert "field larger than field limit" in rejection.reason


def test_truncated_last_line(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    path = tmp_path / "cut.csv"
    path.write_text(HEADER + good(1) + good(2) + "uav-1,r3,2025-09-01T1")
    report = run(path, store, registry)
    assert report.accepted == 2
    assert store.observation_count() == 2
    rejection = one_rejection(report)
    assert rejection.line == 4
    assert "got 3" in rejection.reason
    assert "cut off" in rejection.reason


def test_hundred_megabyte_line(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    path = tmp_path / "huge.csv"
    block = b"x" * (1 << 20)
    with path.open("wb") as handle:
        handle.write(HEADER.encode() + good(1).encode() + b"uav-1,")
        for _ in range(100):
            handle.write(block)
        handle.write(b"\n" + good(2).encode())
    report = run(path, store, registry)
    assert report.accepted == 2
    assert store.observation_count() == 2
    rejection = one_rejection(report)
    assert rejection.line == 3
    assert rejection.reason == (
        f"line longer than {MAX_LINE_BYTES} bytes; skipped to the next line"
    )
    assert rejection.excerpt == "uav-1," + "x" * 74


def test_byte_order_mark(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + good(1) + good(2)).encode())
    report = run(path, store, registry)
    assert (report.accepted, report.rejected, store.observation_count()) == (2, 0, 2)


def test_crlf_line_ends(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    path = tmp_path / "crlf.csv"
    path.write_bytes((HEADER + good(1) + good(2)).replace("\n", "\r\n").encode())
    report = run(path, store, registry)
    assert (report.accepted, report.rejected, store.observation_count()) == (2, 0, 2)
    assert store.observations()[0].kind.value == "explosion"


def test_empty_file(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    for adapter in (None, "csv", "firms"):
        with pytest.raises(InputError, match=r"empty\.csv.*empty"):
            run(path, store, registry, adapter=adapter)
    assert store.observation_count() == 0


def test_header_only(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    path = tmp_path / "header.csv"
    path.write_text(HEADER)
    report = run(path, store, registry)
    assert (report.rows_read, report.rejected, report.stored_new) == (0, 0, 0)


def test_missing_columns(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    path = tmp_path / "missing.csv"
    path.write_text("source_id,observed_at,lon,lat\nuav-1,2025-09-01T10:00:00Z,37.5,48\n")
    with pytest.raises(
        InputError, match=r"missing\.csv, line 1: missing required column\(s\) kind"
    ):
        run(path, store, registry)
    assert store.observation_count() == 0


def test_unknown_extra_column(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    path = tmp_path / "extra.csv"
    path.write_text(HEADER.strip() + ",calibre\n" + good(1).strip() + ",152\n")
    with pytest.raises(
        InputError, match=r"unknown column\(s\) 'calibre' \(did you mean 'calibre_mm'"
    ):
        run(path, store, registry)
    assert store.observation_count() == 0


# --- FIRMS ------------------------------------------------------------------------------

FIRMS_HEADER = "latitude,longitude,acq_date,acq_time,satellite,confidence\n"


def firms_case(tmp_path: Path, store: Store, registry: SourceRegistry, bad: str) -> Rejection:
    path = tmp_path / "fires.csv"
    path.write_text(
        FIRMS_HEADER + "48.5,34.6,2025-09-01,0052,N20,n\n" + bad + "48.6,34.7,2025-09-01,52,N,h\n"
    )
    report = run(path, store, registry)
    assert report.accepted == 2
    assert store.observation_count() == 2
    rejection = one_rejection(report)
    assert rejection.line == 3
    return rejection


def test_firms_latitude_out_of_range(
    tmp_path: Path, store: Store, registry: SourceRegistry
) -> None:
    rejection = firms_case(tmp_path, store, registry, "91.5,34.6,2025-09-01,0052,N20,n\n")
    assert str(rejection) == (
        f"{tmp_path / 'fires.csv'}, line 3, field 'latitude': must be between -90 and 90 "
        "(got '91.5')"
    )


def test_firms_impossible_date(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    rejection = firms_case(tmp_path, store, registry, "48.5,34.6,2025-02-30,0052,N20,n\n")
    assert rejection.field == "acq_date"
    assert "day is out of range for month" in rejection.reason


def test_firms_bad_time(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    rejection = firms_case(tmp_path, store, registry, "48.5,34.6,2025-09-01,2460,N20,n\n")
    assert rejection.field == "acq_time"
    assert "(got '2460')" in rejection.reason


@pytest.mark.parametrize("day", ["1969-12-31", "2026-01-17"])
def test_firms_implausible_date(
    tmp_path: Path, store: Store, registry: SourceRegistry, day: str
) -> None:
    rejection = firms_case(tmp_path, store, registry, f"48.5,34.6,{day},0052,N20,n\n")
    assert rejection.field == "acq_date"
    assert f"(got '{day} 0052')" in rejection.reason


@pytest.mark.parametrize("value", ["4", "9", "03", "-1", "x"])
def test_firms_type_outside_0_to_3(
    tmp_path: Path, store: Store, registry: SourceRegistry, value: str
) -> None:
    path = tmp_path / "fires.csv"
    path.write_text(
        "latitude,longitude,acq_date,type\n48.5,34.6,2025-09-01,0\n"
        f"48.5,34.7,2025-09-01,{value}\n48.6,34.7,2025-09-01,3\n"
    )
    report = run(path, store, registry)
    assert report.accepted == 2
    rejection = one_rejection(report)
    assert (rejection.line, rejection.field) == (3, "type")
    assert rejection.reason == f"must be 0, 1, 2 or 3 (got {value!r})"


def test_firms_unknown_satellite(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    rejection = firms_case(tmp_path, store, registry, "48.5,34.6,2025-09-01,0052,GOES,n\n")
    assert rejection.field == "satellite"
    assert "unknown satellite 'GOES'" in rejection.reason


def test_firms_bad_confidence(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    rejection = firms_case(tmp_path, store, registry, "48.5,34.6,2025-09-01,0052,N20,sure\n")
    assert rejection.field == "confidence"
    assert "low, nominal or high" in rejection.reason


def test_firms_missing_columns(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    path = tmp_path / "fires.csv"
    path.write_text("latitude,longitude,acq_time\n48.5,34.6,0052\n")
    with pytest.raises(InputError, match=r"missing FIRMS column\(s\) acq_date"):
        run(path, store, registry, adapter="firms")


# --- GeoJSON ----------------------------------------------------------------------------


def feature(n: int, geometry: str | None = None, properties: str | None = None) -> str:
    geometry = geometry or f'{{"type": "Point", "coordinates": [37.5, 48.{n}]}}'
    properties = properties or (
        f'{{"source_id": "uav-1", "source_ref": "g{n}", '
        '"observed_at": "2025-09-01T10:00:00Z", "kind": "explosion"}'
    )
    return f'{{"type": "Feature", "geometry": {geometry}, "properties": {properties}}}'


def geojson_case(
    tmp_path: Path, store: Store, registry: SourceRegistry, bad: str | bytes
) -> Rejection:
    """Two good features around a bad one (feature 2); both good ones are stored."""
    path = tmp_path / "reports.geojson"
    body = bad if isinstance(bad, bytes) else bad.encode()
    path.write_bytes(
        b'{"type": "FeatureCollection", "features": [\n'
        + feature(1).encode()
        + b",\n"
        + body
        + b",\n"
        + feature(2).encode()
        + b"\n]}\n"
    )
    report = run(path, store, registry)
    assert report.accepted == 2
    assert store.observation_count() == 2
    rejection = one_rejection(report)
    assert (rejection.unit, rejection.line) == ("feature", 2)
    assert str(rejection).startswith(f"{path}, feature 2, ")
    return rejection


def test_geojson_not_json(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    path = tmp_path / "bad.geojson"
    path.write_text("source_id;lon;lat\n")
    with pytest.raises(InputError, match=r"bad\.geojson: not a GeoJSON FeatureCollection"):
        run(path, store, registry, adapter="geojson")


def test_geojson_wrong_type(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    path = tmp_path / "topo.geojson"
    path.write_text('{"type": "Topology", "features": []}')
    with pytest.raises(InputError, match=r"type is 'Topology'; expected 'FeatureCollection'"):
        run(path, store, registry)


def test_geojson_feature_of_wrong_type(
    tmp_path: Path, store: Store, registry: SourceRegistry
) -> None:
    rejection = geojson_case(tmp_path, store, registry, '{"type": "Point", "coordinates": [1, 2]}')
    assert rejection.field == "type"
    assert rejection.reason == "must be 'Feature' (got 'Point')"


def test_geojson_missing_geometry(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    rejection = geojson_case(tmp_path, store, registry, feature(9, geometry="null"))
    assert rejection.field == "geometry"
    assert "missing or null" in rejection.reason


def test_geojson_linestring(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    line = '{"type": "LineString", "coordinates": [[37, 48], [38, 49]]}'
    rejection = geojson_case(tmp_path, store, registry, feature(9, geometry=line))
    assert rejection.field == "geometry.type"
    assert "only Point geometries are accepted (got 'LineString')" in rejection.reason


def test_geojson_coordinates_out_of_range(
    tmp_path: Path, store: Store, registry: SourceRegistry
) -> None:
    point = '{"type": "Point", "coordinates": [48.5, 137.5]}'
    rejection = geojson_case(tmp_path, store, registry, feature(9, geometry=point))
    assert rejection.field == "geometry.coordinates[1]"
    assert "latitude must be between -90 and 90 (got 137.5)" in rejection.reason


def test_geojson_nan_as_string(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    point = '{"type": "Point", "coordinates": ["NaN", 48.5]}'
    rejection = geojson_case(tmp_path, store, registry, feature(9, geometry=point))
    assert rejection.field == "geometry.coordinates[0]"
    assert rejection.reason == "must be a finite number (got 'NaN')"


def test_geojson_nan_literal(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    point = '{"type": "Point", "coordinates": [NaN, 48.5]}'
    rejection = geojson_case(tmp_path, store, registry, feature(9, geometry=point))
    assert rejection.field == "feature"
    assert "NaN is not a number in JSON" in rejection.reason


def test_geojson_deep_nesting(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    deep = "[" * 5000 + "]" * 5000
    rejection = geojson_case(tmp_path, store, registry, feature(9, properties=f'{{"x": {deep}}}'))
    assert rejection.field == "properties"
    assert "at most 20 are allowed" in rejection.reason


def test_geojson_nesting_just_allowed(
    tmp_path: Path, store: Store, registry: SourceRegistry
) -> None:
    nested = "[" * 18 + "1" + "]" * 18  # feature 1 + properties 2 + 18 arrays = 20 levels
    rejection = geojson_case(tmp_path, store, registry, feature(9, properties=f'{{"x": {nested}}}'))
    assert rejection.field == "properties.x"
    assert "must be a string, number, boolean or null, not a list" in rejection.reason


def test_geojson_huge_number(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    point = '{"type": "Point", "coordinates": [37.5, ' + "9" * 10_000 + "]}"
    rejection = geojson_case(tmp_path, store, registry, feature(9, geometry=point))
    assert rejection.field == "feature"
    assert "has 10000 digits; at most 18 are allowed" in rejection.reason


def test_geojson_huge_float(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    point = '{"type": "Point", "coordinates": [37.5, 1e400]}'
    rejection = geojson_case(tmp_path, store, registry, feature(9, geometry=point))
    assert "1e400 is too large" in rejection.reason


def test_geojson_non_utf8(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    bad = feature(9, properties='{"note": "\xff"}').encode("latin-1")
    rejection = geojson_case(tmp_path, store, registry, bad)
    assert "not valid UTF-8 (byte 0xff" in rejection.reason


def test_geojson_truncated(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    path = tmp_path / "cut.geojson"
    text = '{"type": "FeatureCollection", "features": [' + feature(1) + ", " + feature(2)
    path.write_text(text + ", " + feature(3)[:40])
    report = run(path, store, registry)
    assert report.accepted == 2
    assert store.observation_count() == 2
    rejection = one_rejection(report)
    assert (rejection.unit, rejection.line) == ("feature", 3)
    assert str(rejection).startswith(f"{path}, feature 3: reading stopped")
    assert "cut off" in rejection.reason


def test_geojson_empty_file(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    path = tmp_path / "empty.geojson"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        run(path, store, registry, adapter="geojson")


def test_geojson_missing_value(tmp_path: Path, store: Store, registry: SourceRegistry) -> None:
    path = tmp_path / "hole.geojson"
    path.write_text('{"type": , "features": []}')
    with pytest.raises(InputError, match=r"expected a value at byte 9, found ','"):
        run(path, store, registry, adapter="geojson")


@pytest.mark.parametrize(
    ("stamp", "reason"),
    [
        (
            "9999-12-31T23:30:00-01:00",
            "is outside the years 1 to 9999 once converted to UTC "
            "(got '9999-12-31T23:30:00-01:00')",
        ),
        ("0001-01-01T00:30:00+01:00", "is outside the years 1 to 9999 once converted to UTC"),
        ("1900-01-01T00:00:00Z", "must be 1970-01-01 or later (got '1900-01-01T00:00:00Z')"),
        ("2030-01-01T00:00:00Z", "is after the time of reception 2026-01-15T12:00:00+00:00"),
    ],
)
def test_geojson_implausible_timestamp(
    tmp_path: Path, store: Store, registry: SourceRegistry, stamp: str, reason: str
) -> None:
    properties = (
        f'{{"source_id": "uav-1", "source_ref": "g9", "observed_at": "{stamp}", '
        '"kind": "explosion"}'
    )
    rejection = geojson_case(tmp_path, store, registry, feature(9, properties=properties))
    assert rejection.field == "properties.observed_at"
    assert rejection.reason.startswith(reason)


def test_geojson_feature_not_valid_json(
    tmp_path: Path, store: Store, registry: SourceRegistry
) -> None:
    rejection = geojson_case(tmp_path, store, registry, '{"type": "Feature", "geometry": }')
    assert rejection.field == "feature"
    assert rejection.reason.startswith("not valid JSON: Expecting value")
