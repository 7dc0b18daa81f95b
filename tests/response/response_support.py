"""A small theatre for the response tests: an agreement with a response protocol, real
determinations from the adjudicator, review actions, alert settings and the CAP schema.

The line runs along the meridian 36° E from 45° N to 50° N; UA (first party) holds the west,
RU the east. CV-FIRE (high) and DMZ-PRESENCE (medium, in the 5 km buffer) are the rules.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import xmlschema
from pyproj import Geod
from shapely.geometry import MultiLineString, MultiPolygon, box

from truceline.adjudication.adjudicator import Adjudicator
from truceline.adjudication.determination import Determination
from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.model import Agreement
from truceline.fusion.incident import Incident
from truceline.geometry.theatre import Theatre
from truceline.observations.model import Domain, Kind
from truceline.response.cap import AlertSettings, CapStatus, Releasability
from truceline.response.review import ReviewAction, ReviewState, Role, review_state
from truceline.sources.registry import SourceRegistry

SCHEMA_PATH = Path(__file__).parent / "data" / "CAP-v1.2.xsd"
GEOD = Geod(ellps="WGS84")
LINE_LON = 36.0
T0 = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)

PROTOCOL: list[dict[str, Any]] = [
    {
        "name": "Notify the joint coordination cell",
        "trigger": {"clear_breach": True, "min_severity": "low"},
        "deadline_hours": 1,
        "description": "The duty officer alerts the cell and every coalition member.",
    },
    {
        "name": "Consultation of the coalition members",
        "trigger": {"clear_breach": True, "min_severity": "medium"},
        "deadline_hours": 24,
    },
    {
        "name": "Joint statement",
        "trigger": {"clear_breach": True, "min_severity": "high"},
        "deadline_hours": 72,
    },
]
NOTIFY, CONSULT, STATEMENT = (tier["name"] for tier in PROTOCOL)
MEMBERS = ["US", "UA", "FR", "UK"]


def agreement_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "test-ceasefire",
        "version": 1,
        "title": "Test ceasefire",
        "effective_from": "2026-01-01T00:00:00Z",
        "parties": [
            {"code": "UA", "name": "Armed Forces of Ukraine", "adjective": "Ukrainian"},
            {"code": "RU", "name": "Armed Forces of Russia", "adjective": "Russian"},
        ],
        "line": {"file": "line.geojson", "held_areas": {"RU": "ru.geojson"}, "rest_held_by": "UA"},
        "zones": {"buffer": {"width_km": {"UA": 5, "RU": 5}}},
        "prohibited_acts": [
            {
                "code": "CV-FIRE",
                "title": "Firing across the line",
                "description": "Any fire.",
                "kinds": ["explosion", "impact", "launch", "small_arms_fire"],
                "within_km": 30,
                "severity": "high",
            },
            {
                "code": "DMZ-PRESENCE",
                "title": "Armed presence in the buffer",
                "description": "Forces in the buffer.",
                "kinds": ["armed_presence", "weapon_sighting", "movement"],
                "zones": ["buffer"],
                "severity": "medium",
            },
        ],
        "clear_breach": {"min_confidence": 0.9, "min_independent_sources": 2},
        "response_protocol": PROTOCOL,
    }
    data.update(overrides)
    return data


def loaded_agreement(**overrides: Any) -> LoadedAgreement:
    return LoadedAgreement(
        agreement=Agreement.model_validate(agreement_data(**overrides)),
        line=MultiLineString([[(LINE_LON, 45.0), (LINE_LON, 50.0)]]),
        held_areas={"RU": MultiPolygon([box(LINE_LON, 45.0, 40.0, 50.0)])},
    )


def adjudicator(loaded: LoadedAgreement) -> Adjudicator:
    return Adjudicator(loaded, Theatre(loaded), SourceRegistry())


def at_km(distance_km: float, direction: str, lat: float = 48.0) -> tuple[float, float]:
    """A point `distance_km` west or east of the line at a latitude."""
    azimuth = 270.0 if direction == "west" else 90.0
    lon, lat_out, _ = GEOD.fwd(LINE_LON, lat, azimuth, distance_km * 1000.0)
    return float(lon), float(lat_out)


def make_incident(
    name: str,
    lon: float,
    lat: float,
    kinds: tuple[Kind, ...],
    *,
    confidence: float = 0.95,
    independent: int = 2,
    start: datetime = T0,
    uncertainty_m: float = 250.0,
    **attributes: Any,
) -> Incident:
    """An incident as fusion would make it, seen by two mission sources."""
    ordered = tuple(sorted(kinds))
    sources = ("firms-viirs-noaa20", "firms-viirs-snpp")
    return Incident(
        id="inc-" + hashlib.sha256(name.encode()).hexdigest()[:24],
        observation_ids=tuple(sorted(f"obs-{name}-{i}" for i in range(3))),
        lon=lon,
        lat=lat,
        location_uncertainty_m=uncertainty_m,
        start=start,
        end=start + timedelta(minutes=10),
        domain=Domain.LAND,
        primary_kind=ordered[0],
        kinds=ordered,
        source_ids=sources,
        independent_sources=independent,
        confidence=confidence,
        attributes=attributes,
    )


def shelling(name: str = "shelling", **kwargs: Any) -> Incident:
    """Explosions 3 km west of the line, fire from the east: a clear breach by RU."""
    lon, lat = at_km(3.0, "west")
    return make_incident(name, lon, lat, (Kind.EXPLOSION,), fire_from_bearing_deg=90.0, **kwargs)


def judge(adjudicator: Adjudicator, incident: Incident) -> Determination:
    (determination,) = adjudicator.adjudicate([incident], [])
    return determination


def act(
    incident_id: str,
    action: str,
    minutes: float,
    *,
    actor: str = "alice",
    org: str = "JCC",
    role: Role = Role.ANALYST,
    reason: str | None = None,
    **payload: Any,
) -> ReviewAction:
    """A review action `minutes` after T0."""
    return ReviewAction.create(
        incident_id=incident_id,
        actor=actor,
        actor_org=org,
        role=role,
        action=action,
        at=T0 + timedelta(minutes=minutes),
        reason=reason,
        payload=payload or None,
    )


def signing(incident_id: str, determination_id: str, start: float = 30.0) -> list[ReviewAction]:
    """Claim, confirm and two signatures by two senior analysts."""
    return [
        act(incident_id, "claim", start, actor="alice"),
        act(incident_id, "confirm", start + 5, actor="alice"),
        act(
            incident_id,
            "sign",
            start + 6,
            actor="alice",
            role=Role.SENIOR_ANALYST,
            determination_id=determination_id,
        ),
        act(
            incident_id,
            "sign",
            start + 20,
            actor="bob",
            org="US-EUCOM",
            role=Role.SENIOR_ANALYST,
            determination_id=determination_id,
        ),
    ]


def signed_state(incident_id: str, determination_id: str) -> ReviewState:
    return review_state(signing(incident_id, determination_id), T0 + timedelta(hours=1))


def settings(
    status: CapStatus = CapStatus.ACTUAL, level: str = "restricted", **overrides: Any
) -> AlertSettings:
    releasability: dict[str, Any] = {"level": level}
    if level == "restricted":
        releasability["restriction"] = "Coalition members and the joint coordination cell"
    if level == "private":
        releasability["addresses"] = ["US", "FR", "Joint Coordination Cell"]
    return AlertSettings(
        sender="jcc@monitoring.example",
        sender_name="Joint coordination cell",
        status=status,
        releasability=Releasability.model_validate(releasability),
        **overrides,
    )


_SCHEMA: list[xmlschema.XMLSchema] = []


def cap_schema() -> xmlschema.XMLSchema:
    """The OASIS CAP 1.2 schema, loaded once."""
    if not _SCHEMA:
        _SCHEMA.append(xmlschema.XMLSchema(SCHEMA_PATH))
    return _SCHEMA[0]


def assert_valid_cap(document: bytes) -> None:
    """Fails with every schema error when the document is not valid CAP 1.2."""
    errors = [str(error) for error in cap_schema().iter_errors(document.decode("utf-8"))]
    assert not errors, "\n".join(errors)
