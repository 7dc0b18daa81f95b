"""A small hand-built theatre for adjudication tests, and builders of incidents and notices.

The line runs along the meridian 36° E from 45° N to 50° N. UA (first party) holds the west,
RU the east. Buffer 5 km a side; withdrawal bands: mortars 15 km, artillery 25 km, MLRS
35 km; a no-fly zone across the line around 49° N; a maritime zone binding RU only around
45.4° N.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pyproj import Geod
from shapely.geometry import MultiLineString, MultiPolygon, Polygon, box

from truceline.adjudication.adjudicator import Adjudicator
from truceline.adjudication.determination import Determination
from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.model import Agreement
from truceline.agreement.prenotification import PreNotification
from truceline.fusion.incident import Incident
from truceline.observations.model import Credibility, Domain, Kind, Reliability, SourceType
from truceline.sources.registry import Source, SourceRegistry

GEOD = Geod(ellps="WGS84")
LINE_LON = 36.0
T0 = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)

NFZ_BOX = (35.0, 48.8, 37.0, 49.2)
MEZ_BOX = (35.0, 45.2, 37.0, 45.6)
DEMINING_BOX = (35.80, 47.90, 36.0, 48.10)


def agreement_data(**overrides: Any) -> dict[str, Any]:
    """The test agreement as a plain dict, with top-level fields replaced by `overrides`."""
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
        "weapon_classes": [
            {
                "code": "artillery",
                "description": "Artillery of 100 mm and above",
                "min_calibre_mm": 100,
            },
            {"code": "mortar", "description": "Mortars up to 120 mm", "max_calibre_mm": 120},
            {"code": "mlrs", "description": "MLRS such as BM-21 Grad"},
        ],
        "zones": {
            "buffer": {"width_km": {"UA": 5, "RU": 5}},
            "withdrawal_bands": [
                {"weapon_class": "artillery", "width_km": {"UA": 25, "RU": 25}},
                {"weapon_class": "mortar", "width_km": {"UA": 15, "RU": 15}},
                {"weapon_class": "mlrs", "width_km": {"UA": 35, "RU": 35}},
            ],
            "exclusions": [
                {
                    "id": "nfz-north",
                    "type": "no_fly",
                    "name": "Northern no-fly zone",
                    "file": "nfz.geojson",
                },
                {
                    "id": "mez-south",
                    "type": "maritime",
                    "name": "Southern maritime exclusion zone",
                    "file": "mez.geojson",
                    "applies_to": ["RU"],
                },
            ],
        },
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
                "code": "HW-WITHDRAWAL",
                "title": "Heavy weapon in its withdrawal band",
                "description": "Weapons in their band.",
                "kinds": ["weapon_sighting"],
                "zones": ["withdrawal"],
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
            {
                "code": "NFZ-AIR",
                "title": "Flight in a no-fly zone",
                "description": "Aircraft.",
                "kinds": ["aircraft"],
                "zones": ["nfz-north"],
                "domains": ["air"],
                "severity": "medium",
            },
            {
                "code": "MEZ-SEA",
                "title": "Vessel in a maritime exclusion zone",
                "description": "Vessels.",
                "kinds": ["vessel"],
                "zones": ["mez-south"],
                "domains": ["sea"],
                "severity": "medium",
            },
        ],
        "permitted_activities": [
            {
                "code": "DEMINING",
                "description": "Demining with controlled explosions.",
                "kinds": ["explosion", "armed_presence", "movement"],
                "exempts": ["CV-FIRE", "DMZ-PRESENCE"],
                "notice_hours": 24,
                "max_duration_hours": 72,
            },
        ],
        "clear_breach": {"min_confidence": 0.9, "min_independent_sources": 2},
    }
    data.update(overrides)
    return data


def loaded_agreement(**overrides: Any) -> LoadedAgreement:
    """The test agreement with its geometry."""
    return LoadedAgreement(
        agreement=Agreement.model_validate(agreement_data(**overrides)),
        line=MultiLineString([[(LINE_LON, 45.0), (LINE_LON, 50.0)]]),
        held_areas={"RU": MultiPolygon([box(LINE_LON, 45.0, 40.0, 50.0)])},
        exclusions={
            "nfz-north": MultiPolygon([box(*NFZ_BOX)]),
            "mez-south": MultiPolygon([box(*MEZ_BOX)]),
        },
    )


def registry() -> SourceRegistry:
    """The built-in sources plus mission sensors and the parties' report channels."""
    extra = [
        Source(
            id="uav-1",
            name="Mission UAV 1",
            operator="Mission UAV wing",
            type=SourceType.UAV,
            reliability=Reliability.B,
            credibility=Credibility.PROBABLY_TRUE,
        ),
        Source(
            id="uav-2",
            name="Mission UAV 2",
            operator="Mission UAV wing",
            type=SourceType.UAV,
            reliability=Reliability.B,
            credibility=Credibility.PROBABLY_TRUE,
        ),
        Source(
            id="acoustic-1",
            name="Acoustic array 1",
            operator="Mission acoustic network",
            type=SourceType.ACOUSTIC,
            reliability=Reliability.A,
            credibility=Credibility.PROBABLY_TRUE,
        ),
        Source(
            id="camera-1",
            name="Camera 1",
            operator="Mission cameras",
            type=SourceType.FIXED_CAMERA,
            reliability=Reliability.C,
            credibility=Credibility.POSSIBLY_TRUE,
        ),
        Source(
            id="ua-reports",
            name="UA liaison",
            operator="UA",
            type=SourceType.PARTY_REPORT,
            party="UA",
            reliability=Reliability.D,
            credibility=Credibility.DOUBTFUL,
        ),
    ]
    return SourceRegistry([*SourceRegistry(), *extra])


