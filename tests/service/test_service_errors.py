"""Bad requests get a 4xx and the one canonical error body, never a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from service_support import AUTH, ApiClient, api, assert_error

from truceline.service.auth import Principal, Role, current_principal
from truceline.service.errors import ErrorBody


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiClient]:
    path = tmp_path_factory.mktemp("errors") / "errors.sqlite"
    with api(path, max_body_bytes=4096) as made:
        yield made


def test_malformed_json_is_400_invalid_json(client: ApiClient) -> None:
    response = client.post(
        "/api/observations",
        content=b'{"source_id": "x",',
        headers={"content-type": "application/json"},
    )
    body = assert_error(response, 400, "invalid_json")
    assert "not valid JSON" in body["message"]


def test_wrong_types_name_each_field(client: ApiClient) -> None:
    response = client.post("/api/observations", json={"source_id": 5, "lon": [1], "lat": True})
    body = assert_error(response, 422, "validation_failed")
    fields = {p["field"] for p in body["errors"]}
    assert {"source_id", "lon", "lat", "source_ref", "observed_at", "kind"} <= fields
    assert ErrorBody.model_validate(body).status == 422


def test_a_json_array_where_an_object_is_expected(client: ApiClient) -> None:
    body = assert_error(client.post("/api/observations/batch", json=[1, 2]), 422)
    assert body["errors"][0]["location"] == "body"


def test_unknown_fields_are_refused(client: ApiClient) -> None:
    body = assert_error(client.post("/api/process", json={"scope": "new", "force": True}), 422)
    assert [(p["field"], p["location"]) for p in body["errors"]] == [("force", "body")]


def test_unknown_query_parameters_are_refused(client: ApiClient) -> None:
    body = assert_error(client.get("/api/determinations?stauts=clear_breach"), 422)
    assert body["errors"] == [
        {"location": "query", "field": "stauts", "reason": "is not a known parameter"}
    ]
    assert "status" in body["message"]


def test_bad_query_values_name_the_parameter(client: ApiClient) -> None:
    cases = {
        "/api/incidents?bbox=1,2,3": "bbox",
        "/api/incidents?bbox=10,0,5,1": "bbox",
        "/api/incidents?start=2025-09-01T00:00:00": "start",
        "/api/incidents?start=2025-09-02T00:00:00Z&end=2025-09-01T00:00:00Z": "start",
        "/api/incidents?limit=0": "limit",
        "/api/incidents?limit=100000": "limit",
        "/api/incidents?cursor=not-a-cursor": "cursor",
        "/api/incidents?cursor=WzEsImEiXQ&offset=3": "cursor",
        "/api/determinations?status=awful": "status",
        "/api/determinations?min_confidence=2": "min_confidence",
    }
    for url, field in cases.items():
        body = assert_error(client.get(url), 422)
        assert field in [p["field"] for p in body["errors"]], (url, body)


def test_a_body_over_the_limit_is_413(client: ApiClient) -> None:
    big = {"observations": [{"source_id": "x" * 100}] * 100}
    body = assert_error(client.post("/api/observations/batch", json=big), 413, "payload_too_large")
    assert "4096 bytes" in body["message"]


def test_a_streamed_body_over_the_limit_is_413(client: ApiClient) -> None:
    async def chunks() -> object:
        for _ in range(20):
            yield b" " * 1000

    response = client.post(
        "/api/observations/batch",
        content=chunks(),
        headers={"content-type": "application/json"},
    )
    assert_error(response, 413, "payload_too_large")


def test_invalid_geometry_is_refused_with_the_field(
    registered: ApiClient,
) -> None:
    notice = {
        "party": "BLUE",
        "activity": "x",
        "area": {"type": "Polygon", "coordinates": [[[0, 0], [500, 1], [0, 1], [0, 0]]]},
        "starts_at": "2030-01-01T00:00:00Z",
        "ends_at": "2030-01-01T06:00:00Z",
    }
    agreement = registered.get("/api/agreements").json()[0]
    document = registered.get(
        f"/api/agreements/{agreement['id']}/versions/{agreement['latest_version']}"
    ).json()["document"]
    notice["party"] = document["agreement"]["parties"][0]["code"]
    notice["activity"] = document["agreement"]["permitted_activities"][0]["code"]
    out_of_range = assert_error(registered.post("/api/prenotifications", json=notice), 422)
    assert "longitude" in out_of_range["message"]
    point = {**notice, "area": {"type": "Point", "coordinates": [0, 0]}}
    flat = {
        **notice,
        "area": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [2, 0], [0, 0]]]},
    }
    for body in (
        out_of_range,
        assert_error(registered.post("/api/prenotifications", json=point), 422),
        assert_error(registered.post("/api/prenotifications", json=flat), 422),
    ):
        assert [p["field"] for p in body["errors"]] == ["area"]


def test_no_token_or_a_wrong_token_is_401(client: ApiClient) -> None:
    missing = client.get("/api/incidents", auth=False)
    body = assert_error(missing, 401, "unauthorized")
    assert missing.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer" in body["message"]
    wrong = client.get("/api/incidents", auth=False, headers={"Authorization": "Bearer nope"})
    assert_error(wrong, 401, "unauthorized")
    assert client.get("/api/health", auth=False).status_code == 200


def test_a_principal_without_the_role_gets_403(tmp_path: Path) -> None:
    public = Principal(subject="reader", organisation="press", roles=frozenset({Role.PUBLIC}))
    with api(tmp_path / "roles.sqlite") as client:
        client.app.dependency_overrides[current_principal] = lambda: public
        assert client.get("/api/sources").status_code == 200
        body = assert_error(client.post("/api/process", json={}), 403, "forbidden")
        assert "analyst" in body["message"]
        assert_error(client.post("/api/sources", json={}), 403, "forbidden")


def test_unknown_paths_methods_and_objects(client: ApiClient) -> None:
    assert_error(client.get("/api/nothing-here"), 404, "not_found")
    assert_error(client.request("DELETE", "/api/incidents"), 405, "method_not_allowed")
    for url in (
        "/api/incidents/inc-0",
        "/api/determinations/det-0",
        "/api/observations/obs-0",
        "/api/agreements/none",
        "/api/agreements/none/versions/1",
    ):
        body = assert_error(client.get(url), 404, "not_found")
        assert "GET /api/" in body["message"]


def test_the_error_shape_is_in_the_openapi_document(client: ApiClient) -> None:
    document = client.get("/api/openapi.json", auth=False).json()
    schema = document["components"]["schemas"]["ErrorBody"]
    assert set(schema["properties"]) == {"status", "code", "message", "errors"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if path == "/api/health":
                continue
            assert "422" in operation["responses"] or method == "get", (path, method)
            assert "401" in operation["responses"], (path, method)


def test_the_header_token_is_the_only_way_in(client: ApiClient) -> None:
    assert AUTH["Authorization"].startswith("Bearer ")
    response = client.get("/api/incidents?access_token=x", auth=False)
    assert response.status_code in (401, 422)
