"""Observations: validated, located, graded reports of one thing seen or heard."""

from truceline.observations.model import (
    Credibility,
    Domain,
    Evidence,
    Kind,
    Observation,
    Reliability,
    SourceType,
    observation_id,
)

__all__ = [
    "Credibility",
    "Domain",
    "Evidence",
    "Kind",
    "Observation",
    "Reliability",
    "SourceType",
    "observation_id",
]
