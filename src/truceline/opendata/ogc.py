"""OGC API - Features (Part 1: Core): the documents, independent of the web framework.

The routes (`truceline.service.routes.ogc`) parse nothing and build nothing themselves:
they hand the request's query parameters to `ItemsQuery.parse` and the results of the
reads to the functions here, which return plain JSON-able dicts. So every document can be
built and tested without a server.

Conformance classes: Core, GeoJSON and OpenAPI 3.0 (the service's OpenAPI document,
`/api/openapi.json`, describes these endpoints). Every coordinate is WGS 84
longitude/latitude (CRS84); `bbox` is `min_lon,min_lat,max_lon,max_lat` (a 6-number box's
heights are ignored); `datetime` an instant or an interval with open ends (`..`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final
from urllib.parse import urlencode

from truceline.errors import InputError
from truceline.opendata.layers import COLUMNS, DESCRIPTIONS, TITLES, ColumnType, Feature, Layer
from truceline.opendata.writers import geojson_feature, rounded_bbox, utc_text
from truceline.service.queries import Extent
from truceline.store.base import BBox, TimeWindow

CONFORMANCE: Final = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
)

CRS84: Final = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GREGORIAN: Final = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"

DEFAULT_LIMIT: Final = 100
MAX_LIMIT: Final = 10_000
MAX_OFFSET: Final = 10_000_000

JSON: Final = "application/json"
GEOJSON: Final = "application/geo+json"
OPENAPI: Final = "application/vnd.oai.openapi+json;version=3.0"
HTML: Final = "text/html"

FORMATS: Final = ("json",)
"""Values of the `f` parameter: JSON (GeoJSON for features) only."""

COMMON_PARAMETERS: Final = frozenset({"f"})
ITEMS_PARAMETERS: Final = frozenset({"f", "bbox", "datetime", "limit", "offset"})

OGC_PREFIX: Final = "/ogc"
OPENAPI_PATH: Final = "/api/openapi.json"
DOCS_PATH: Final = "/api/docs"


@dataclass(frozen=True)
class ItemsQuery:
    """The parameters of an items request, checked."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0
    bbox: BBox | None = None
    window: TimeWindow | None = None
    bbox_text: str | None = None
    datetime_text: str | None = None

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> ItemsQuery:
        """The query of these parameters; InputError naming the parameter otherwise."""
        check_parameters(params, ITEMS_PARAMETERS)
        bbox_text = params.get("bbox")
        datetime_text = params.get("datetime")
        return cls(
            limit=_integer(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
            offset=_integer(params, "offset", 0, 0, MAX_OFFSET),
            bbox=parse_bbox(bbox_text) if bbox_text is not None else None,
            window=parse_datetime(datetime_text) if datetime_text is not None else None,
            bbox_text=bbox_text,
            datetime_text=datetime_text,
        )

    def query_string(self, offset: int) -> str:
        """The query of the same request at another offset."""
        values: dict[str, str] = {}
        if self.bbox_text is not None:
            values["bbox"] = self.bbox_text
        if self.datetime_text is not None:
            values["datetime"] = self.datetime_text
        values["limit"] = str(self.limit)
        values["offset"] = str(offset)
        return urlencode(values, safe=",:/")


def check_parameters(params: Mapping[str, str], known: frozenset[str]) -> None:
    """InputError for a parameter the endpoint does not know, or an `f` it does not speak."""
    unknown = sorted(set(params) - known)
    if unknown:
        raise InputError(
            f"{unknown[0]}: not a parameter of this endpoint; it takes {', '.join(sorted(known))}",
            field=unknown[0],
        )
    f = params.get("f")
    if f is not None and f not in FORMATS:
        raise InputError(
            f"f: {f!r} is not a format this service speaks; use f=json (or leave f out)",
            field="f",
        )


def _integer(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = params.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise InputError(f"{name}: expected a whole number, got {text!r}", field=name) from None
    if not low <= value <= high:
        raise InputError(f"{name}: must be from {low} to {high}, got {value}", field=name)
    return value


def parse_bbox(text: str) -> BBox:
    """`min_lon,min_lat,max_lon,max_lat` (or the 6 numbers of a box with heights)."""
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4:
        raise InputError(
            f"bbox: expected min_lon,min_lat,max_lon,max_lat in degrees, got {text!r}",
            field="bbox",
        )
    try:
        return BBox(*values)
    except InputError as exc:
        raise InputError(str(exc), field="bbox") from None


def _instant(text: str, *, end: bool) -> datetime:
    """A date-time with a zone; a bare date is its whole day in UTC (its start, or with
    `end` its last microsecond)."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time(0), tzinfo=UTC)
            return moment + timedelta(days=1, microseconds=-1) if end else moment
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"datetime: {text!r} is not an RFC 3339 date-time; write e.g. "
            "2025-09-01T05:00:00Z, 2025-09-01T00:00:00Z/2025-09-02T00:00:00Z or "
            "2025-09-01T00:00:00Z/..",
            field="datetime",
        ) from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise InputError(
            f"datetime: {text!r} has no time zone; add Z or an offset such as +02:00",
            field="datetime",
        )
    return value.astimezone(UTC)


EARLIEST: Final = datetime(1, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


def parse_datetime(text: str) -> TimeWindow | None:
    """An instant (`T`), or an interval `A/B` whose ends may be open (`..` or empty).
    None when both ends are open. A feature matches when its time window meets it."""
    if "/" not in text:
        if text in ("", ".."):
            raise InputError(
                "datetime: an instant cannot be open; give a date-time", field="datetime"
            )
        return TimeWindow(_instant(text, end=False), _instant(text, end=True))
    parts = text.split("/")
    if len(parts) != 2:
        raise InputError(
            f"datetime: {text!r} has more than one '/'; give an instant or start/end",
            field="datetime",
        )
    start_text, end_text = (p.strip() for p in parts)
    start = None if start_text in ("", "..") else _instant(start_text, end=False)
    end = None if end_text in ("", "..") else _instant(end_text, end=True)
    if start is None and end is None:
        return None
    if start is not None and end is not None and start > end:
        raise InputError(
            f"datetime: the interval {text!r} ends before it starts; give start/end in order",
            field="datetime",
        )
    return TimeWindow(start or EARLIEST, end or LATEST)


def _link(href: str, rel: str, media_type: str, title: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": media_type, "title": title}


def landing_page(base: str) -> dict[str, Any]:
    """The landing page: what the service is, and where its parts are."""
    root = base.rstrip("/")
    ogc = root + OGC_PREFIX
    return {
        "title": "Truceline open data",
        "description": "Incidents, determinations, the line of contact and the zones of the "
        "ceasefire agreement in force, as OGC API - Features.",
        "links": [
            _link(ogc, "self", JSON, "This document"),
            _link(root + OPENAPI_PATH, "service-desc", OPENAPI, "The API definition"),
            _link(root + DOCS_PATH, "service-doc", HTML, "The API documentation"),
            _link(f"{ogc}/conformance", "conformance", JSON, "Conformance classes"),
            _link(f"{ogc}/collections", "data", JSON, "The collections"),
        ],
    }


def conformance() -> dict[str, Any]:
    """The conformance declaration."""
    return {"conformsTo": list(CONFORMANCE)}


def _extent(extent: Extent) -> dict[str, Any] | None:
    found: dict[str, Any] = {}
    if extent.bbox is not None:
        b = extent.bbox
        found["spatial"] = {
            "bbox": [rounded_bbox([b.min_lon, b.min_lat, b.max_lon, b.max_lat])],
            "crs": CRS84,
        }
    if extent.start is not None or extent.end is not None:
        found["temporal"] = {
            "interval": [
                [
                    utc_text(extent.start) if extent.start is not None else None,
                    utc_text(extent.end) if extent.end is not None else None,
                ]
            ],
            "trs": GREGORIAN,
        }
    return found or None


def collection(base: str, layer: Layer, extent: Extent) -> dict[str, Any]:
    """One collection's description, with its extent as the reader may see it."""
    here = f"{base.rstrip('/')}{OGC_PREFIX}/collections/{layer.value}"
    found: dict[str, Any] = {
        "id": layer.value,
        "title": TITLES[layer],
        "description": DESCRIPTIONS[layer],
        "links": [
            _link(here, "self", JSON, "This collection"),
            _link(f"{here}/items", "items", GEOJSON, f"The {layer.value}"),
        ],
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": CRS84,
    }
    spread = _extent(extent)
    if spread is not None:
        found["extent"] = spread
    return found


def collections(base: str, extents: Mapping[Layer, Extent]) -> dict[str, Any]:
    """Every collection, in the order of `Layer`."""
    here = f"{base.rstrip('/')}{OGC_PREFIX}/collections"
    return {
        "links": [_link(here, "self", JSON, "The collections")],
        "collections": [collection(base, layer, extents[layer]) for layer in Layer],
    }


def items(
    base: str,
    layer: Layer,
    query: ItemsQuery,
    features: Sequence[Feature],
    matched: int,
) -> dict[str, Any]:
    """One page of a collection's items: a GeoJSON FeatureCollection with paging links."""
    here = f"{base.rstrip('/')}{OGC_PREFIX}/collections/{layer.value}"
    page = f"{here}/items"
    links = [
        _link(f"{page}?{query.query_string(query.offset)}", "self", GEOJSON, "This page"),
        _link(here, "collection", JSON, "The collection"),
    ]
    if query.offset + len(features) < matched:
        after = query.offset + len(features)
        links.append(_link(f"{page}?{query.query_string(after)}", "next", GEOJSON, "Next page"))
    if query.offset > 0:
        before = max(0, query.offset - query.limit)
        links.append(_link(f"{page}?{query.query_string(before)}", "prev", GEOJSON, "Previous"))
    return {
        "type": "FeatureCollection",
        "features": [geojson_feature(f) for f in features],
        "links": links,
        "numberMatched": matched,
        "numberReturned": len(features),
    }


def item(base: str, layer: Layer, feature: Feature) -> dict[str, Any]:
    """One feature, with links to itself and its collection."""
    here = f"{base.rstrip('/')}{OGC_PREFIX}/collections/{layer.value}"
    found = geojson_feature(feature)
    found["links"] = [
        _link(f"{here}/items/{feature.id}", "self", GEOJSON, "This feature"),
        _link(here, "collection", JSON, "The collection"),
    ]
    return found


_SCHEMA_TYPES: Final[Mapping[ColumnType, dict[str, Any]]] = {
    ColumnType.STRING: {"type": "string"},
    ColumnType.INTEGER: {"type": "integer"},
    ColumnType.NUMBER: {"type": "number"},
    ColumnType.BOOLEAN: {"type": "boolean"},
    ColumnType.DATETIME: {"type": "string", "format": "date-time"},
    ColumnType.STRINGS: {"type": "array", "items": {"type": "string"}},
}


def properties_schema(layer: Layer) -> dict[str, Any]:
    """The JSON schema of a layer's feature properties (for the OpenAPI document)."""
    return {
        "type": "object",
        "properties": {
            c.name: {**_SCHEMA_TYPES[c.type], "description": c.description} for c in COLUMNS[layer]
        },
    }


def items_parameters() -> list[dict[str, Any]]:
    """The OpenAPI description of the items endpoint's query parameters."""
    return [
        {
            "name": "bbox",
            "in": "query",
            "required": False,
            "style": "form",
            "explode": False,
            "description": "Only features whose geometry meets this box: "
            "min_lon,min_lat,max_lon,max_lat in WGS 84 degrees (CRS84), edges included.",
            "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
        },
        {
            "name": "datetime",
            "in": "query",
            "required": False,
            "description": "Only features whose time window meets this instant or interval "
            "(RFC 3339 with a zone; open ends '..'), e.g. 2025-09-01T00:00:00Z/.. . The line "
            "and the zones have no time and are not filtered by it.",
            "schema": {"type": "string"},
        },
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "description": "At most this many features in the page.",
            "schema": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_LIMIT,
                "default": DEFAULT_LIMIT,
            },
        },
        {
            "name": "offset",
            "in": "query",
            "required": False,
            "description": "Skip this many features (the `next` link gives the next page).",
            "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
        },
        dict(F_PARAMETER),
    ]


F_PARAMETER: Final[Mapping[str, Any]] = {
    "name": "f",
    "in": "query",
    "required": False,
    "description": "The format: json (GeoJSON for features), the only one.",
    "schema": {"type": "string", "enum": list(FORMATS)},
}
