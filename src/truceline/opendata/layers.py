"""The layers of the open data, and what each feature of them holds.

One list of `Column`s per layer is the single description of its attributes: the GeoJSON
properties, the CSV columns, the GeoParquet schema, the OGC API collections and
docs/opendata.md all follow it (a test checks that the page documents every column).

A `Feature` is one row: an id, a geometry in WGS 84 longitude/latitude and its property
values as Python values (text, numbers, booleans, timezone-aware UTC datetimes, tuples of
text, or None where a column is nullable). The writers turn them into each format.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from truceline.agreement.loaded import LoadedAgreement
from truceline.fusion.incident import Incident
from truceline.service.schemas import DeterminationOut

Value = str | int | float | bool | datetime | tuple[str, ...] | None
"""A property value of a feature."""


class Layer(StrEnum):
    """What an export or an OGC API collection holds."""

    INCIDENTS = "incidents"
    DETERMINATIONS = "determinations"
    LINE = "line"
    ZONES = "zones"

    @property
    def is_point(self) -> bool:
        """Whether its features are points (written with lon/lat columns in CSV)."""
        return self in (Layer.INCIDENTS, Layer.DETERMINATIONS)

    @property
    def is_judged(self) -> bool:
        """Whether it is read from the store under the readers' releasability (the line
        and zones are the agreement's, which every reader may read)."""
        return self.is_point


class ColumnType(StrEnum):
    """The type of a column, as each format writes it."""

    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    """ISO 8601 in UTC, e.g. 2025-09-01T05:12:00Z; a UTC timestamp in GeoParquet."""
    STRINGS = "strings"
    """A list of text: a JSON array, `;`-separated in CSV, a list in GeoParquet."""


@dataclass(frozen=True)
class Column:
    """One attribute of the features of a layer."""

    name: str
    type: ColumnType
    description: str
    nullable: bool = False


@dataclass(frozen=True)
class Feature:
    """One feature: its id, its geometry (WGS 84 lon/lat) and its properties, keyed by the
    names of its layer's columns."""

    id: str
    geometry: BaseGeometry
    properties: Mapping[str, Value]


S, INT, N, B, D, L = (
    ColumnType.STRING,
    ColumnType.INTEGER,
    ColumnType.NUMBER,
    ColumnType.BOOLEAN,
    ColumnType.DATETIME,
    ColumnType.STRINGS,
)

INCIDENT_COLUMNS: Final = (
    Column("id", S, "The incident's id; derived from its observations."),
    Column("start", D, "Start of the time window the event lies in."),
    Column("end", D, "End of that time window."),
    Column("location_uncertainty_m", N, "Radius of the location's uncertainty, metres."),
    Column("domain", S, "land, sea or air."),
    Column("primary_kind", S, "The most telling kind among its observations."),
    Column("kinds", L, "Every kind observed, sorted."),
    Column("weapon_class", S, "Weapon class stated by non-party observations.", nullable=True),
    Column("calibre_mm", N, "Calibre stated by non-party observations, mm.", nullable=True),
    Column("observation_count", INT, "How many observations it was fused from."),
    Column("source_ids", L, "Ids of the sources that reported it, sorted."),
    Column("independent_sources", INT, "Independent groups of sources, party reports excluded."),
    Column("party_reporters", L, "Codes of the parties whose own reports are among them."),
    Column("confidence", N, "Confidence that the event happened, 0 to 1."),
    Column("releasability", S, "Who may read it: its releasability marking."),
)

DETERMINATION_COLUMNS: Final = (
    Column("id", S, "The determination's id; derived from its incident and the version."),
    Column("incident_id", S, "The incident it judges (its location is the incident's)."),
    Column("agreement_id", S, "The agreement applied."),
    Column("agreement_version", INT, "The version of the agreement applied."),
    Column("start", D, "Start of the incident's time window."),
    Column("end", D, "End of the incident's time window."),
    Column("status", S, "clear_breach, suspected_breach, deconflicted or no_violation."),
    Column("clear_breach", B, "Whether it meets the agreement's clear-breach threshold."),
    Column("rules", L, "Codes of the prohibited acts it breaks."),
    Column("deconflicted_rules", L, "Codes of acts it would break, lifted by a notice."),
    Column("prenotification_ids", L, "Ids of the pre-notifications that cover it."),
    Column("zones", L, "Ids of the zones it lies in."),
    Column("side", S, "Code of the party holding the incident's location."),
    Column("distance_to_line_m", N, "Geodesic distance to the line of contact, metres."),
    Column("signed_distance_m", N, "The same, positive on the first party's side."),
    Column("attributed_to", S, "Party the breach is attributed to.", nullable=True),
    Column("attribution_basis", S, "The evidence for the attribution, in words."),
    Column("severity", S, "low, medium, high or critical.", nullable=True),
    Column("confidence", N, "Confidence of the incident, 0 to 1."),
    Column("independent_sources", INT, "Independent groups of sources."),
    Column("explanation", S, "The facts and the rule, in plain words."),
    Column("releasability", S, "Who may read it: its incident's releasability marking."),
)

