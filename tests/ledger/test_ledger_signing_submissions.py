"""Signed submissions: a source with a public key gets its unsigned or badly signed rows
refused one by one, in file ingest and in the API; the rest are kept."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from truceline.ledger.signing import (
    canonical_observation_bytes,
    generate_private_key,
    private_key_pem,
    public_key_pem,
    sign,
)
from truceline.observations.model import Observation
from truceline.sources.ingest import ingest_file
from truceline.sources.registry import Source, SourceRegistry
from truceline.store import open_store

NOW = datetime(2025, 9, 1, 12, 0, tzinfo=UTC)
KEY = generate_private_key()


def signed_source() -> Source:
    return Source(
        id="uav-signed",
        name="Signed UAV",
        operator="Mission",
        type="uav",
        public_key=public_key_pem(KEY),
    )


def observation(ref: str, lat: float) -> Observation:
    return Observation(
        source_id="uav-signed",
        source_ref=ref,
        observed_at=datetime(2025, 9, 1, 10, 0, tzinfo=UTC),
        received_at=NOW,
        lon=37.5,
        lat=lat,
        kind="explosion",
        attributes={"crew": 2},
    )


def feature(obs: Observation, signature: str | None) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "source_id": obs.source_id,
        "source_ref": obs.source_ref,
        "observed_at": "2025-09-01T10:00:00Z",
        "kind": obs.kind.value,
        "crew": 2,
    }
    if signature is not None:
        properties["signature"] = signature
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [obs.lon, obs.lat]},
        "properties": properties,
    }


def test_source_public_key_is_validated() -> None:
    with pytest.raises(ValueError, match="public key"):
        Source(id="s", name="s", operator="o", type="uav", public_key="nonsense")


def test_ingest_refuses_unsigned_and_tampered_rows_and_keeps_the_rest(tmp_path: Path) -> None:
    good = observation("good", 48.1)
    tampered = observation("tampered", 48.2)
    forged_sig = sign(canonical_observation_bytes(observation("tampered", 48.25)), KEY)
    other_key = sign(
        canonical_observation_bytes(observation("other", 48.3)), generate_private_key()
    )
    features = [
        feature(good, sign(canonical_observation_bytes(good), KEY)),
        feature(observation("unsigned", 48.4), None),
        feature(tampered, forged_sig),
        feature(observation("other", 48.3), other_key),
    ]
    path = tmp_path / "reports.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    registry = SourceRegistry([signed_source()])
    store = open_store(tmp_path / "store.sqlite")
    try:
        report = ingest_file(path, store, registry=registry, progress=False, received_at=NOW)
        assert (report.accepted, report.rejected) == (1, 3)
        assert {r.field for r in report.rejections} == {"signature"}
        reasons = {r.excerpt: r.reason for r in report.rejections}
        assert "missing" in reasons["unsigned"]
        assert "does not verify" in reasons["tampered"]
        assert "does not verify" in reasons["other"]
        stored = store.observations()
        assert [o.source_ref for o in stored] == ["good"]
        assert "signature" in stored[0].attributes
    finally:
        store.close()


def test_the_store_keeps_the_public_key_and_never_the_private_key(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    store = open_store(path)
    try:
        store.upsert_sources([signed_source()])
        (again,) = [s for s in store.sources() if s.id == "uav-signed"]
        assert again.public_key == public_key_pem(KEY).strip()
    finally:
        store.close()
    content = path.read_bytes()
    private = private_key_pem(KEY)
    body = "".join(line for line in private.splitlines() if not line.startswith("-----"))
    assert body.encode() not in content
    assert b"PRIVATE KEY" not in content
    raw = KEY.private_bytes_raw()
    assert raw not in content
