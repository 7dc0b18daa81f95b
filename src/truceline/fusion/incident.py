"""The incident: one event, as fused from every observation that describes it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from truceline.observations.model import Domain, Kind, UtcDatetime


class Incident(BaseModel):
    """One event, fused from the observations that describe it.

    The id is derived from the observations it holds (not from the order they arrived in),
    so the same observations always give the same incident.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    observation_ids: tuple[str, ...] = Field(description="Sorted ids of its observations.")
    lon: float = Field(description="Best location, WGS 84 degrees.")
    lat: float
    location_uncertainty_m: float = Field(ge=0)
    start: UtcDatetime = Field(description="Start of the time window the event lies in.")
    end: UtcDatetime
    domain: Domain
    primary_kind: Kind = Field(description="The most telling kind among its observations.")
    kinds: tuple[Kind, ...] = Field(description="Every kind observed, sorted.")
    weapon_class: str | None = Field(
        default=None, description="Weapon class stated by non-party observations."
    )
    calibre_mm: float | None = Field(
        default=None, description="Calibre stated by non-party observations, millimetres."
    )
    source_ids: tuple[str, ...] = Field(description="Sorted ids of the sources that reported it.")
    independent_sources: int = Field(
        ge=0, description="Independent groups (operator, source type), party reports excluded."
    )
    party_reporters: tuple[str, ...] = Field(
        default=(), description="Codes of parties whose own reports are among its observations."
    )
    confidence: float = Field(ge=0, le=1)
    attributes: dict[str, Any] = Field(
        default_factory=dict,
        description="Fused evidence; see INCIDENT_ATTRIBUTES.",
    )


INCIDENT_ATTRIBUTES = {
    "kind_counts": "dict kind -> number of observations of that kind",
    "source_grades": "dict source id -> best Admiralty grade seen from it, e.g. 'B2'",
    "origin_lon": "longitude of the reported origin of fire: mean, weighted by grade "
    "probability, of the non-party observations' origin_lon/origin_lat, when any gave one",
    "origin_lat": "latitude of the reported origin of fire (non-party observations only)",
    "fire_from_bearing_deg": "circular mean, weighted by grade probability, of the non-party "
    "observations' fire_from_bearing_deg: bearing, degrees clockwise from true north, from "
    "the event towards where fire came from",
    "party_weapon_class": "weapon class claimed by party reports alone (no non-party "
    "observation states a class or calibre); never used to attribute",
    "party_calibre_mm": "calibre claimed by party reports alone, as party_weapon_class",
    "party_origin_lon": "longitude of the origin of fire claimed by party reports alone "
    "(no non-party observation gives one); never used to attribute",
    "party_origin_lat": "latitude of the origin of fire claimed by party reports alone",
    "party_fire_from_bearing_deg": "bearing claimed by party reports alone (no non-party "
    "observation gives one); never used to attribute",
}
"""Keys fusion writes into `Incident.attributes`, and what they mean."""
