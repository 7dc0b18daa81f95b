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
    weapon_class: str | None = None
    calibre_mm: float | None = None
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
        description="Fused evidence for attribution, e.g. origin_lon/origin_lat of the fire.",
    )
