"""Processing through the service gives what the command line's pipeline gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from service_support import ApiClient, api, assert_error, row
from tests.service.conftest import register

from truceline.agreement.documents import agreement_document
from truceline.pipeline import run_all
from truceline.service.feed import EventType, InProcessBroker
from truceline.simulation.scenario import Scenario
from truceline.store import open_store


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory, scenario: Scenario) -> list[dict[str, Any]]:
    """The determinations `truceline run` makes of the scenario."""
    path = tmp_path_factory.mktemp("cli") / "cli.sqlite"
    with open_store(path) as store:
        store.upsert_sources(scenario.sources)
        store.add_observations(scenario.observations)
        for notice in scenario.prenotifications:
            store.add_prenotification(notice)
        run_all(store, scenario.loaded)
        return [d.model_dump(mode="json") for d in store.determinations()]


def _stored(client: ApiClient) -> list[dict[str, Any]]:
    items = client.get("/api/determinations?limit=1000&all_versions=true").json()["items"]
    for item in items:
        for key in ("start", "end", "lon", "lat", "releasability"):
            del item[key]
    return sorted(items, key=lambda d: d["id"])


def _notices(client: ApiClient, scenario: Scenario) -> None:
    for notice in scenario.prenotifications:
        assert client.post("/api/prenotifications", json=notice.model_dump(mode="json")).is_success


def test_batches_processed_as_they_come_give_the_pipelines_determinations(
    tmp_path: Path, scenario: Scenario, expected: list[dict[str, Any]]
) -> None:
    rows = [row(o) for o in scenario.observations]
    with api(tmp_path / "auto.sqlite") as client:
        register(client, scenario)
        _notices(client, scenario)
        for start in range(0, len(rows), 70):
            answer = client.post(
                "/api/observations/batch", json={"observations": rows[start : start + 70]}
            )
            assert answer.json()["processing"]["observations"] == len(rows[start : start + 70])
        assert _stored(client) == sorted(expected, key=lambda d: d["id"])
        broker = client.app.state.service.broker
        assert isinstance(broker, InProcessBroker)
        # The feed, applied in order, gives what the store holds.
        state: dict[str, dict[str, Any]] = {}
        alerts = set()
        for event in broker.kept():
            if event.type == EventType.DETERMINATION:
                state[event.data["id"]] = dict(event.data)
            elif event.type == EventType.WITHDRAWN:
                state.pop(event.data["id"])
            elif event.type == EventType.ALERT:
                alerts.add(event.data["id"])
        final = client.get("/api/determinations?limit=1000").json()["items"]
        assert sorted(state.values(), key=lambda d: d["id"]) == sorted(final, key=lambda d: d["id"])
        assert {d["id"] for d in final if d["clear_breach"]} <= alerts


def test_without_automatic_processing_the_trigger_does_it_and_survives_a_restart(
    tmp_path: Path, scenario: Scenario, expected: list[dict[str, Any]]
) -> None:
    path = tmp_path / "manual.sqlite"
    rows = [row(o) for o in scenario.observations]
    with api(path, auto_process=False) as client:
        register(client, scenario)
        _notices(client, scenario)
        answer = client.post("/api/observations/batch", json={"observations": rows}).json()
        assert answer["processing"] is None
        assert client.get("/api/incidents").json()["items"] == []
    # A new process finds from the store what is not processed yet.
    with api(path, auto_process=False, create_store=False) as client:
        report = client.post("/api/process").json()
        assert report["observations"] == len(rows)
        assert report["judged"] == report["changed"] == len(expected)
        assert report["alerts"] == sum(d["clear_breach"] for d in expected)
        assert _stored(client) == sorted(expected, key=lambda d: d["id"])
        again = client.post("/api/process", json={"scope": "new"}).json()
        assert (again["observations"], again["judged"], again["changed"]) == (0, 0, 0)
        everything = client.post("/api/process", json={"scope": "all"}).json()
        assert everything["judged"] == len(expected)
        assert everything["changed"] == 0


def test_observations_before_any_agreement_wait_for_it(tmp_path: Path, scenario: Scenario) -> None:
    with api(tmp_path / "early.sqlite") as client:
        for source in scenario.sources:
            client.post("/api/sources", json=source.model_dump(mode="json"))
        rows = [row(o) for o in scenario.observations[:20]]
        report = client.post("/api/observations/batch", json={"observations": rows}).json()
        assert report["processing"]["waiting_for_agreement"] is True
        assert report["processing"]["judged"] == 0
        assert client.get("/api/incidents").json()["items"]
        assert client.get("/api/determinations").json()["items"] == []
        register(client, scenario)
        report = client.post("/api/process").json()
        assert report["waiting_for_agreement"] is False
        assert report["judged"] == len(client.get("/api/incidents?limit=1000").json()["items"])


def test_with_several_agreements_the_one_in_force_must_be_named(
    tmp_path: Path, scenario: Scenario
) -> None:
    path = tmp_path / "two.sqlite"
    other = agreement_document(scenario.loaded)
    other["agreement"]["id"] = "other-ceasefire"
    with api(path) as client:
        register(client, scenario)
        assert client.post("/api/agreements", json=other).status_code == 201
        rows = [row(o) for o in scenario.observations[:30]]
        report = client.post("/api/observations/batch", json={"observations": rows}).json()
        assert report["stored"] == 30
        assert report["processing"]["waiting_for_agreement"] is True
        body = assert_error(client.get("/api/determinations"), 409, "several_agreements")
        assert "--agreement-id" in body["message"]
    with api(path, create_store=False, agreement_id="other-ceasefire") as client:
        report = client.post("/api/process").json()
        assert report["agreement_id"] == "other-ceasefire"
        listed = client.get("/api/determinations?limit=1000").json()["items"]
        assert listed
        assert {d["agreement_id"] for d in listed} == {"other-ceasefire"}
