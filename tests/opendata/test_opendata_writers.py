"""The writers: GeoJSON by the rules of RFC 7946, CSV read back, GeoParquet read back with
pyarrow and its `geo` metadata checked; the same bytes for the same store, in any chunking."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import LinearRing, Point, Polygon, shape
from tests.opendata.opendata_support import Marked, check_rfc7946

from truceline.opendata import (
    CELL_PRINCIPAL,
    COLUMNS,
    PUBLIC_PRINCIPAL,
    ColumnType,
    Feature,
    Format,
    Layer,
    LayerFilter,
    OpenData,
    export_layer,
    open_data,
)
from truceline.opendata.writers import csv_header, write_csv, write_geojson, write_parquet
from truceline.store import open_store


@pytest.fixture(scope="module")
def data(marked: Marked) -> Iterator[OpenData]:
    with open_store(marked.path, create=False) as store:
        yield open_data(store)


def _export(data: OpenData, layer: Layer, fmt: Format, **kwargs: Any) -> bytes:
    out = io.BytesIO()
    export_layer(data, layer, fmt, out, principal=kwargs.pop("principal", CELL_PRINCIPAL), **kwargs)
    return out.getvalue()


@pytest.mark.parametrize("layer", list(Layer))
def test_geojson_follows_rfc_7946(data: OpenData, layer: Layer) -> None:
    document = json.loads(_export(data, layer, Format.GEOJSON))
    check_rfc7946(document, layer)
    assert document["features"], f"the {layer.value} layer is empty"


def test_zones_are_the_agreements_and_lie_on_their_side(data: OpenData, marked: Marked) -> None:
    document = json.loads(_export(data, Layer.ZONES, Format.GEOJSON))
    agreement = marked.scenario.loaded.agreement
    ids = [f["id"] for f in document["features"]]
    expected_zones = set(agreement.zone_ids)
    assert {f["properties"]["zone"] for f in document["features"]} == expected_zones
    assert len(ids) == len(set(ids))
    loaded = marked.scenario.loaded
    for feature in document["features"]:
        p = feature["properties"]
        if p["zone_type"] in ("buffer", "withdrawal"):
            party = p["party"]
            area = shape(feature["geometry"])
            # A point well inside the band is on that party's side of the line.
            inside = area.representative_point()
            held = loaded.held_areas.get(party)
            if held is not None:
                assert held.buffer(1e-6).contains(inside)
            else:
                assert not any(a.contains(inside) for a in loaded.held_areas.values())


def test_csv_reads_back_to_the_features(data: OpenData, marked: Marked) -> None:
    text = _export(data, Layer.DETERMINATIONS, Format.CSV).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == csv_header(Layer.DETERMINATIONS)
    document = json.loads(_export(data, Layer.DETERMINATIONS, Format.GEOJSON))
    assert len(rows) == len(document["features"]) == len(marked.determinations())
    for row, feature in zip(rows, document["features"], strict=True):
        p = feature["properties"]
        assert row["id"] == feature["id"]
        assert [float(row["lon"]), float(row["lat"])] == feature["geometry"]["coordinates"]
        assert datetime.fromisoformat(row["start"]) == datetime.fromisoformat(p["start"])
        assert (row["rules"].split(";") if row["rules"] else []) == p["rules"]
        assert (row["clear_breach"] == "true") is p["clear_breach"]
        assert float(row["confidence"]) == p["confidence"]
        assert (row["attributed_to"] or None) == p["attributed_to"]
        assert row["explanation"] == p["explanation"]


def test_csv_of_areas_carries_wkt(data: OpenData) -> None:
    rows = list(csv.DictReader(io.StringIO(_export(data, Layer.ZONES, Format.CSV).decode())))
    assert "wkt" in rows[0]
    assert "lon" not in rows[0]
    for row in rows:
        assert shapely.from_wkt(row["wkt"]).geom_type in ("Polygon", "MultiPolygon")


@pytest.mark.parametrize("layer", list(Layer))
def test_geoparquet_reads_back_with_its_geo_metadata(data: OpenData, layer: Layer) -> None:
    payload = _export(data, layer, Format.PARQUET)
    document = json.loads(_export(data, layer, Format.GEOJSON))
    table = pq.read_table(io.BytesIO(payload))
    geo = json.loads(table.schema.metadata[b"geo"])
    assert geo["version"] == "1.1.0"
    assert geo["primary_column"] == "geometry"
    column = geo["columns"]["geometry"]
    assert column["encoding"] == "WKB"
    types = {f["geometry"]["type"] for f in document["features"]}
    assert set(column["geometry_types"]) == types
    assert column["crs"]["id"] == {"authority": "OGC", "code": "CRS84"}
    assert column["covering"]["bbox"]["xmin"] == ["bbox", "xmin"]
    geometries = shapely.from_wkb(table.column("geometry").to_pylist())
    low = shapely.total_bounds(geometries)
    assert column["bbox"] == pytest.approx(list(low))
    assert table.column_names == [c.name for c in COLUMNS[layer]] + ["geometry", "bbox"]
    assert table.column("id").to_pylist() == [f["id"] for f in document["features"]]
    for geometry, feature in zip(geometries, document["features"], strict=True):
        assert shapely.equals_exact(geometry, shape(feature["geometry"]), tolerance=1e-6)
    for c in COLUMNS[layer]:
        if c.type is ColumnType.DATETIME:
            assert str(table.schema.field(c.name).type) == "timestamp[us, tz=UTC]"
        if c.type is ColumnType.STRINGS:
            kind = table.schema.field(c.name).type
            assert pa.types.is_list(kind)
            assert pa.types.is_string(kind.value_type)


def test_parquet_times_and_lists_are_typed(data: OpenData) -> None:
    table = pq.read_table(io.BytesIO(_export(data, Layer.INCIDENTS, Format.PARQUET)))
    document = json.loads(_export(data, Layer.INCIDENTS, Format.GEOJSON))
    first = document["features"][0]["properties"]
    assert table.column("start")[0].as_py() == datetime.fromisoformat(first["start"])
    assert table.column("kinds")[0].as_py() == first["kinds"]


@pytest.mark.parametrize("fmt", list(Format))
def test_chunking_does_not_change_the_output(data: OpenData, fmt: Format) -> None:
    """A big store is read in chunks; the file is the same however it is cut (for Parquet:
    the same rows, in more row groups)."""
    whole = io.BytesIO()
    write = {Format.GEOJSON: write_geojson, Format.CSV: write_csv, Format.PARQUET: write_parquet}
    one = list(data.chunks(CELL_PRINCIPAL, Layer.INCIDENTS, LayerFilter(), size=10_000))
    small = list(data.chunks(CELL_PRINCIPAL, Layer.INCIDENTS, LayerFilter(), size=7))
    assert len(one) == 1
    assert len(small) > 10
    assert [f.id for c in small for f in c] == [f.id for f in one[0]]
    write[fmt](Layer.INCIDENTS, one, whole)
    cut = io.BytesIO()
    write[fmt](Layer.INCIDENTS, small, cut)
    if fmt is Format.PARQUET:
        assert pq.read_table(cut).equals(pq.read_table(whole))
        assert pq.ParquetFile(cut).num_row_groups == len(small)
    else:
        assert cut.getvalue() == whole.getvalue()


def test_the_same_store_gives_the_same_bytes(data: OpenData) -> None:
    for fmt in (Format.GEOJSON, Format.CSV):
        assert _export(data, Layer.DETERMINATIONS, fmt) == _export(data, Layer.DETERMINATIONS, fmt)


@pytest.mark.parametrize("fmt", list(Format))
def test_an_empty_layer_is_a_valid_empty_file(data: OpenData, fmt: Format) -> None:
    nothing = LayerFilter(min_confidence=1.0, party="NOBODY")
    payload = _export(data, Layer.INCIDENTS, fmt, layer_filter=nothing, principal=PUBLIC_PRINCIPAL)
    if fmt is Format.GEOJSON:
        document = json.loads(payload)
        assert document == {"type": "FeatureCollection", "features": []}
    elif fmt is Format.CSV:
        assert payload.decode().splitlines() == [",".join(csv_header(Layer.INCIDENTS))]
    else:
        table = pq.read_table(io.BytesIO(payload))
        assert table.num_rows == 0
        geo = json.loads(table.schema.metadata[b"geo"])
        assert geo["columns"]["geometry"]["geometry_types"] == []
        assert "bbox" not in geo["columns"]["geometry"]


T0 = datetime(2025, 9, 1, tzinfo=UTC)

coordinates = st.tuples(st.floats(-180, 180, allow_nan=False), st.floats(-90, 90, allow_nan=False))


def _point_feature(i: int, lon: float, lat: float, kinds: list[str]) -> Feature:
    values: dict[str, Any] = {}
    for c in COLUMNS[Layer.INCIDENTS]:
        values[c.name] = {
            ColumnType.STRING: f'text {i}, with "quotes"; and\nnew lines',
            ColumnType.INTEGER: i,
            ColumnType.NUMBER: i / 7,
            ColumnType.BOOLEAN: i % 2 == 0,
            ColumnType.DATETIME: T0 + timedelta(seconds=i * 1.5),
            ColumnType.STRINGS: tuple(kinds),
        }[c.type]
    values["id"] = f"f-{i}"
    return Feature(id=f"f-{i}", geometry=Point(lon, lat), properties=values)


@given(
    st.lists(coordinates, min_size=1, max_size=30),
    st.lists(st.text("abc xyz", min_size=1, max_size=5), max_size=3),
)
def test_any_points_round_trip_through_geojson_and_csv(
    points: list[tuple[float, float]], kinds: list[str]
) -> None:
    features = [_point_feature(i, lon, lat, kinds) for i, (lon, lat) in enumerate(points)]
    out = io.BytesIO()
    write_geojson(Layer.INCIDENTS, [features], out)
    document = json.loads(out.getvalue())
    west, south, east, north = document["bbox"]
    for (lon, lat), feature in zip(points, document["features"], strict=True):
        x, y = feature["geometry"]["coordinates"]
        assert abs(x - lon) <= 5e-8
        assert abs(y - lat) <= 5e-8
        assert west <= x <= east
        assert south <= y <= north
        assert feature["properties"]["kinds"] == kinds
    out = io.BytesIO()
    write_csv(Layer.INCIDENTS, [features], out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8"), newline="")))
    assert [r["id"] for r in rows] == [f.id for f in features]
    for row, feature in zip(rows, features, strict=True):
        assert row["primary_kind"] == feature.properties["primary_kind"]
        assert row["kinds"] == ";".join(kinds)
        assert datetime.fromisoformat(row["start"]) == feature.properties["start"]


grid_coordinates = st.tuples(
    st.integers(-180_000, 180_000).map(lambda v: v / 1000),
    st.integers(-90_000, 90_000).map(lambda v: v / 1000),
)
"""Coordinates on a 0.001° grid: polygons of them keep their shape at 7 decimals."""


@given(st.lists(grid_coordinates, min_size=3, max_size=12, unique=True), st.booleans())
def test_any_polygon_is_written_counterclockwise(
    ring: list[tuple[float, float]], reverse: bool
) -> None:
    polygon = shapely.make_valid(Polygon(ring[::-1] if reverse else ring))
    parts = [p for p in shapely.get_parts(polygon) if p.geom_type == "Polygon" and p.area > 1e-4]
    if not parts:
        return
    area = parts[0]
    values: dict[str, Any] = {c.name: None for c in COLUMNS[Layer.ZONES]}
    values["id"] = "z"
    out = io.BytesIO()
    write_geojson(Layer.ZONES, [[Feature(id="z", geometry=area, properties=values)]], out)
    written = json.loads(out.getvalue())["features"][0]["geometry"]
    assert LinearRing(written["coordinates"][0]).is_ccw
    assert shape(written).area == pytest.approx(area.area, rel=1e-3, abs=1e-3)
