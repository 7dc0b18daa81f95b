"""Writers of a layer's features: GeoJSON (RFC 7946), CSV and GeoParquet 1.1.

Each writer takes the features in chunks (lists) and writes them to a binary stream as
they come, so that a layer of any size is written with one chunk in memory:

- **GeoJSON**: one FeatureCollection, WGS 84 longitude/latitude, no `crs` member,
  polygons with counterclockwise exterior rings (the right-hand rule), coordinates to 7
  decimals (about 1 cm), the collection's `bbox` (written after the features: JSON members
  have no order). Times are ISO 8601 in UTC with `Z`.
- **CSV**: UTF-8, a header row, one row per feature: `id`, then `lon` and `lat` for point
  layers or `wkt` for the line and zones, then the layer's columns. Lists are joined
  with `;`, booleans are `true`/`false`, a missing value is empty.
- **GeoParquet 1.1**: one row group per chunk; the geometry as WKB in the column
  `geometry`, a `bbox` struct column (xmin, ymin, xmax, ymax) as its covering, and the
  file's `geo` metadata: encoding WKB, the geometry types present, the bbox of all rows,
  the CRS OGC:CRS84 (as PROJJSON), planar edges, counterclockwise polygons.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import IO, Any, Final

import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from pyproj import CRS
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from truceline.opendata.layers import COLUMNS, Column, ColumnType, Feature, Layer, Value

DECIMALS: Final = 7
"""Decimals of coordinates in GeoJSON and CSV: about 1 cm."""

GEOPARQUET_VERSION: Final = "1.1.0"


class Format(StrEnum):
    """The formats a layer is written in."""

    GEOJSON = "geojson"
    CSV = "csv"
    PARQUET = "parquet"

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self]

    @property
    def suffix(self) -> str:
        return ".parquet" if self is Format.PARQUET else f".{self.value}"


MEDIA_TYPES: Final[Mapping[Format, str]] = {
    Format.GEOJSON: "application/geo+json",
    Format.CSV: "text/csv; charset=utf-8",
    Format.PARQUET: "application/vnd.apache.parquet",
}


@dataclass
class Written:
    """What a writer wrote: how many features, their box and geometry types."""

    count: int = 0
    bounds: list[float] | None = None
    """[min_lon, min_lat, max_lon, max_lat] of every geometry written; None when none."""
    geometry_types: set[str] = field(default_factory=set)

    def add(self, geometries: Sequence[BaseGeometry]) -> None:
        if not geometries:
            return
        self.count += len(geometries)
        self.geometry_types.update(g.geom_type for g in geometries)
        box = [float(v) for v in shapely.total_bounds(list(geometries))]
        if self.bounds is None:
            self.bounds = box
        else:
            self.bounds = [
                min(self.bounds[0], box[0]),
                min(self.bounds[1], box[1]),
                max(self.bounds[2], box[2]),
                max(self.bounds[3], box[3]),
            ]


def utc_text(value: datetime) -> str:
    """ISO 8601 in UTC with `Z`: 2025-09-01T05:12:00Z."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def json_value(value: Value) -> Any:
    """A property value as JSON: datetimes as UTC text, tuples as arrays."""
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def oriented(geometry: BaseGeometry) -> BaseGeometry:
    """The geometry with polygons' exterior rings counterclockwise and holes clockwise
    (RFC 7946's right-hand rule); other geometries unchanged."""
    if geometry.geom_type in ("Polygon", "MultiPolygon", "GeometryCollection"):
        return shapely.orient_polygons(geometry, exterior_cw=False)
    return geometry


def _rounded(coordinates: Any) -> Any:
    if isinstance(coordinates, int | float):
        return round(float(coordinates), DECIMALS)
    return [_rounded(c) for c in coordinates]