LINE_COLUMNS: Final = (
    Column("id", S, "Always 'line'."),
    Column("agreement_id", S, "The agreement the line belongs to."),
    Column("agreement_version", INT, "Its version."),
    Column("title", S, "The agreement's title."),
    Column("effective_from", D, "When that version took effect."),
    Column("parties", L, "Codes of the parties, in the agreement's order."),
    Column("rest_held_by", S, "The party holding every point in no listed held area."),
)

ZONE_COLUMNS: Final = (
    Column("id", S, "The zone id, with ':' and the party for a band: 'buffer:UA'."),
    Column("zone", S, "The zone id determinations name: buffer, withdrawal:CLASS, ..."),
    Column("zone_type", S, "buffer, withdrawal, no_fly or maritime."),
    Column("name", S, "The zone's name, in words."),
    Column("party", S, "For a band: the party whose side of the line it covers.", nullable=True),
    Column("width_km", N, "For a band: its width from the line, km.", nullable=True),
    Column("weapon_class", S, "For a withdrawal band: the weapon class.", nullable=True),
    Column("applies_to", L, "Codes of the parties bound by the zone."),
    Column("agreement_id", S, "The agreement defining it."),
    Column("agreement_version", INT, "Its version."),
)

COLUMNS: Final[Mapping[Layer, Sequence[Column]]] = {
    Layer.INCIDENTS: INCIDENT_COLUMNS,
    Layer.DETERMINATIONS: DETERMINATION_COLUMNS,
    Layer.LINE: LINE_COLUMNS,
    Layer.ZONES: ZONE_COLUMNS,
}
"""The columns of each layer, `id` first."""

TITLES: Final[Mapping[Layer, str]] = {
    Layer.INCIDENTS: "Incidents",
    Layer.DETERMINATIONS: "Determinations",
    Layer.LINE: "Line of contact",
    Layer.ZONES: "Zones",
}

DESCRIPTIONS: Final[Mapping[Layer, str]] = {
    Layer.INCIDENTS: "Events fused from the observations of every source, at their best "
    "location, with their time window, kinds, sources and confidence.",
    Layer.DETERMINATIONS: "What each incident means under the agreement in force: status, "
    "rules broken, attribution and the explanation, at the incident's location.",
    Layer.LINE: "The line of contact of the agreement in force.",
    Layer.ZONES: "The zones of the agreement in force: the buffer and the withdrawal bands "
    "on each party's side of the line, and the exclusion areas.",
}


def incident_feature(incident: Incident, releasability: str) -> Feature:
    """An incident as a feature at its best location."""
    i = incident
    return Feature(
        id=i.id,
        geometry=Point(i.lon, i.lat),
        properties={
            "id": i.id,
            "start": i.start,
            "end": i.end,
            "location_uncertainty_m": i.location_uncertainty_m,
            "domain": i.domain.value,
            "primary_kind": i.primary_kind.value,
            "kinds": tuple(k.value for k in i.kinds),
            "weapon_class": i.weapon_class,
            "calibre_mm": i.calibre_mm,
            "observation_count": len(i.observation_ids),
            "source_ids": tuple(i.source_ids),
            "independent_sources": i.independent_sources,
            "party_reporters": tuple(i.party_reporters),
            "confidence": i.confidence,
            "releasability": releasability,
        },
    )


def determination_feature(d: DeterminationOut) -> Feature:
    """A determination as a feature at its incident's location."""
    return Feature(
        id=d.id,
        geometry=Point(d.lon, d.lat),
        properties={
            "id": d.id,
            "incident_id": d.incident_id,
            "agreement_id": d.agreement_id,
            "agreement_version": d.agreement_version,
            "start": d.start,
            "end": d.end,
            "status": d.status.value,
            "clear_breach": d.clear_breach,
            "rules": tuple(d.rules),
            "deconflicted_rules": tuple(d.deconflicted_rules),
            "prenotification_ids": tuple(d.prenotification_ids),
            "zones": tuple(d.zones),
            "side": d.side,
            "distance_to_line_m": d.distance_to_line_m,
            "signed_distance_m": d.signed_distance_m,
            "attributed_to": d.attributed_to,
            "attribution_basis": d.attribution_basis,
            "severity": d.severity.value if d.severity is not None else None,
            "confidence": d.confidence,
            "independent_sources": d.independent_sources,
            "explanation": d.explanation,
            "releasability": d.releasability,
        },
    )


LINE_ID: Final = "line"


def line_feature(loaded: LoadedAgreement) -> Feature:
    """The agreement's line of contact as one feature."""
    a = loaded.agreement
    return Feature(
        id=LINE_ID,
        geometry=loaded.line,
        properties={
            "id": LINE_ID,
            "agreement_id": a.id,
            "agreement_version": a.version,
            "title": a.title,
            "effective_from": a.effective_from,
            "parties": tuple(p.code for p in a.parties),
            "rest_held_by": a.line.rest_held_by,
        },
    )
