"""The observation: one report of one thing, seen or heard, by one source.

An observation is what every adapter produces and every later stage consumes. It is
validated once, at the edge (the adapters), and is immutable afterwards. Times are always
timezone-aware and kept in UTC: a naive timestamp is refused, never assumed to be UTC.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from datetime import UTC, datetime
from enum import IntEnum, StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from truceline.access.marking import CELL, MarkingText


class Domain(StrEnum):
    """Where the observed thing happened."""

    LAND = "land"
    SEA = "sea"
    AIR = "air"


class Kind(StrEnum):
    """What was observed."""

    EXPLOSION = "explosion"
    IMPACT = "impact"
    LAUNCH = "launch"
    SMALL_ARMS_FIRE = "small_arms_fire"
    THERMAL_ANOMALY = "thermal_anomaly"
    FIRE = "fire"
    """A satellite fire detection consistent with what is normal for that place and season
    (harvest and stubble burning): kept, but never a breach on its own."""
    WEAPON_SIGHTING = "weapon_sighting"
    ARMED_PRESENCE = "armed_presence"
    MOVEMENT = "movement"
    AIRCRAFT = "aircraft"
    VESSEL = "vessel"
    DAMAGE = "damage"
    CASUALTY_REPORT = "casualty_report"


class SourceType(StrEnum):
    """The kind of sensor or channel a source is."""

    SATELLITE_THERMAL = "satellite_thermal"
    SATELLITE_IMAGERY = "satellite_imagery"
    UAV = "uav"
    FIXED_CAMERA = "fixed_camera"
    ACOUSTIC = "acoustic"
    GROUND_PATROL = "ground_patrol"
    OPEN_SOURCE = "open_source"
    PARTY_REPORT = "party_report"


class Reliability(StrEnum):
    """Admiralty code, source reliability: A (completely reliable) to F (cannot be judged)."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"
    F = "F"


class Credibility(IntEnum):
    """Admiralty code, information credibility: 1 (confirmed) to 6 (cannot be judged)."""

    CONFIRMED = 1
    PROBABLY_TRUE = 2
    POSSIBLY_TRUE = 3
    DOUBTFUL = 4
    IMPROBABLE = 5
    CANNOT_BE_JUDGED = 6


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range once converted to UTC") from None


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_utc)]
"""A timezone-aware datetime, normalised to UTC. Naive datetimes are rejected."""

Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]

_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
"""Control, format (bidi overrides, zero-width) and surrogate characters."""


def _plain(value: str) -> str:
    """Refuse an id or code holding a character that is invisible or changes how the text
    around it is shown: two such ids look alike but differ (docs/hostile.md)."""
    if value.isprintable():
        return value
    for position, char in enumerate(value, start=1):
        if unicodedata.category(char) in _HIDDEN_CATEGORIES:
            raise ValueError(
                f"must not contain the control or invisible character U+{ord(char):04X} "
                f"(character {position}); ids and codes must be plain visible text"
            )
    return value


IdText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, strip_whitespace=True),
    AfterValidator(_plain),
]
"""An id or a code: ShortText without control, format or surrogate characters."""
AttributeValue = str | int | float | bool | None

MAX_ATTRIBUTES = 64
MAX_EVIDENCE = 32


class Evidence(BaseModel):
    """A piece of evidence behind an observation: where it is and the hash of its bytes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    uri: Annotated[str, StringConstraints(min_length=1, max_length=2048)]
    sha256: Sha256Hex


def observation_id(source_id: str, source_ref: str) -> str:
    """The id of an observation: stable for the same source and the same report.

    Because the id depends only on who reported and the report's own reference, a report
    sent twice gets the same id and is stored once.
    """
    digest = hashlib.sha256(f"{source_id}\x1f{source_ref}".encode()).hexdigest()
    return f"obs-{digest[:24]}"


class Observation(BaseModel):
    """One report of one thing, seen or heard, by one source."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    id: str = Field(default="", description="Derived from source_id and source_ref when empty.")
    source_id: IdText = Field(description="Id of the source in the source registry.")
    source_ref: IdText = Field(description="The feed's own id of the report, or a content hash.")
    observed_at: UtcDatetime = Field(description="Best estimate of when it happened (UTC).")
    time_uncertainty_s: float = Field(
        default=0.0, ge=0.0, le=86_400 * 31, description="Half-width of the time window, seconds."
    )
    received_at: UtcDatetime = Field(description="When Truceline received the report (UTC).")
    lon: float = Field(ge=-180.0, le=180.0, description="Longitude, WGS 84 degrees.")
    lat: float = Field(ge=-90.0, le=90.0, description="Latitude, WGS 84 degrees.")
    location_uncertainty_m: float = Field(
        default=0.0, ge=0.0, le=500_000.0, description="Radius of the location uncertainty, metres."
    )
    domain: Domain = Domain.LAND
    kind: Kind
    weapon_class: IdText | None = Field(
        default=None, description="Weapon class code of the agreement, for weapon sightings."
    )
    calibre_mm: float | None = Field(default=None, gt=0.0, le=1000.0)
    reliability: Reliability = Reliability.F
    credibility: Credibility = Credibility.CANNOT_BE_JUDGED
    attributes: dict[IdText, AttributeValue] = Field(default_factory=dict)
    evidence: tuple[Evidence, ...] = ()
    releasability: MarkingText = Field(
        default=CELL,
        description="Who may read it (docs/access.md): 'cell' (the default), e.g. "
        "'cell+members:FR,UK', 'cell+parties' or 'public'. Not part of the id.",
    )

    @field_validator("lon", "lat", "time_uncertainty_s", "location_uncertainty_m")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @field_validator("attributes")
    @classmethod
    def _bounded_attributes(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(value) > MAX_ATTRIBUTES:
            raise ValueError(f"at most {MAX_ATTRIBUTES} attributes are allowed, got {len(value)}")
        for key, item in value.items():
            if isinstance(item, float) and not math.isfinite(item):
                raise ValueError(f"attribute {key!r} must be a finite number")
            if isinstance(item, str) and len(item) > 2000:
                raise ValueError(f"attribute {key!r} is longer than 2000 characters")
        return value

    @field_validator("evidence")
    @classmethod
    def _bounded_evidence(cls, value: tuple[Evidence, ...]) -> tuple[Evidence, ...]:
        if len(value) > MAX_EVIDENCE:
            raise ValueError(f"at most {MAX_EVIDENCE} evidence items are allowed, got {len(value)}")
        return value

    @model_validator(mode="after")
    def _derive_id(self) -> Observation:
        if not self.id:
            object.__setattr__(self, "id", observation_id(self.source_id, self.source_ref))
        return self