def at(distance_km: float, direction: str, lat: float = 48.0) -> tuple[float, float]:
    """A point `distance_km` west or east of the line at a latitude."""
    azimuth = 270.0 if direction == "west" else 90.0
    lon, lat_out, _ = GEOD.fwd(LINE_LON, lat, azimuth, distance_km * 1000.0)
    return float(lon), float(lat_out)


def incident(
    name: str,
    lon: float,
    lat: float,
    kinds: tuple[Kind, ...],
    *,
    sources: tuple[str, ...] = ("acoustic-1", "uav-1"),
    independent: int = 2,
    confidence: float = 0.93,
    domain: Domain = Domain.LAND,
    start: datetime = T0,
    minutes: int = 10,
    uncertainty_m: float = 100.0,
    party_reporters: tuple[str, ...] = (),
    weapon_class: str | None = None,
    calibre_mm: float | None = None,
    **attributes: Any,
) -> Incident:
    """An incident as fusion would produce it; extra keywords go into its attributes."""
    ordered = tuple(sorted(kinds, key=list(Kind).index))
    grades = {
        "uav-1": "B2",
        "uav-2": "B2",
        "acoustic-1": "A2",
        "camera-1": "C3",
        "ua-reports": "D4",
    }
    attributes.setdefault("source_grades", {s: grades[s] for s in sources if s in grades})
    return Incident(
        id="inc-" + hashlib.sha256(name.encode()).hexdigest()[:16],
        observation_ids=tuple(sorted(f"obs-{name}-{s}" for s in sources)),
        lon=lon,
        lat=lat,
        location_uncertainty_m=uncertainty_m,
        start=start,
        end=start + timedelta(minutes=minutes),
        domain=domain,
        primary_kind=ordered[0],
        kinds=tuple(sorted(ordered)),
        weapon_class=weapon_class,
        calibre_mm=calibre_mm,
        source_ids=tuple(sorted(sources)),
        independent_sources=independent,
        party_reporters=party_reporters,
        confidence=confidence,
        attributes=attributes,
    )


def notice(
    notice_id: str,
    *,
    party: str = "UA",
    activity: str = "DEMINING",
    area: tuple[float, float, float, float] = DEMINING_BOX,
    starts_at: datetime = T0 - timedelta(hours=2),
    hours_long: float = 12.0,
    lead_hours: float = 48.0,
) -> PreNotification:
    """A pre-notification of an area (a lon/lat box) for a window around T0."""
    polygon: Polygon = box(*area)
    return PreNotification(
        id=notice_id,
        party=party,
        activity=activity,
        area={"type": "Polygon", "coordinates": [list(map(list, polygon.exterior.coords))]},
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours_long),
        notified_at=starts_at - timedelta(hours=lead_hours),
    )


def judge(
    adjudicator: Adjudicator, case: Incident, notices: Sequence[PreNotification] = ()
) -> Determination:
    """The determination of one incident."""
    (determination,) = adjudicator.adjudicate([case], notices)
    assert determination.incident_id == case.id
    return determination