def geojson_geometry(geometry: BaseGeometry) -> dict[str, Any]:
    """An RFC 7946 geometry object: oriented, coordinates rounded to 7 decimals."""
    found = dict(mapping(oriented(geometry)))
    if "geometries" in found:
        found["geometries"] = [geojson_geometry(g) for g in shapely.get_parts(geometry)]
        return found
    found["coordinates"] = _rounded(found["coordinates"])
    return found


def geojson_feature(feature: Feature) -> dict[str, Any]:
    """One RFC 7946 Feature object."""
    return {
        "type": "Feature",
        "id": feature.id,
        "geometry": geojson_geometry(feature.geometry),
        "properties": {k: json_value(v) for k, v in feature.properties.items()},
    }


def rounded_bbox(bounds: Sequence[float]) -> list[float]:
    """A bbox rounded outwards to 7 decimals, so it still holds every rounded coordinate."""
    scale = 10**DECIMALS
    low = [math.floor(v * scale) / scale for v in bounds[:2]]
    high = [math.ceil(v * scale) / scale for v in bounds[2:]]
    return [*low, *high]


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def write_geojson(layer: Layer, chunks: Iterable[Sequence[Feature]], out: IO[bytes]) -> Written:
    """Write one RFC 7946 FeatureCollection, a feature per line."""
    written = Written()
    out.write(b'{"type":"FeatureCollection","features":[')
    first = True
    for chunk in chunks:
        lines = []
        for feature in chunk:
            lines.append(("\n" if first else ",\n") + _dumps(geojson_feature(feature)))
            first = False
        out.write("".join(lines).encode("utf-8"))
        written.add([f.geometry for f in chunk])
    tail = "\n]"
    if written.bounds is not None:
        tail += ',"bbox":' + _dumps(rounded_bbox(written.bounds))
    out.write((tail + "}\n").encode("utf-8"))
    return written


def csv_header(layer: Layer) -> list[str]:
    """The CSV columns of a layer: id, lon and lat (points) or wkt, then its columns."""
    place = ["lon", "lat"] if layer.is_point else ["wkt"]
    return ["id", *place, *(c.name for c in COLUMNS[layer] if c.name != "id")]


def csv_value(value: Value) -> str:
    """A property value as CSV text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, tuple):
        return ";".join(value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _csv_place(layer: Layer, geometry: BaseGeometry) -> list[str]:
    if layer.is_point:
        x, y = shapely.get_x(geometry), shapely.get_y(geometry)
        return [repr(round(float(x), DECIMALS)), repr(round(float(y), DECIMALS))]
    return [shapely.to_wkt(oriented(geometry), rounding_precision=DECIMALS, trim=True)]


def write_csv(layer: Layer, chunks: Iterable[Sequence[Feature]], out: IO[bytes]) -> Written:
    """Write a header and one row per feature."""
    written = Written()
    columns = [c.name for c in COLUMNS[layer] if c.name != "id"]
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    try:
        rows = csv.writer(text)
        rows.writerow(csv_header(layer))
        for chunk in chunks:
            rows.writerows(
                [
                    f.id,
                    *_csv_place(layer, f.geometry),
                    *(csv_value(f.properties[name]) for name in columns),
                ]
                for f in chunk
            )
            written.add([f.geometry for f in chunk])
        text.flush()
    finally:
        text.detach()
    return written


_ARROW_TYPES: Final[Mapping[ColumnType, pa.DataType]] = {
    ColumnType.STRING: pa.string(),
    ColumnType.INTEGER: pa.int64(),
    ColumnType.NUMBER: pa.float64(),
    ColumnType.BOOLEAN: pa.bool_(),
    ColumnType.DATETIME: pa.timestamp("us", tz="UTC"),
    ColumnType.STRINGS: pa.list_(pa.string()),
}

_BBOX_TYPE: Final = pa.struct(
    [pa.field(name, pa.float64(), nullable=False) for name in ("xmin", "ymin", "xmax", "ymax")]
)


def parquet_schema(layer: Layer) -> pa.Schema:
    """The Arrow schema of a layer's GeoParquet file: its columns, `geometry`, `bbox`."""
    fields = [
        pa.field(c.name, _ARROW_TYPES[c.type], nullable=c.nullable or c.type is ColumnType.STRINGS)
        for c in COLUMNS[layer]
    ]
    fields.append(pa.field("geometry", pa.binary(), nullable=False))
    fields.append(pa.field("bbox", _BBOX_TYPE, nullable=False))
    return pa.schema(fields)


