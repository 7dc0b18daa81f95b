"""What the service gives the dashboard besides the rest of the API: its static files, who
the caller is, and the theatre as GeoJSON — in-process, without a browser."""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import shapely
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import shape

import truceline.agreement
from truceline.access.directory import Directory
from truceline.access.model import Organisation, User
from truceline.agreement.loader import load_agreement
from truceline.geometry.theatre import Theatre
from truceline.service.app import create_app
from truceline.service.routes.web import WEB_ROOT, theatre_geojson
from truceline.service.settings import Settings, token_digest
from truceline.simulation.scenario import Scenario
from truceline.store import open_store

ADMIN = "dashboard-api-admin-token-0123"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "dashboard.md"


class Client:
    """A synchronous HTTP client of the application, in-process (httpx over ASGI)."""

    def __init__(self, app: FastAPI, portal: BlockingPortal) -> None:
        self._portal = portal
        transport = httpx.ASGITransport(app=app)
        self._client = httpx.AsyncClient(transport=transport, base_url="http://testserver")

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self._portal.call(lambda: self._client.get(url, **kwargs))

    def close(self) -> None:
        self._portal.call(self._client.aclose)


def client_of(path: Path) -> Iterator[Client]:
    settings = Settings(store=str(path), create_store=True, admin_token_sha256=token_digest(ADMIN))
    app = create_app(settings)
    try:
        with start_blocking_portal() as portal:
            client = Client(app, portal)
            try:
                yield client
            finally:
                client.close()
    finally:
        app.state.service.broker.close()
        app.state.service.store.close()


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory, day: Scenario) -> tuple[Path, str]:
    """A store with the day's agreement and one analyst; the analyst's token."""
    path = tmp_path_factory.mktemp("dashboard-api") / "api.sqlite"
    with open_store(path) as store:
        store.add_agreement(day.loaded)
        directory = Directory(store)
        directory.add_organisation(Organisation(id="JCC", name="Cell", kind="lead"), now=NOW)
        directory.add_user(
            User(id="ana", organisation="JCC", display_name="Ana", roles={"analyst"}), now=NOW
        )
        token, _ = directory.create_token("ana", now=NOW, expires_at=None)
    return path, token


@pytest.fixture(scope="module")
def client(store_path: tuple[Path, str]) -> Iterator[Client]:
    yield from client_of(store_path[0])


