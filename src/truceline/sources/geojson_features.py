"""GeoJSON (RFC 7946): a FeatureCollection of Point features, one observation each.

Coordinates are longitude, latitude (WGS 84), optionally followed by an altitude, which is
ignored. Only Point geometries are accepted: an area is reported as a Point with a
``location_uncertainty_m`` that covers it. The properties carry the observation fields;
every other property is kept in the attributes. Features are streamed (see json_stream), so
files of any size are read in bounded memory. The format is documented in docs/formats.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from pydantic import ValidationError

from truceline.errors import InputError
from truceline.observations.model import Observation
from truceline.sources.base import Adapter, Rejection, aware_utc, excerpt
from truceline.sources.fields import (
    NUMERIC_FIELDS,
    FieldError,
    check_attribute,
    content_ref,
    finite_number,
    observed_time,
)
from truceline.sources.json_stream import (
    BOM,
    MAX_DEPTH,
    FeatureError,
    StreamError,
    decode_feature,
    iter_features,
)
from truceline.sources.readable import rejection_from, shown

FIELDS = (
    "source_id",
    "source_ref",
    "observed_at",
    "time_uncertainty_s",
    "kind",
    "domain",
    "location_uncertainty_m",
    "weapon_class",
    "calibre_mm",
    "reliability",
    "credibility",
    "evidence",
    "releasability",
)
"""Properties read as observation fields; any other property becomes an attribute."""


def _field_of(path: str) -> str:
    """The GeoJSON location of a model field path, for error messages."""
    if path == "lon":
        return "geometry.coordinates[0]"
    if path == "lat":
        return "geometry.coordinates[1]"
    if path.startswith("evidence."):
        _, index, *rest = path.split(".")
        return f"properties.evidence[{index}]" + "".join(f".{part}" for part in rest)
    if path.startswith("attributes."):
        return "properties." + path.split(".", 2)[1]
    return f"properties.{path}"


def _point(geometry: object) -> tuple[float, float]:
    if geometry is None:
        raise FieldError("geometry", "is missing or null; expected a Point")
    if not isinstance(geometry, dict):
        raise FieldError("geometry", f"must be a GeoJSON geometry object (got {shown(geometry)})")
    kind = geometry.get("type")
    if kind != "Point":
        raise FieldError(
            "geometry.type",
            f"only Point geometries are accepted (got {shown(kind)}); give the point and a "
            "location_uncertainty_m that covers the area",
        )
    coordinates = geometry.get("coordinates")
    if not isinstance(coordinates, list) or len(coordinates) not in (2, 3):
        raise FieldError(
            "geometry.coordinates",
            f"must be [longitude, latitude] (got {shown(coordinates)})",
        )
    lon = finite_number(coordinates[0], "geometry.coordinates[0]")
    lat = finite_number(coordinates[1], "geometry.coordinates[1]")
    if not -180.0 <= lon <= 180.0:
        raise FieldError(
            "geometry.coordinates[0]", f"longitude must be between -180 and 180 (got {lon:g})"
        )
    if not -90.0 <= lat <= 90.0:
        raise FieldError(
            "geometry.coordinates[1]",
            f"latitude must be between -90 and 90 (got {lat:g}); RFC 7946 puts longitude first",
        )
    return lon, lat


class GeoJsonAdapter(Adapter):
    """A GeoJSON FeatureCollection of Point features with observation properties."""

    name: ClassVar[str] = "geojson"
    description: ClassVar[str] = "GeoJSON FeatureCollection of Point features (docs/formats.md)"

    @classmethod
    def can_read(cls, path: Path, head: bytes) -> bool:
        text = head.removeprefix(BOM).lstrip()
        if not text.startswith(b"{"):
            return False
        return path.suffix.lower() in (".geojson", ".json") or b'"FeatureCollection"' in text

    def read(self, path: Path, *, received_at: datetime) -> Iterator[Observation | Rejection]:
        received = aware_utc(received_at)
        file = str(path)
        try:
            handle = path.open("rb")
        except OSError as exc:
            raise InputError(f"{file}: cannot be read ({exc.strerror or exc})") from None
        top: dict[str, Any] = {}
        started = False
        with handle:
            if not handle.peek(1):
                raise InputError(f"{file}: the file is empty; expected a GeoJSON FeatureCollection")
            try:
                for raw in iter_features(handle, on_bytes=self._consumed, top=top):
                    started = True
                    yield self._feature(file, raw.index, raw.data, raw.depth, received)
            except StreamError as exc:
                if not started:
                    raise InputError(f"{file}: not a GeoJSON FeatureCollection: {exc}") from None
                yield Rejection(
                    file,
                    None if exc.feature is None else exc.feature + 1,
                    None if exc.feature is not None else "document",
                    f"reading stopped: {exc}; the features before it are kept",
                    unit="feature",
                )

    def _feature(
        self, file: str, index: int, data: bytes, depth: int, received: datetime
    ) -> Observation | Rejection:
        """The observation of feature `index` (from 0); rejections count features from 1."""
        number = index + 1
        text = data[:200].decode("utf-8", "replace")
        try:
            if depth > MAX_DEPTH:
                raise FieldError(
                    "properties", f"nested {depth} levels deep; at most {MAX_DEPTH} are allowed"
                )
            try:
                feature = decode_feature(data)
            except FeatureError as exc:
                raise FieldError("feature", str(exc)) from None
            return self._observation(file, number, feature, text, received)
        except FieldError as bad:
            return Rejection(file, number, bad.field, bad.reason, excerpt(text), "feature")
        except ValidationError as exc:
            return rejection_from(
                exc, file=file, line=number, text=text, field_name=_field_of, unit="feature"
            )

    def _observation(
        self, file: str, number: int, feature: object, text: str, received: datetime
    ) -> Observation | Rejection:
        if not isinstance(feature, dict):
            raise FieldError("feature", f"must be a GeoJSON Feature object (got {shown(feature)})")
        if feature.get("type") != "Feature":
            raise FieldError("type", f"must be 'Feature' (got {shown(feature.get('type'))})")
        lon, lat = _point(feature.get("geometry"))
        properties = feature.get("properties")
        if properties is None:
            properties = {}
        if not isinstance(properties, dict):
            raise FieldError("properties", f"must be an object (got {shown(properties)})")
        data: dict[str, Any] = {"lon": lon, "lat": lat, "received_at": received}
        attributes: dict[str, Any] = {}
        for key, value in properties.items():
            if key in FIELDS:
                if value is None:
                    continue
                if key in NUMERIC_FIELDS:
                    value = finite_number(value, f"properties.{key}")
                data[key] = value
            elif key == "attributes" and isinstance(value, dict):
                for name, item in value.items():
                    attributes[name] = check_attribute(item, f"properties.attributes.{name}")
            else:
                attributes[key] = check_attribute(value, f"properties.{key}")
        source_id = data.get("source_id")
        source = self.source(source_id) if isinstance(source_id, str) else None
        if isinstance(source_id, str) and source is None:
            return self.unknown_source(file, number, source_id, text, "feature")
        if "observed_at" in data:
            data["observed_at"] = observed_time(
                data["observed_at"], "properties.observed_at", received
            )
        if source is not None:
            data.setdefault("reliability", source.reliability)
            data.setdefault("credibility", source.credibility)
        if isinstance(data.get("reliability"), str):
            data["reliability"] = data["reliability"].upper()
        if "source_ref" not in data:
            ref = feature.get("id")
            if isinstance(ref, str | int) and not isinstance(ref, bool):
                data["source_ref"] = str(ref)
            else:
                canonical = json.dumps(
                    {"geometry": feature.get("geometry"), "properties": properties},
                    sort_keys=True,
                    separators=(",", ":"),
                )
                data["source_ref"] = content_ref(canonical)
        elif isinstance(data["source_ref"], int) and not isinstance(data["source_ref"], bool):
            data["source_ref"] = str(data["source_ref"])
        data["attributes"] = attributes
        return Observation.model_validate(data)