def _arrow_values(column: Column, values: list[Value]) -> list[Any]:
    if column.type is ColumnType.STRINGS:
        return [list(v) if isinstance(v, tuple) else v for v in values]
    return values


def _batch(layer: Layer, schema: pa.Schema, chunk: Sequence[Feature]) -> pa.RecordBatch:
    arrays: list[pa.Array] = []
    for column in COLUMNS[layer]:
        values = [f.properties[column.name] for f in chunk]
        kind = _ARROW_TYPES[column.type]
        arrays.append(pa.array(_arrow_values(column, values), type=kind))
    geometries = [oriented(f.geometry) for f in chunk]
    arrays.append(pa.array(shapely.to_wkb(geometries, flavor="iso"), type=pa.binary()))
    bounds = shapely.bounds(geometries)
    arrays.append(
        pa.StructArray.from_arrays(
            [pa.array(bounds[:, i], type=pa.float64()) for i in range(4)],
            fields=list(_BBOX_TYPE),
        )
    )
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


CRS84_PROJJSON: Final[Mapping[str, Any]] = CRS.from_user_input("OGC:CRS84").to_json_dict()
"""WGS 84 longitude/latitude, as GeoParquet's `crs` (PROJJSON)."""


def geo_metadata(written: Written) -> dict[str, Any]:
    """The GeoParquet 1.1 `geo` metadata of what was written."""
    column: dict[str, Any] = {
        "encoding": "WKB",
        "geometry_types": sorted(written.geometry_types),
        "crs": dict(CRS84_PROJJSON),
        "edges": "planar",
        "covering": {
            "bbox": {
                "xmin": ["bbox", "xmin"],
                "ymin": ["bbox", "ymin"],
                "xmax": ["bbox", "xmax"],
                "ymax": ["bbox", "ymax"],
            }
        },
    }
    if written.bounds is not None:
        column["bbox"] = written.bounds
    if written.geometry_types & {"Polygon", "MultiPolygon"}:
        column["orientation"] = "counterclockwise"
    return {
        "version": GEOPARQUET_VERSION,
        "primary_column": "geometry",
        "columns": {"geometry": column},
    }


def write_parquet(layer: Layer, chunks: Iterable[Sequence[Feature]], out: IO[bytes]) -> Written:
    """Write a GeoParquet 1.1 file, one row group per chunk."""
    written = Written()
    schema = parquet_schema(layer)
    # Without the stored Arrow schema, the file's key-value metadata (where `geo` is added
    # once every row is written) is what readers take as the schema's metadata.
    writer = pq.ParquetWriter(out, schema, compression="zstd", store_schema=False)
    try:
        for chunk in chunks:
            if not chunk:
                continue
            writer.write_batch(_batch(layer, schema, chunk))
            written.add([f.geometry for f in chunk])
        writer.add_key_value_metadata({"geo": json.dumps(geo_metadata(written))})
    finally:
        writer.close()
    return written


WRITERS: Final[
    Mapping[Format, Callable[[Layer, Iterable[Sequence[Feature]], IO[bytes]], Written]]
] = {
    Format.GEOJSON: write_geojson,
    Format.CSV: write_csv,
    Format.PARQUET: write_parquet,
}


def write_layer(
    layer: Layer, fmt: Format, chunks: Iterable[Sequence[Feature]], out: IO[bytes]
) -> Written:
    """Write a layer's features in a format to a binary stream."""
    return WRITERS[fmt](layer, chunks, out)
