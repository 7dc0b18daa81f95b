"""Agreement versions: submitted whole or as amendments, never changed once stored."""

from __future__ import annotations

import copy
from typing import Any

from service_support import ApiClient, assert_error

from truceline.agreement.documents import agreement_digest, agreement_document
from truceline.simulation.scenario import Scenario


def _document(client: ApiClient, agreement_id: str, version: int) -> dict[str, Any]:
    answer = client.get(f"/api/agreements/{agreement_id}/versions/{version}")
    assert answer.status_code == 200, answer.text
    document: dict[str, Any] = answer.json()["document"]
    return document


def test_a_stored_version_reads_back_and_resubmits_as_already_stored(
    registered: ApiClient, scenario: Scenario
) -> None:
    loaded = scenario.loaded
    answer = registered.get(f"/api/agreements/{loaded.agreement.id}/versions/1").json()
    assert answer["digest"] == agreement_digest(loaded)
    assert answer["document"] == agreement_document(loaded)
    again = registered.post("/api/agreements", json=answer["document"])
    assert again.status_code == 200
    assert again.json()["status"] == "already_stored"


def test_a_version_is_never_changed(registered: ApiClient, scenario: Scenario) -> None:
    agreement_id = scenario.loaded.agreement.id
    document = _document(registered, agreement_id, 1)
    changed = copy.deepcopy(document)
    changed["agreement"]["title"] = "Another title"
    body = assert_error(registered.post("/api/agreements", json=changed), 409, "version_exists")
    assert "submit version 2" in body["message"]


def test_an_amendment_makes_the_next_version_and_new_incidents_are_judged_under_it(
    registered: ApiClient, scenario: Scenario
) -> None:
    agreement_id = scenario.loaded.agreement.id
    old = _document(registered, agreement_id, 1)["agreement"]
    threshold = {**old["clear_breach"], "min_independent_sources": 1}
    answer = registered.post(
        f"/api/agreements/{agreement_id}/amendments",
        json={
            "changes": {"clear_breach": threshold},
            "note": "one independent source suffices",
            "effective_from": "2030-01-01T00:00:00Z",
        },
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["version"] == 2
    info = registered.get(f"/api/agreements/{agreement_id}").json()
    assert info["latest_version"] == 2
    new = _document(registered, agreement_id, 2)
    assert new["agreement"]["amends"] == 1
    assert new["agreement"]["clear_breach"]["min_independent_sources"] == 1
    assert new["geometry"] == _document(registered, agreement_id, 1)["geometry"]

    older = copy.deepcopy(old)
    older["title"] = "late"
    stale = {**_document(registered, agreement_id, 1), "agreement": older}
    stale["agreement"]["version"] = 1
    assert_error(registered.post("/api/agreements", json=stale), 409)


def test_an_amendment_cannot_name_files_of_the_server(
    registered: ApiClient, scenario: Scenario
) -> None:
    agreement_id = scenario.loaded.agreement.id
    line = {**_document(registered, agreement_id, 1)["agreement"]["line"], "file": "/etc/passwd"}
    body = assert_error(
        registered.post(
            f"/api/agreements/{agreement_id}/amendments",
            json={"changes": {"line": line}, "note": "n", "effective_from": "2030-01-01T00:00Z"},
        ),
        422,
        "geometry_change",
    )
    assert body["errors"][0]["field"] == "changes"
    forbidden = assert_error(
        registered.post(
            f"/api/agreements/{agreement_id}/amendments",
            json={"changes": {"version": 7}, "note": "n", "effective_from": "2030-01-01T00:00Z"},
        ),
        422,
    )
    assert forbidden["errors"][0]["field"] == "changes.version"
    assert registered.get(f"/api/agreements/{agreement_id}").json()["latest_version"] == 1


def test_a_bad_agreement_is_refused_with_what_is_wrong(
    registered: ApiClient, scenario: Scenario
) -> None:
    document = _document(registered, scenario.loaded.agreement.id, 1)
    bad = copy.deepcopy(document)
    bad["agreement"]["version"] = 2
    bad["agreement"]["parties"][0]["code"] = "lower"
    body = assert_error(registered.post("/api/agreements", json=bad), 422, "validation_failed")
    assert any(p["field"] == "agreement.parties[0].code" for p in body["errors"])

    no_line = copy.deepcopy(document)
    no_line["agreement"]["version"] = 2
    no_line["geometry"]["line"] = {"type": "Point", "coordinates": [30, 48]}
    body = assert_error(registered.post("/api/agreements", json=no_line), 422, "invalid_agreement")
    assert "geometry.line" in body["message"]
    assert registered.get("/api/agreements").json()[0]["latest_version"] == 1
