"""Helpers of the workflow tests (review, alerts, deconfliction): the people of a small
mission with their API tokens, a clock the tests move, and a clear breach to work on."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from service_support import ApiClient, api, row

from truceline.access.directory import Directory
from truceline.access.model import Organisation, User
from truceline.agreement.documents import agreement_document
from truceline.simulation.scenario import Scenario

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
"""The service's time at the start of each workflow test."""

ORGANISATIONS = [
    ("JCC", "Joint coordination cell", "lead"),
    ("FR", "France", "member"),
    ("UK", "United Kingdom", "member"),
    ("BLU", "Blue forces", "party"),
    ("RED", "Red forces", "party"),
]

PEOPLE = {
    "alice": ("JCC", {"analyst"}),
    "dan": ("JCC", {"analyst"}),
    "bob": ("JCC", {"reviewer"}),
    "carol": ("JCC", {"reviewer"}),
    "fr.liaison": ("FR", {"liaison"}),
    "uk.liaison": ("UK", {"liaison"}),
    "blu.rep": ("BLU", {"party"}),
    "red.rep": ("RED", {"party"}),
    "press": ("PUBLIC", {"public"}),
}


@dataclass
class Clock:
    """The service's clock, moved by the test."""

    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class Mission:
    """A client of a service over a copy of the filled store, with its people."""

    client: ApiClient
    clock: Clock
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, person: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[person]}"}

    def get(self, person: str, url: str, **kwargs: Any) -> Any:
        headers = {**self.headers(person), **kwargs.pop("headers", {})}
        return self.client.get(url, headers=headers, **kwargs)

    def post(self, person: str, url: str, **kwargs: Any) -> Any:
        headers = {**self.headers(person), **kwargs.pop("headers", {})}
        return self.client.post(url, headers=headers, **kwargs)

    def review(self, person: str, incident_id: str, action: str, **body: Any) -> Any:
        """POST a review action one second after the last one."""
        self.clock.advance(seconds=1)
        return self.post(
            person, f"/api/incidents/{incident_id}/review", json={"action": action, **body}
        )

    def clear_breaches(self) -> list[dict[str, Any]]:
        """The clear breaches under the version in force, by (incident start, id)."""
        response = self.client.get("/api/determinations?clear_breach=true&limit=1000")
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()["items"]
        assert found, "the simulated day should hold clear breaches"
        return found

    def sign_off(self, incident_id: str) -> dict[str, Any]:
        """Claim, confirm and two signatures: the answer to the second signature."""
        for person, action in (
            ("alice", "claim"),
            ("alice", "confirm"),
            ("bob", "sign"),
            ("carol", "sign"),
        ):
            response = self.review(person, incident_id, action)
            assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer


def copy_store(source: Path, target: Path) -> None:
    """Copy a SQLite store with its write-ahead log, if it has one."""
    for suffix in ("", "-wal"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", f"{target}{suffix}")


def ingest(client: ApiClient, scenario: Scenario) -> None:
    """Register the scenario's sources and agreement, submit its notices and observations."""
    for source in scenario.sources:
        response = client.post("/api/sources", json=source.model_dump(mode="json"))
        assert response.status_code in (200, 201), response.text
    response = client.post("/api/agreements", json=agreement_document(scenario.loaded))
    assert response.status_code == 201, response.text
    for notice in scenario.prenotifications:
        response = client.post("/api/prenotifications", json=notice.model_dump(mode="json"))
        assert response.status_code == 201, response.text
    rows = [row(o) for o in scenario.observations]
    response = client.post("/api/observations/batch", json={"observations": rows})
    assert response.status_code == 200, response.text
    assert response.json()["rejected"] == 0


def add_people(client: ApiClient) -> dict[str, str]:
    """Register the organisations and people, and make each one a token."""
    directory = Directory(client.app.state.service.store)
    for code, name, kind in ORGANISATIONS:
        directory.add_organisation(Organisation(id=code, name=name, kind=kind), now=NOW)
    tokens: dict[str, str] = {}
    for person, (organisation, roles) in PEOPLE.items():
        directory.add_user(
            User(id=person, organisation=organisation, display_name=person, roles=roles), now=NOW
        )
        tokens[person], _ = directory.create_token(person, now=NOW, expires_at=None)
    return tokens


@contextmanager
def mission(filled_store: Path, folder: Path, **settings: Any) -> Iterator[Mission]:
    """A service over a copy of the filled store, its people registered, its clock at NOW."""
    path = folder / "mission.sqlite"
    copy_store(filled_store, path)
    with api(path, create_store=False, **settings) as client:
        clock = Clock()
        client.app.state.workflow.clock = clock
        yield Mission(client=client, clock=clock, tokens=add_people(client))
