"""Path traversal and other tricks in evidence URIs: refused at the edge, by file ingest
and by the API, with the field named; the good records around them are kept."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_support import RECEIVED_AT, ApiClient, api, registry

from truceline.service.settings import Settings, token_digest
from truceline.sources.ingest import ingest_file
from truceline.store import open_store

TOKEN = "evidence-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
HOSTILE_URIS = [
    "../../etc/passwd",
    "/etc/passwd",
    "file:///etc/passwd",
    "https://example.org/a/../../secret",
    "https://example.org/a/%2e%2e/%2e%2e/secret",
    "https://example.org/a/%252e%252e/secret",
    "evidence/..\\..\\windows\\system32",
    "https://example.org/a\x00.jpg",
    "sha256:../../etc/passwd",
    "javascript:alert(1)",
]


@pytest.mark.parametrize("uri", HOSTILE_URIS)
def test_ingest_refuses_traversal(tmp_path: Path, uri: str) -> None:
    feed = tmp_path / "reports.csv"
    good = f"uav-1,r2,2025-09-01T10:00:00Z,37.5,48.1,explosion,https://example.org/b.jpg,{SHA}"
    feed.write_text(
        "source_id,source_ref,observed_at,lon,lat,kind,evidence_uri,evidence_sha256\n"
        f'uav-1,r1,2025-09-01T10:00:00Z,37.5,48.1,explosion,"{uri}",{SHA}\n{good}\n',
        encoding="utf-8",
    )
    store = open_store(tmp_path / "store.sqlite")
    try:
        report = ingest_file(
            feed, store, registry=registry(), progress=False, received_at=RECEIVED_AT
        )
        assert report.stored_new == 1
        assert report.rejected == 1
        [rejection] = report.rejections
        assert rejection.field is not None
        assert rejection.field.startswith("evidence")
        assert rejection.reason.strip()
    finally:
        store.close()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiClient]:
    path = tmp_path_factory.mktemp("api") / "store.sqlite"
    settings = Settings(store=str(path), create_store=True, admin_token_sha256=token_digest(TOKEN))
    with api(settings) as test_client:
        source = {"id": "uav-1", "name": "UAV", "operator": "Mission UAV wing", "type": "uav"}
        response = test_client.post("/api/sources", json=source, headers=AUTH)
        assert response.status_code in (200, 201), response.text
        yield test_client


@pytest.mark.parametrize("uri", HOSTILE_URIS)
def test_api_refuses_traversal(client: ApiClient, uri: str) -> None:
    row = {
        "source_id": "uav-1",
        "source_ref": f"ref-{HOSTILE_URIS.index(uri)}",
        "observed_at": "2025-09-01T10:00:00Z",
        "lon": 37.5,
        "lat": 48.1,
        "kind": "explosion",
        "evidence": [{"uri": uri, "sha256": SHA}],
    }
    response = client.post("/api/observations", json=row, headers=AUTH)
    assert response.status_code in (400, 422), response.text
    body = response.json()
    assert body["message"].strip()
    assert any(p["field"].startswith("evidence") for p in body["errors"]), body
