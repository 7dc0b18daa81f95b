"""Builders of the access tests: organisations and users of every kind, one observation,
incident and determination per marking, and an in-process client of the service."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI

from truceline.access.directory import Directory
from truceline.access.model import Organisation, OrganisationKind, Role, User
from truceline.adjudication.determination import Determination, Status
from truceline.agreement.model import Severity
from truceline.fusion.incident import Incident
from truceline.observations.model import Domain, Kind, Observation
from truceline.service.app import create_app
from truceline.service.settings import Settings
from truceline.store import Store

T0 = datetime(2025, 9, 1, tzinfo=UTC)
NOW = datetime(2025, 9, 2, tzinfo=UTC)

ORGANISATIONS = (
    Organisation(id="JCC", name="Joint Coordination Cell", kind=OrganisationKind.LEAD),
    Organisation(id="FR", name="France", kind=OrganisationKind.MEMBER),
    Organisation(id="UK", name="United Kingdom", kind=OrganisationKind.MEMBER),
    Organisation(id="UA", name="Ukraine", kind=OrganisationKind.PARTY),
    Organisation(id="RU", name="Russia", kind=OrganisationKind.PARTY),
)
"""Besides PUBLIC, which every store has."""

USERS = (
    User(id="analyst", organisation="JCC", display_name="A", roles=frozenset({Role.ANALYST})),
    User(id="reviewer", organisation="JCC", display_name="R", roles=frozenset({Role.REVIEWER})),
    User(id="admin", organisation="JCC", display_name="Ad", roles=frozenset({Role.ADMINISTRATOR})),
    User(id="liaison-fr", organisation="FR", display_name="F", roles=frozenset({Role.LIAISON})),
    User(id="liaison-uk", organisation="UK", display_name="U", roles=frozenset({Role.LIAISON})),
    User(id="party-ua", organisation="UA", display_name="P", roles=frozenset({Role.PARTY})),
    User(id="party-ru", organisation="RU", display_name="Q", roles=frozenset({Role.PARTY})),
    User(id="press", organisation="PUBLIC", display_name="X", roles=frozenset({Role.PUBLIC})),
)
"""One user of every role; the cell's three roles read alike, the others by organisation."""

CELL_USERS = frozenset({"analyst", "reviewer", "admin"})

MARKINGS = (
    "public",
    "cell",
    "cell+members",
    "cell+members:FR",
    "cell+members:UK",
    "cell+parties",
    "cell+parties:UA",
    "cell+members:FR+parties:RU",
)

READERS: dict[str, frozenset[str]] = {
    "public": frozenset(u.id for u in USERS),
    "cell": CELL_USERS,
    "cell+members": CELL_USERS | {"liaison-fr", "liaison-uk"},
    "cell+members:FR": CELL_USERS | {"liaison-fr"},
    "cell+members:UK": CELL_USERS | {"liaison-uk"},
    "cell+parties": CELL_USERS | {"party-ua", "party-ru"},
    "cell+parties:UA": CELL_USERS | {"party-ua"},
    "cell+members:FR+parties:RU": CELL_USERS | {"liaison-fr", "party-ru"},
}
"""Who may read each marking, written out by hand (not computed by the code under test)."""


def observation(i: int, marking: str, **fields: Any) -> Observation:
    values: dict[str, Any] = {
        "source_id": "firms-viirs-noaa20",
        "source_ref": f"ref-{i}",
        "observed_at": T0 + timedelta(minutes=i),
        "received_at": T0 + timedelta(minutes=i, seconds=30),
        "lon": 37.0 + i * 0.01,
        "lat": 48.0,
        "kind": Kind.EXPLOSION,
        "releasability": marking,
    }
    values.update(fields)
    return Observation(**values)


def incident(name: str, observation_ids: tuple[str, ...], minute: int) -> Incident:
    return Incident(
        id=f"inc-{name}",
        observation_ids=tuple(sorted(observation_ids)),
        lon=37.0 + minute * 0.01,
        lat=48.0,
        location_uncertainty_m=500.0,
        start=T0 + timedelta(minutes=minute),
        end=T0 + timedelta(minutes=minute + 1),
        domain=Domain.LAND,
        primary_kind=Kind.EXPLOSION,
        kinds=(Kind.EXPLOSION,),
        source_ids=("firms-viirs-noaa20",),
        independent_sources=1,
        confidence=0.5,
    )


def determination(incident_id: str, **fields: Any) -> Determination:
    values: dict[str, Any] = {
        "id": f"det-{incident_id}",
        "incident_id": incident_id,
        "agreement_id": "test",
        "agreement_version": 1,
        "side": "UA",
        "distance_to_line_m": 1200.0,
        "signed_distance_m": 1200.0,
        "zones": ("buffer",),
        "rules": ("CV-FIRE",),
        "attributed_to": "RU",
        "attribution_basis": "fire came from the east",
        "severity": Severity.HIGH,
        "confidence": 0.95,
        "independent_sources": 2,
        "clear_breach": True,
        "status": Status.CLEAR_BREACH,
        "explanation": "An explosion 1.2 km from the line.",
    }
    values.update(fields)
    return Determination(**values)


@dataclass(frozen=True)
class Marked:
    """The ids of what was stored under one marking."""

    marking: str
    observation: str
    incident: str
    determination: str


def fill(store: Store) -> dict[str, Marked]:
    """One observation, incident (of that observation alone) and determination under each
    marking of MARKINGS; the incident's marking is derived from its observation's."""
    observations = [observation(i, m) for i, m in enumerate(MARKINGS)]
    store.add_observations(observations)
    incidents = [incident(f"{i}", (o.id,), i) for i, o in enumerate(observations)]
    store.replace_incidents([], incidents)
    store.put_determinations([determination(x.id) for x in incidents])
    return {
        m: Marked(m, o.id, x.id, f"det-{x.id}")
        for m, o, x in zip(MARKINGS, observations, incidents, strict=True)
    }


def people(store: Store) -> dict[str, str]:
    """Every organisation and user of the tests, and one token per user (by user id)."""
    directory = Directory(store)
    for organisation in ORGANISATIONS:
        directory.add_organisation(organisation, now=NOW)
    tokens: dict[str, str] = {}
    for user in USERS:
        directory.add_user(user, now=NOW)
        tokens[user.id], _ = directory.create_token(user.id, now=datetime.now(UTC), expires_at=None)
    return tokens


class ApiClient:
    """A synchronous HTTP client over the application, in-process (httpx over ASGI)."""

    def __init__(self, app: FastAPI, portal: BlockingPortal) -> None:
        self.app = app
        self._portal = portal
        transport = httpx.ASGITransport(app=app)
        self._client = httpx.AsyncClient(transport=transport, base_url="http://testserver")

    def get(self, url: str, token: str | None, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, token, **kwargs)

    def post(self, url: str, token: str | None, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, token, **kwargs)

    def request(self, method: str, url: str, token: str | None, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self._portal.call(
            lambda: self._client.request(method, url, headers=headers, **kwargs)
        )

    def close(self) -> None:
        self._portal.call(self._client.aclose)


@contextmanager
def api(store: str | Path) -> Iterator[ApiClient]:
    """A client of the service over the store at `store` (no administrator token)."""
    app = create_app(Settings(store=str(store), create_store=False))
    try:
        with start_blocking_portal() as portal:
            client = ApiClient(app, portal)
            try:
                yield client
            finally:
                client.close()
    finally:
        app.state.service.broker.close()
        app.state.service.store.close()
