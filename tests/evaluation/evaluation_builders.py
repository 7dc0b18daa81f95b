"""Hand-built scenarios, incidents and determinations with answers known in advance."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from truceline.adjudication.determination import Determination, Status
from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.model import Severity
from truceline.evaluation.data import EvaluationData, from_scenario
from truceline.fusion.incident import Incident
from truceline.observations.model import (
    Credibility,
    Domain,
    Kind,
    Observation,
    Reliability,
    SourceType,
)
from truceline.simulation.scenario import Scenario
from truceline.simulation.truth import Category, TruthEvent
from truceline.sources.registry import Source

T0 = datetime(2025, 9, 1, tzinfo=UTC)

SOURCES = (
    Source(id="acoustic-01", name="Acoustic", operator="Mission", type=SourceType.ACOUSTIC),
    Source(id="camera-01", name="Camera", operator="Mission", type=SourceType.FIXED_CAMERA),
    Source(id="party-BLU", name="Blue", operator="BLU", type=SourceType.PARTY_REPORT, party="BLU"),
    Source(id="uav-1", name="UAV", operator="Mission", type=SourceType.UAV),
)


def observation(ref: str, source: str, minutes: float = 0.0) -> Observation:
    """A report received `minutes` after T0 (observed at T0)."""
    return Observation(
        source_id=source,
        source_ref=ref,
        observed_at=T0,
        received_at=T0 + timedelta(minutes=minutes),
        lon=33.0,
        lat=47.8,
        kind=Kind.EXPLOSION,
        reliability=Reliability.B,
        credibility=Credibility.PROBABLY_TRUE,
    )


def event(
    name: str,
    category: Category,
    observations: Sequence[Observation],
    *,
    rules: tuple[str, ...] = (),
    party: str | None = None,
    minutes: float = 0.0,
) -> TruthEvent:
    return TruthEvent(
        id=name,
        category=category,
        rule=rules[0] if rules else None,
        rules=rules,
        party=party,
        kind=Kind.EXPLOSION,
        time=T0 + timedelta(minutes=minutes),
        lon=33.0,
        lat=47.8,
        observation_ids=tuple(sorted(o.id for o in observations)),
    )


def data_of(
    loaded: LoadedAgreement,
    truth: Sequence[TruthEvent],
    observations: Sequence[Observation],
) -> EvaluationData:
    scenario = Scenario(
        loaded=loaded,
        sources=list(SOURCES),
        observations=sorted(observations, key=lambda o: (o.observed_at, o.id)),
        prenotifications=[],
        truth=sorted(truth, key=lambda e: (e.time, e.id)),
        start=T0,
        end=T0 + timedelta(days=1),
        seed=0,
    )
    return from_scenario(scenario)


def incident(name: str, observations: Sequence[Observation]) -> Incident:
    return Incident(
        id=f"inc-{name}",
        observation_ids=tuple(sorted(o.id for o in observations)),
        lon=33.0,
        lat=47.8,
        location_uncertainty_m=100.0,
        start=T0,
        end=T0,
        domain=Domain.LAND,
        primary_kind=Kind.EXPLOSION,
        kinds=(Kind.EXPLOSION,),
        source_ids=tuple(sorted({o.source_id for o in observations})),
        independent_sources=1,
        confidence=0.5,
    )


def determination(
    inc: Incident,
    status: Status,
    rules: tuple[str, ...] = (),
    *,
    party: str | None = None,
    sources: int = 1,
    confidence: float = 0.72,
) -> Determination:
    breach = status in (Status.CLEAR_BREACH, Status.SUSPECTED_BREACH)
    return Determination(
        id=f"det-{inc.id}",
        incident_id=inc.id,
        agreement_id="blue-red-ceasefire",
        agreement_version=1,
        side="BLU",
        distance_to_line_m=1000.0,
        signed_distance_m=1000.0,
        zones=(),
        rules=rules,
        attributed_to=party,
        attribution_basis="",
        severity=Severity.HIGH if breach else None,
        confidence=confidence,
        independent_sources=sources,
        clear_breach=status is Status.CLEAR_BREACH,
        status=status,
        explanation="",
    )
