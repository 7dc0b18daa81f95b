"""The determination: what one incident means under one version of the agreement."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from truceline.agreement.model import Severity


class Status(StrEnum):
    """The outcome of a determination, from most to least grave."""

    CLEAR_BREACH = "clear_breach"
    """Breaks a rule and meets the agreement's clear-breach threshold."""
    SUSPECTED_BREACH = "suspected_breach"
    """Breaks a rule, but the evidence is below the clear-breach threshold."""
    DECONFLICTED = "deconflicted"
    """Would break a rule, but a timely pre-notification of permitted activity covers it."""
    NO_VIOLATION = "no_violation"
    """Breaks no rule of the agreement."""


class Determination(BaseModel):
    """What one incident means under one version of the agreement, and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="Derived from the incident id and the agreement version.")
    incident_id: str
    agreement_id: str
    agreement_version: int
    side: str = Field(description="Code of the party holding the incident's location.")
    distance_to_line_m: float = Field(ge=0)
    signed_distance_m: float = Field(
        description="Distance to the line, positive on the first party's side, negative on "
        "the other."
    )
    zones: tuple[str, ...] = Field(description="Zone ids the incident lies in, sorted.")
    rules: tuple[str, ...] = Field(description="Codes of prohibited acts it breaks.")
    deconflicted_rules: tuple[str, ...] = Field(
        default=(), description="Codes of acts it would break, lifted by a pre-notification."
    )
    prenotification_ids: tuple[str, ...] = ()
    attributed_to: str | None = Field(description="Party code, or None when unattributed.")
    attribution_basis: str = Field(description="The evidence for the attribution, in words.")
    severity: Severity | None
    confidence: float = Field(ge=0, le=1)
    independent_sources: int = Field(ge=0)
    clear_breach: bool
    status: Status
    explanation: str = Field(description="The facts and the rule, in plain words.")
