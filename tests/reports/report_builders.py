"""A hand-built store for the report tests: a few determinations at known times, places,
statuses and markings, so that every number of the report is known in advance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import shapely

from truceline.adjudication.determination import Determination, Status
from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.model import Severity
from truceline.agreement.prenotification import PreNotification
from truceline.fusion.incident import Incident
from truceline.observations.model import Domain, Kind, Observation
from truceline.simulation.theatre import generate_theatre
from truceline.store import Store, open_store

DAY = date(2025, 9, 10)
CUTOFF = datetime(2025, 9, 10, 18, 0, tzinfo=UTC)
FIRST_OBSERVATION = datetime(2025, 9, 1, tzinfo=UTC)
SECRET = "SECRET-RESTRICTED-WORDING"
"""Text only the restricted determinations carry."""


@dataclass(frozen=True)
class Case:
    name: str
    start: datetime
    status: Status
    where: float
    """Position along the line, 0 to 1."""
    public: bool
    kind: Kind = Kind.EXPLOSION
    notices: tuple[str, ...] = ()
    attributed_to: str | None = "RED"
    explanation: str = ""


CASES = (
    # the reported period (2025-09-09 18:00, 2025-09-10 18:00]
    Case(
        "a-at-cutoff",
        CUTOFF,
        Status.CLEAR_BREACH,
        0.1,
        True,
        explanation="Explosion; notice N-9 of demining by RED does not cover it",
    ),
    Case(
        "b-secret",
        CUTOFF - timedelta(hours=12),
        Status.SUSPECTED_BREACH,
        0.1,
        False,
        explanation=f"{SECRET}: a suspected breach seen only by the cell",
    ),
    Case(
        "c-deconflicted",
        CUTOFF - timedelta(hours=8),
        Status.DECONFLICTED,
        0.9,
        True,
        kind=Kind.ARMED_PRESENCE,
        notices=("N-7",),
    ),
    Case(
        "d-nothing",
        CUTOFF - timedelta(hours=7),
        Status.NO_VIOLATION,
        0.9,
        True,
        kind=Kind.THERMAL_ANOMALY,
        attributed_to=None,
    ),
    Case(
        "x-secret-clear",
        CUTOFF - timedelta(hours=2),
        Status.CLEAR_BREACH,
        0.9,
        False,
        explanation=f"{SECRET}: a clear breach not released",
    ),
    # the previous period: e starts exactly at its cut-off
    Case("e-previous-cutoff", CUTOFF - timedelta(days=1), Status.SUSPECTED_BREACH, 0.9, True),
    Case("f-previous", CUTOFF - timedelta(hours=30), Status.CLEAR_BREACH, 0.1, True),
    # five periods back
    Case("g-history", CUTOFF - timedelta(days=5, hours=3), Status.SUSPECTED_BREACH, 0.1, True),
    # just after the cut-off: the next report's
    Case("h-next", CUTOFF + timedelta(microseconds=1), Status.CLEAR_BREACH, 0.1, True),
)


def point(loaded: LoadedAgreement, where: float) -> tuple[float, float]:
    """A point on the line, `where` of the way along its longest part."""
    part = max(shapely.get_parts(loaded.line), key=lambda p: p.length)
    found = shapely.line_interpolate_point(part, where, normalized=True)
    return float(found.x), float(found.y)


def notice(notice_id: str, start: datetime) -> PreNotification:
    area = {"type": "Polygon", "coordinates": [[[30, 45], [31, 45], [31, 46], [30, 45]]]}
    return PreNotification(
        id=notice_id,
        party="RED",
        activity="DEMINING",
        area=area,
        starts_at=start - timedelta(hours=2),
        ends_at=start + timedelta(hours=2),
        notified_at=start - timedelta(days=2),
    )


def build_store(path: Path) -> tuple[Store, LoadedAgreement]:
    """The hand-built store, open (the caller closes it)."""
    loaded = generate_theatre(seed=3)
    agreement = loaded.agreement
    store = open_store(path)
    store.add_agreement(loaded)
    lon0, lat0 = point(loaded, 0.5)
    store.add_observations(
        [
            Observation(
                source_id="uav-1",
                source_ref="first",
                observed_at=FIRST_OBSERVATION,
                received_at=FIRST_OBSERVATION,
                lon=lon0,
                lat=lat0,
                kind=Kind.MOVEMENT,
            )
        ]
    )
    store.add_prenotification(notice("N-7", CUTOFF - timedelta(hours=8)))
    store.add_prenotification(notice("N-9", CUTOFF - timedelta(days=3)))
    incidents = []
    determinations = []
    for case in CASES:
        lon, lat = point(loaded, case.where)
        incident = Incident(
            id=f"inc-{case.name}",
            observation_ids=(f"obs-{case.name}",),
            lon=lon,
            lat=lat,
            location_uncertainty_m=100.0,
            start=case.start,
            end=case.start + timedelta(minutes=5),
            domain=Domain.LAND,
            primary_kind=case.kind,
            kinds=(case.kind,),
            source_ids=("uav-1",),
            independent_sources=2,
            confidence=0.95,
        )
        incidents.append(incident)
        breach = case.status in (Status.CLEAR_BREACH, Status.SUSPECTED_BREACH)
        determinations.append(
            Determination(
                id=f"det-{case.name}",
                incident_id=incident.id,
                agreement_id=agreement.id,
                agreement_version=agreement.version,
                side="BLU",
                distance_to_line_m=0.0,
                signed_distance_m=0.0,
                zones=("buffer",),
                rules=("CV-FIRE",) if breach else (),
                deconflicted_rules=("DMZ-PRESENCE",) if case.notices else (),
                prenotification_ids=case.notices,
                attributed_to=case.attributed_to,
                attribution_basis="test",
                severity=Severity.HIGH if breach else None,
                confidence=0.95,
                independent_sources=2,
                clear_breach=case.status is Status.CLEAR_BREACH,
                status=case.status,
                explanation=case.explanation or f"Determination {case.name}.",
            )
        )
    store.replace_incidents([], incidents)
    store.put_determinations(determinations)
    for case in CASES:
        if case.public:
            store.set_incident_releasability(f"inc-{case.name}", "public")
    return store, loaded
