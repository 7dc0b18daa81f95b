"""Fixtures of the service tests: a simulated theatre, and stores the API filled."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from service_support import ApiClient, api, row

from truceline.agreement.documents import agreement_document
from truceline.simulation.scenario import Scenario, simulate
from truceline.simulation.theatre import generate_theatre


@pytest.fixture(scope="session")
def scenario() -> Scenario:
    """One simulated day of a generated theatre: about 280 observations from 40 sources."""
    return simulate(generate_theatre(3), days=1, seed=3)


def register(client: ApiClient, scenario: Scenario) -> None:
    """Register the scenario's sources and agreement through the API."""
    for source in scenario.sources:
        response = client.post("/api/sources", json=source.model_dump(mode="json"))
        assert response.status_code in (200, 201), response.text
    response = client.post("/api/agreements", json=agreement_document(scenario.loaded))
    assert response.status_code in (200, 201), response.text


def submit_all(client: ApiClient, scenario: Scenario) -> None:
    """Submit the scenario's pre-notifications and observations through the API."""
    for notice in scenario.prenotifications:
        body = notice.model_dump(mode="json")
        response = client.post("/api/prenotifications", json=body)
        assert response.status_code == 201, response.text
    rows = [row(o) for o in scenario.observations]
    response = client.post("/api/observations/batch", json={"observations": rows})
    assert response.status_code == 200, response.text
    assert response.json()["rejected"] == 0


def copy_store(source: Path, target: Path) -> None:
    """Copy a SQLite store with its write-ahead log, if it has one."""
    for suffix in ("", "-wal"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", f"{target}{suffix}")


@pytest.fixture(scope="session")
def filled_store(tmp_path_factory: pytest.TempPathFactory, scenario: Scenario) -> Path:
    """A store the API filled with the scenario and processed; copy it before changing it."""
    path = tmp_path_factory.mktemp("filled") / "filled.sqlite"
    with api(path) as client:
        register(client, scenario)
        submit_all(client, scenario)
    return path


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory, filled_store: Path) -> Iterator[ApiClient]:
    """A client of the filled store, for tests that only read."""
    path = tmp_path_factory.mktemp("read") / "read.sqlite"
    copy_store(filled_store, path)
    with api(path, create_store=False) as client:
        yield client


@pytest.fixture
def registered(tmp_path: Path, scenario: Scenario) -> Iterator[ApiClient]:
    """A client of a new store holding the scenario's sources and agreement, nothing else."""
    with api(tmp_path / "new.sqlite") as client:
        register(client, scenario)
        yield client
