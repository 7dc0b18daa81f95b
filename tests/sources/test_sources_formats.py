"""Truceline CSV and GeoJSON: every field read, defaults from the source, round trips."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from truceline.observations.model import (
    Credibility,
    Domain,
    Evidence,
    Kind,
    Observation,
    Reliability,
)
from truceline.sources.base import Adapter, Rejection
from truceline.sources.csv_rows import CsvAdapter
from truceline.sources.geojson_features import GeoJsonAdapter
from truceline.sources.json_stream import CHUNK_BYTES
from truceline.sources.registry import SourceRegistry

SHA = "ab" * 32


def read_all(adapter: Adapter, path: Path, received_at: datetime) -> list[Observation]:
    items = list(adapter.read(path, received_at=received_at))
    bad = [str(i) for i in items if isinstance(i, Rejection)]
    assert not bad, bad
    return [i for i in items if isinstance(i, Observation)]


# --- CSV --------------------------------------------------------------------------------


def test_csv_every_column(tmp_path: Path, registry: SourceRegistry, received_at: datetime) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        "source_id,source_ref,observed_at,time_uncertainty_s,lon,lat,location_uncertainty_m,"
        "domain,kind,weapon_class,calibre_mm,reliability,credibility,evidence_uri,"
        "evidence_sha256,attr_count,attr_ratio,attr_code,attr_note,attr_empty\n"
        f"uav-1,f-17,2025-09-01T12:30:00+02:00,60,37.5,48.1,25,land,weapon_sighting,mlrs,122,"
        f'c,4,https://example.org/a.jpg,{SHA.upper()},12,0.5,007,"tube, 3 rails",\n'
    )
    (obs,) = read_all(CsvAdapter(registry), path, received_at)
    assert obs.observed_at == datetime(2025, 9, 1, 10, 30, tzinfo=UTC)
    assert (obs.lon, obs.lat, obs.time_uncertainty_s, obs.location_uncertainty_m) == (
        37.5,
        48.1,
        60.0,
        25.0,
    )
    assert (obs.domain, obs.kind, obs.weapon_class, obs.calibre_mm) == (
        Domain.LAND,
        Kind.WEAPON_SIGHTING,
        "mlrs",
        122.0,
    )
    assert (obs.reliability, obs.credibility) == (Reliability.C, Credibility.DOUBTFUL)
    assert obs.evidence == (Evidence(uri="https://example.org/a.jpg", sha256=SHA),)
    assert obs.attributes == {"count": 12, "ratio": 0.5, "code": "007", "note": "tube, 3 rails"}
    assert obs.source_ref == "f-17"


def test_csv_grades_default_to_the_source(
    tmp_path: Path, registry: SourceRegistry, received_at: datetime
) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        "source_id,observed_at,lon,lat,kind\nuav-1,2025-09-01T10:00:00Z,37.5,48.1,impact\n"
    )
    (obs,) = read_all(CsvAdapter(registry), path, received_at)
    assert (obs.reliability, obs.credibility) == (Reliability.B, Credibility.PROBABLY_TRUE)


def test_csv_without_source_ref_gets_a_content_reference(
    tmp_path: Path, registry: SourceRegistry, received_at: datetime
) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        "source_id,observed_at,lon,lat,kind\n"
        "uav-1,2025-09-01T10:00:00Z,37.5,48.1,impact\n"
        "uav-1,2025-09-01T10:00:00Z,37.5,48.1,impact\n"
        "uav-1,2025-09-01T10:00:00Z,37.5,48.2,impact\n"
    )
    a, b, c = read_all(CsvAdapter(registry), path, received_at)
    assert a.id == b.id != c.id
    assert a.source_ref.startswith("sha256:")


# --- GeoJSON ----------------------------------------------------------------------------


def collection(*features: dict[str, Any]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


def point(lon: float, lat: float, properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    geometry = {"type": "Point", "coordinates": [lon, lat]}
    return {"type": "Feature", "geometry": geometry, "properties": properties, **extra}


BASE = {"source_id": "uav-1", "observed_at": "2025-09-01T10:00:00Z", "kind": "explosion"}


def test_geojson_references_and_attributes(
    tmp_path: Path, registry: SourceRegistry, received_at: datetime
) -> None:
    path = tmp_path / "r.geojson"
    path.write_text(
        collection(
            point(37.5, 48.1, {**BASE, "source_ref": "own", "frp": 2.5}, id="feature-id"),
            point(37.5, 48.2, {**BASE, "attributes": {"crew": 3}, "note": None}, id=42),
            point(37.5, 48.3, {**BASE, "evidence": [{"uri": "file:a.jpg", "sha256": SHA}]}),
        )
    )
    own, numbered, hashed = read_all(GeoJsonAdapter(registry), path, received_at)
    assert own.source_ref == "own"
    assert own.attributes == {"frp": 2.5}
    assert numbered.source_ref == "42"
    assert numbered.attributes == {"crew": 3, "note": None}
    assert hashed.source_ref.startswith("sha256:")
    assert hashed.evidence[0].uri == "file:a.jpg"
    assert (own.reliability, own.credibility) == (Reliability.B, Credibility.PROBABLY_TRUE)


def test_geojson_altitude_is_ignored_and_properties_may_come_first(
    tmp_path: Path, registry: SourceRegistry, received_at: datetime
) -> None:
    path = tmp_path / "r.geojson"
    path.write_text(
        '{"features": [{"properties": ' + json.dumps(BASE) + ', "type": "Feature", '
        '"geometry": {"coordinates": [37.5, 48.1, 120.0], "type": "Point"}}], '
        '"name": "reports", "type": "FeatureCollection", "bbox": [37, 48, 38, 49]}'
    )
    (obs,) = read_all(GeoJsonAdapter(registry), path, received_at)
    assert (obs.lon, obs.lat) == (37.5, 48.1)


def test_geojson_larger_than_one_read_chunk(
    tmp_path: Path, registry: SourceRegistry, received_at: datetime
) -> None:
    path = tmp_path / "big.geojson"
    note = "x" * 300
    features = [
        point(30 + i / 1000, 48.0, {**BASE, "source_ref": f"r{i}", "note": note})
        for i in range(9000)
    ]
    path.write_text(collection(*features))
    assert path.stat().st_size > 2 * CHUNK_BYTES
    adapter = GeoJsonAdapter(registry)
    observations = read_all(adapter, path, received_at)
    assert [o.source_ref for o in observations] == [f"r{i}" for i in range(9000)]
    assert adapter.bytes_read == path.stat().st_size


# --- round trips ------------------------------------------------------------------------

text = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12)
observations = st.builds(
    Observation,
    source_id=st.just("uav-1"),
    source_ref=st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Zs", "Zl", "Zp")),
        min_size=1,
        max_size=30,
    ),
    observed_at=st.datetimes(  # readers refuse times after the reception plus one day
        min_value=datetime(2014, 1, 1), max_value=datetime(2026, 1, 16, 12), timezones=st.just(UTC)
    ),
    time_uncertainty_s=st.floats(min_value=0, max_value=86_400),
    received_at=st.just(datetime(2026, 1, 15, 12, tzinfo=UTC)),
    lon=st.floats(min_value=-180, max_value=180),
    lat=st.floats(min_value=-90, max_value=90),
    location_uncertainty_m=st.floats(min_value=0, max_value=500_000),
    domain=st.sampled_from(Domain),
    kind=st.sampled_from(Kind),
    weapon_class=st.none() | text,
    calibre_mm=st.none() | st.floats(min_value=0.5, max_value=1000),
    reliability=st.sampled_from(Reliability),
    credibility=st.sampled_from(Credibility),
    attributes=st.dictionaries(
        text.map(lambda name: "x" + name),
        text | st.integers(-(10**17), 10**17) | st.floats(allow_nan=False, allow_infinity=False),
        max_size=4,
    ),
    evidence=st.lists(st.builds(Evidence, uri=text, sha256=st.just(SHA)), max_size=1).map(tuple),
)


CSV_COLUMNS = (
    "source_id",
    "source_ref",
    "observed_at",
    "time_uncertainty_s",
    "lon",
    "lat",
    "location_uncertainty_m",
    "domain",
    "kind",
    "weapon_class",
    "calibre_mm",
    "reliability",
    "credibility",
    "evidence_uri",
    "evidence_sha256",
)


def as_csv_row(obs: Observation) -> list[object]:
    evidence = obs.evidence[0] if obs.evidence else None
    return [
        obs.source_id,
        obs.source_ref,
        obs.observed_at.isoformat(),
        repr(obs.time_uncertainty_s),
        repr(obs.lon),
        repr(obs.lat),
        repr(obs.location_uncertainty_m),
        obs.domain.value,
        obs.kind.value,
        obs.weapon_class or "",
        "" if obs.calibre_mm is None else repr(obs.calibre_mm),
        obs.reliability.value,
        obs.credibility.value,
        evidence.uri if evidence else "",
        evidence.sha256 if evidence else "",
    ]


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(observations, max_size=8))
def test_csv_round_trip(tmp_path: Path, registry: SourceRegistry, batch: list[Observation]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    names = sorted({name for obs in batch for name in obs.attributes})
    writer.writerow([*CSV_COLUMNS, *(f"attr_{name}" for name in names)])
    for obs in batch:
        extra = [obs.attributes.get(name, "") for name in names]
        writer.writerow(as_csv_row(obs) + [repr(v) if isinstance(v, float) else v for v in extra])
    path = tmp_path / "round.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    received = datetime(2026, 1, 15, 12, tzinfo=UTC)
    assert read_all(CsvAdapter(registry), path, received) == batch


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(observations, max_size=8), indent=st.sampled_from([None, 0, 2]))
def test_geojson_round_trip(
    tmp_path: Path, registry: SourceRegistry, batch: list[Observation], indent: int | None
) -> None:
    features = []
    for obs in batch:
        data = obs.model_dump(mode="json", exclude={"id", "lon", "lat", "received_at"})
        data.update(data.pop("attributes"))
        features.append(point(obs.lon, obs.lat, data))
    path = tmp_path / "round.geojson"
    document = {"type": "FeatureCollection", "features": features}
    path.write_text(json.dumps(document, indent=indent), encoding="utf-8")
    received = datetime(2026, 1, 15, 12, tzinfo=UTC) + timedelta(0)
    assert read_all(GeoJsonAdapter(registry), path, received) == batch
