"""Signed submissions through the API: per-row refusal with field `signature`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from anyio.from_thread import start_blocking_portal

from truceline.ledger.signing import (
    canonical_observation_bytes,
    generate_private_key,
    public_key_pem,
    sign,
)
from truceline.observations.model import Observation
from truceline.service.app import create_app
from truceline.service.settings import Settings, token_digest

TOKEN = "ledger-test-token-0123456789"
KEY = generate_private_key()


class Client:
    def __init__(self, call: Any, client: httpx.AsyncClient) -> None:
        self._call = call
        self._client = client

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {TOKEN}", **kwargs.pop("headers", {})}
        return self._call(lambda: self._client.post(url, headers=headers, **kwargs))  # type: ignore[no-any-return]

    def get(self, url: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        return self._call(lambda: self._client.get(url, headers=headers))  # type: ignore[no-any-return]


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    monkeypatch.setenv("TRUCELINE_EVIDENCE_DIR", str(tmp_path / "evidence"))
    settings = Settings(
        store=str(tmp_path / "api.sqlite"),
        create_store=True,
        admin_token_sha256=token_digest(TOKEN),
        auto_process=False,
    )
    app = create_app(settings)
    try:
        with start_blocking_portal() as portal:
            transport = httpx.ASGITransport(app=app)
            http = httpx.AsyncClient(transport=transport, base_url="http://testserver")
            try:
                yield Client(portal.call, http)
            finally:
                portal.call(http.aclose)
    finally:
        app.state.service.broker.close()
        app.state.service.store.close()


def row(ref: str, lat: float, signature: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "source_id": "uav-signed",
        "source_ref": ref,
        "observed_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "lon": 37.5,
        "lat": lat,
        "kind": "explosion",
    }
    if signature is not None:
        body["signature"] = signature
    return body


def signed(body: dict[str, Any], lat: float | None = None) -> str:
    values = {**body, "received_at": datetime.now(UTC)}
    values.pop("signature", None)
    if lat is not None:
        values["lat"] = lat
    return sign(canonical_observation_bytes(Observation.model_validate(values)), KEY)


def test_api_batch_refuses_bad_signatures_row_by_row(client: Client) -> None:
    source = {
        "id": "uav-signed",
        "name": "Signed UAV",
        "operator": "Mission",
        "type": "uav",
        "public_key": public_key_pem(KEY),
    }
    answer = client.post("/api/sources", json=source)
    assert answer.status_code in (200, 201), answer.text
    good = row("good", 48.1, None)
    good["signature"] = signed(good)
    tampered = row("tampered", 48.2, None)
    tampered["signature"] = signed(tampered, lat=48.3)
    rows = [good, row("unsigned", 48.4, None), tampered, row("junk", 48.5, "%%%")]
    answer = client.post("/api/observations/batch", json={"observations": rows})
    assert answer.status_code in (200, 201), answer.text
    body = answer.json()
    assert [r["index"] for r in body["results"]] == [0]
    refused = {r["index"]: r for r in body["rejections"]}
    assert sorted(refused) == [1, 2, 3]
    assert {r["field"] for r in refused.values()} == {"signature"}
    assert "missing" in refused[1]["reason"]
    assert "does not verify" in refused[2]["reason"]


def test_api_refuses_traversal_in_evidence_uri(client: Client) -> None:
    body = row("evil", 48.1, None)
    body["source_id"] = "firms-modis"
    body["evidence"] = [{"uri": "../../etc/passwd", "sha256": "ab" * 32}]
    answer = client.post("/api/observations", json=body)
    assert answer.status_code == 422, answer.text
    fields = [e["field"] for e in answer.json()["errors"]]
    assert fields == ["evidence[0].uri"]


def test_api_evidence_upload_and_fetch(client: Client) -> None:
    data = b"\x89PNG fake image bytes"
    answer = client.post(
        "/api/evidence", content=data, headers={"Content-Type": "application/octet-stream"}
    )
    assert answer.status_code == 201, answer.text
    sha256 = answer.json()["sha256"]
    assert answer.json()["uri"] == f"sha256:{sha256}"
    again = client.post("/api/evidence", content=data)
    assert again.json()["sha256"] == sha256
    fetched = client.get(f"/api/evidence/{sha256}")
    assert fetched.status_code == 200
    assert fetched.content == data
    assert client.get(f"/api/evidence/{'0' * 64}").status_code == 404
    assert client.get("/api/evidence/..%2F..%2Fetc").status_code in (404, 422)