def auth(token: str = ADMIN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_error(answer: Any, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    assert set(body) == {"status", "code", "message", "errors"}
    assert body["status"] == status
    assert body["code"] == code, body
    return body


# static files


def test_the_root_leads_to_the_dashboard_served_with_a_strict_policy(client: Client) -> None:
    answer = client.get("/", follow_redirects=False)
    assert answer.status_code == 307
    assert answer.headers["location"] == "/app/"
    page = client.get("/app/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "connect-src 'self'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    # Nothing is loaded from another site, and there is no inline script.
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page.text)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text)
    for module in ("app.js", "api.js", "map.js", "vendor/maplibre-gl/maplibre-gl.mjs"):
        served = client.get(f"/app/{module}")
        assert served.status_code == 200, module
        assert served.headers["content-type"].startswith("text/javascript"), module
    assert client.get("/app/style.css").headers["content-type"].startswith("text/css")


def test_a_missing_file_is_a_canonical_404(client: Client) -> None:
    assert_error(client.get("/app/nothing-here.js"), 404, "not_found")


def test_the_vendored_files_are_those_the_readme_records() -> None:
    readme = (WEB_ROOT / "vendor" / "README.md").read_text()
    rows = re.findall(r"^\| `(maplibre-gl/[^`]+)` \| `[^`]+` \| `([0-9a-f]{64})` \|$", readme, re.M)
    assert len(rows) == 4
    for name, digest in rows:
        assert hashlib.sha256((WEB_ROOT / "vendor" / name).read_bytes()).hexdigest() == digest
    version = re.search(r"maplibre-gl@([0-9.]+)", readme)
    assert version is not None
    header = (WEB_ROOT / "vendor" / "maplibre-gl" / "maplibre-gl.mjs").read_text()[:300]
    assert f"v{version.group(1)}" in header


def test_every_module_the_dashboard_imports_is_shipped() -> None:
    for script in ("app.js", "api.js", "map.js"):
        text = (WEB_ROOT / script).read_text()
        for target in re.findall(r'from "(\./[^"]+)"', text):
            assert (WEB_ROOT / target).is_file(), f"{script} imports {target}"


# who am I


def test_me_names_the_caller_and_needs_a_token(
    client: Client, store_path: tuple[Path, str]
) -> None:
    assert client.get("/api/me", headers=auth()).json() == {
        "subject": "administrator",
        "organisation": "operator",
        "roles": ["administrator"],
        "reads_everything": True,
    }
    assert client.get("/api/me", headers=auth(store_path[1])).json() == {
        "subject": "ana",
        "organisation": "JCC",
        "roles": ["analyst"],
        "reads_everything": True,
    }
    assert_error(client.get("/api/me"), 401, "unauthorized")
    assert_error(
        client.get("/api/me", headers=auth("tl_0123456789abcdef_nope")), 401, "unauthorized"
    )


# the theatre


def test_the_theatre_of_the_agreement_in_force_is_the_latest_version(
    client: Client, day: Scenario
) -> None:
    agreement = day.loaded.agreement
    found = client.get("/api/theatre", headers=auth())
    assert found.status_code == 200, found.text
    body = found.json()
    assert body == client.get(f"/api/agreements/{agreement.id}/theatre", headers=auth()).json()
    named = f"/api/agreements/{agreement.id}/theatre?version={agreement.version}"
    assert body == client.get(named, headers=auth()).json()
    assert (body["type"], body["agreement_id"], body["agreement_version"]) == (
        "FeatureCollection",
        agreement.id,
        agreement.version,
    )
    kinds = [f["properties"]["kind"] for f in body["features"]]
    assert kinds.count("line") == 1
    assert kinds.count("held_area") == len(day.loaded.held_areas)
    assert kinds.count("exclusion") == len(agreement.zones.exclusions)
    zones = {f["properties"]["zone"] for f in body["features"] if f["properties"]["kind"] == "zone"}
    assert zones == {z for z in agreement.zone_ids if z not in day.loaded.exclusions}
    ids = [f["properties"]["id"] for f in body["features"]]
    assert len(ids) == len(set(ids))
    for feature in body["features"]:
        assert shape(feature["geometry"]).is_valid, feature["properties"]
    west, south, east, north = body["bbox"]
    assert west < east
    assert south < north


def test_the_theatre_refuses_what_does_not_exist(
    client: Client, day: Scenario, tmp_path: Path
) -> None:
    agreement = day.loaded.agreement.id
    body = assert_error(
        client.get("/api/agreements/nope/theatre", headers=auth()), 404, "not_found"
    )
    assert "GET /api/agreements" in body["message"]
    body = assert_error(
        client.get(f"/api/agreements/{agreement}/theatre?version=9", headers=auth()),
        404,
        "not_found",
    )
    assert "stored versions: 1" in body["message"]
    body = assert_error(
        client.get(f"/api/agreements/{agreement}/theatre?versoin=1", headers=auth()),
        422,
        "validation_failed",
    )
    assert body["errors"][0]["field"] == "versoin"
    assert_error(client.get("/api/theatre"), 401, "unauthorized")
    for empty in client_of(tmp_path / "empty.sqlite"):
        assert_error(empty.get("/api/theatre", headers=auth()), 409, "no_agreement")


Band = tuple[Any, int, float]
Drawn = tuple[Theatre, list[Band], tuple[float, float, float, float]]


@pytest.fixture(scope="module")
def drawn(day: Scenario) -> Drawn:
    """The theatre; each drawn band (its shape, its party's index, its width in metres);
    and the bands' bounds with a margin of 0.1°."""
    collection = theatre_geojson(day.loaded)
    parties = [p.code for p in day.loaded.agreement.parties]
    bands = []
    for feature in collection["features"]:
        p = feature["properties"]
        if p["kind"] == "zone":
            area = shape(feature["geometry"])
            shapely.prepare(area)
            bands.append((area, parties.index(p["party"]), p["width_km"] * 1000.0))
    west, south, east, north = shapely.union_all([b[0] for b in bands]).bounds
    return Theatre(day.loaded), bands, (west - 0.1, south - 0.1, east + 0.1, north + 0.1)


@settings(max_examples=150)
@given(u=st.floats(0, 1), v=st.floats(0, 1))
def test_a_drawn_band_holds_the_points_of_its_side_within_its_width(
    drawn: Drawn, u: float, v: float
) -> None:
    """Drawn for display, a band still agrees with the adjudication's own measure: a point
    farther than 1 % of the band's width plus 100 m from the band's edge is inside it
    exactly when it lies on the band's side within the band's width."""
    theatre, bands, (west, south, east, north) = drawn
    lon, lat = west + u * (east - west), south + v * (north - south)
    measured = theatre.measure([lon], [lat])
    side, distance = int(measured.side[0]), float(measured.distance_m[0])
    for area, party, width in bands:
        inside = bool(shapely.contains_xy(area, lon, lat))
        if inside != (side == party and distance <= width):
            # degrees to metres as if every degree were one of latitude: never too short
            edge_m = shapely.distance(area.boundary, shapely.Point(lon, lat)) * 111_320.0
            assert edge_m <= 0.01 * width + 100.0, (lon, lat, party, width, distance, edge_m)


def test_the_bands_of_the_real_line_of_contact_agree_with_the_adjudication(
    tmp_path: Path, shared_data: Path
) -> None:
    """The Minsk II template on the line of 1 September 2025 (about 1,500 km): the same
    agreement of drawn bands and measure, at 20,000 places around the bands."""
    examples = Path(truceline.agreement.__file__).parent / "examples"
    for example in examples.iterdir():
        shutil.copyfile(example, tmp_path / example.name)
    contact = shared_data / "contact_line"
    shutil.copyfile(
        contact / "line_of_contact_20250901.geojson", tmp_path / "line_of_contact.geojson"
    )
    shutil.copyfile(contact / "deepstate_occupied_20250901.geojson", tmp_path / "occupied.geojson")
    loaded = load_agreement(tmp_path / "minsk_ii_template.yaml")
    collection = theatre_geojson(loaded)
    theatre = Theatre(loaded)
    parties = [p.code for p in loaded.agreement.parties]
    bands = [
        (shape(f["geometry"]), parties.index(f["properties"]["party"]), f["properties"]["width_km"])
        for f in collection["features"]
        if f["properties"]["kind"] == "zone"
    ]
    assert {b[1] for b in bands} == {0, 1}
    west, south, east, north = shapely.union_all([b[0] for b in bands]).bounds
    rng = np.random.default_rng(1)
    lon = rng.uniform(west - 0.1, east + 0.1, 20_000)
    lat = rng.uniform(south - 0.1, north + 0.1, 20_000)
    measured = theatre.measure(lon, lat)
    for area, party, width_km in bands:
        width = width_km * 1000.0
        inside = shapely.contains_xy(area, lon, lat)
        exact = (measured.side == party) & (measured.distance_m <= width)
        wrong = np.flatnonzero(inside != exact)
        edge_m = shapely.distance(area.boundary, shapely.points(lon[wrong], lat[wrong])) * 111_320
        assert (edge_m <= 0.01 * width + 100.0).all(), (party, width_km, edge_m.max())


# the documentation


def test_the_documentation_names_only_endpoints_that_exist(client: Client) -> None:
    text = DOCS.read_text()
    paths = set(client.get("/api/openapi.json").json()["paths"])
    named = set(re.findall(r"`(?:GET |POST )?(/api/[a-z/{}_.]+)", text))
    assert {"/api/me", "/api/theatre", "/api/agreements/{id}/theatre"} <= named
    for path in named:
        pattern = re.sub(r"\{[^}]+\}", "{x}", path)
        assert any(re.sub(r"\{[^}]+\}", "{x}", p) == pattern for p in paths), path
