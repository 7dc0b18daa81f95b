"""Submitting observations: one or a batch, idempotent, every bad row reported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from service_support import ApiClient, assert_error, row

from truceline.observations.model import observation_id
from truceline.simulation.scenario import Scenario


def _valid(scenario: Scenario, i: int = 0) -> dict[str, Any]:
    return row(scenario.observations[i])


def test_one_observation_is_stored_once_and_the_second_answer_says_so(
    registered: ApiClient, scenario: Scenario
) -> None:
    body = _valid(scenario)
    first = registered.post("/api/observations", json=body)
    assert first.status_code == 201, first.text
    answer = first.json()
    assert answer["status"] == "stored"
    assert answer["id"] == observation_id(body["source_id"], body["source_ref"])
    assert answer["processing"]["observations"] == 1
    assert answer["processing"]["judged"] == 1

    again = registered.post("/api/observations", json=body)
    assert again.status_code == 200
    assert again.json() == {"id": answer["id"], "status": "already_stored", "processing": None}

    stored = registered.get(f"/api/observations/{answer['id']}")
    assert stored.status_code == 200
    assert stored.json()["source_ref"] == body["source_ref"]
    listed = registered.get("/api/observations").json()
    assert [o["id"] for o in listed["items"]] == [answer["id"]]


def test_a_batch_keeps_the_good_rows_and_reports_each_bad_one(
    registered: ApiClient, scenario: Scenario
) -> None:
    good = [_valid(scenario, i) for i in range(5)]
    bad_lon = {**_valid(scenario, 5), "lon": 200}
    unknown_source = {**_valid(scenario, 6), "source_id": "nobody"}
    naive_time = {**_valid(scenario, 7), "observed_at": "2025-09-01T10:00:00"}
    unknown_field = {**_valid(scenario, 8), "colour": "red"}
    future = {
        **_valid(scenario, 9),
        "observed_at": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
    }
    rows = [
        *good[:2],
        bad_lon,
        *good[2:],
        unknown_source,
        naive_time,
        "text",
        unknown_field,
        future,
        good[0],
    ]
    response = registered.post("/api/observations/batch", json={"observations": rows})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["received"] == len(rows)
    assert answer["stored"] == 5
    assert answer["already_stored"] == 1  # the repeated first row
    assert answer["rejected"] == 6
    by_index = {r["index"]: (r["field"], r["reason"]) for r in answer["rejections"]}
    assert by_index[2][0] == "lon"
    assert "less than or equal to 180" in by_index[2][1]
    assert by_index[6][0] == "source_id"
    assert "register it first" in by_index[6][1]
    assert by_index[7][0] == "observed_at"
    assert "time zone" in by_index[7][1]
    assert by_index[8] == (None, "must be a JSON object (got 'text')")
    assert by_index[9][0] == "colour"
    assert "not a known field" in by_index[9][1]
    assert by_index[10][0] == "observed_at"
    assert "after the time of reception" in by_index[10][1]
    results = {r["index"]: r["status"] for r in answer["results"]}
    assert results == {
        0: "stored",
        1: "stored",
        3: "stored",
        4: "stored",
        5: "stored",
        11: "already_stored",
    }
    # every row is accounted for exactly once
    assert sorted([*results, *by_index]) == list(range(len(rows)))
    assert answer["processing"]["observations"] == 5

    again = registered.post("/api/observations/batch", json={"observations": good}).json()
    assert again["stored"] == 0
    assert again["already_stored"] == 5
    assert again["processing"] is None


def test_a_bad_single_observation_is_refused_with_every_field(
    registered: ApiClient, scenario: Scenario
) -> None:
    body = {**_valid(scenario), "lat": "north", "kind": "meteor"}
    error = assert_error(registered.post("/api/observations", json=body), 422, "validation_failed")
    fields = {p["field"] for p in error["errors"]}
    assert fields == {"lat", "kind"}
    assert all(p["location"] == "body" for p in error["errors"])
    assert registered.get("/api/observations").json()["items"] == []


def test_the_grade_defaults_to_the_sources(registered: ApiClient, scenario: Scenario) -> None:
    body = _valid(scenario)
    del body["reliability"], body["credibility"]
    made = registered.post("/api/observations", json=body).json()
    stored = registered.get(f"/api/observations/{made['id']}").json()
    source = next(s for s in scenario.sources if s.id == body["source_id"])
    assert stored["reliability"] == source.reliability.value
    assert stored["credibility"] == source.credibility.value


def test_a_batch_over_the_row_limit_is_refused(tmp_path: Any, scenario: Scenario) -> None:
    from service_support import api

    with api(tmp_path / "small.sqlite", max_batch_rows=3, auto_process=False) as client:
        rows = [_valid(scenario, i) for i in range(4)]
        error = assert_error(
            client.post("/api/observations/batch", json={"observations": rows}),
            413,
            "batch_too_large",
        )
        assert error["errors"][0]["field"] == "observations"
