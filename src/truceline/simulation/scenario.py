"""A simulated scenario as objects: observations and true events, for small scenarios.

`simulate` runs `simulate_tables` (the columnar simulation, tables.py) and turns its
result into `Observation` and `TruthEvent` objects: convenient up to about 10^5
observations. Larger scenarios stay in columns (`simulate_tables`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from shapely.geometry.base import BaseGeometry

from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.prenotification import PreNotification
from truceline.observations.model import (
    AttributeValue,
    Credibility,
    Domain,
    Kind,
    Observation,
    Reliability,
)
from truceline.observations.table import DOMAINS, GRADES, KINDS
from truceline.simulation.gaps import CoverageGap
from truceline.simulation.reports import missing
from truceline.simulation.sensors import SensorModel
from truceline.simulation.tables import (
    DEFAULT_START,
    ScenarioTables,
    component_rng,
    simulate_tables,
)
from truceline.simulation.truth import Category, TruthEvent
from truceline.sources.registry import Source, SourceRegistry

__all__ = [
    "DEFAULT_START",
    "Scenario",
    "TruthEvent",
    "component_rng",
    "scenario_of",
    "simulate",
]


@dataclass(frozen=True)
class Scenario:
    """What a simulation produced: the sources, their observations, the parties'
    pre-notifications, and the ground truth behind them."""

    loaded: LoadedAgreement
    sources: list[Source]
    """Every source that can report in this scenario, sorted by id."""
    observations: list[Observation]
    """Sorted by observed time, then id."""
    prenotifications: list[PreNotification]
    """Sorted by start, then id."""
    truth: list[TruthEvent]
    """Every simulated event, seen or not; sorted by time, then id."""
    start: datetime
    end: datetime
    seed: int
    coverage_gaps: tuple[CoverageGap, ...] = ()
    """Where and when sensors lost the coverage they planned (tables.py)."""

    def registry(self) -> SourceRegistry:
        """A source registry holding exactly this scenario's sources."""
        return SourceRegistry(self.sources)


def simulate(
    loaded: LoadedAgreement,
    *,
    days: int = 7,
    start: datetime = DEFAULT_START,
    seed: int = 7,
    intensity: float = 1.0,
    land: BaseGeometry | None = None,
    sensors: Sequence[SensorModel] | None = None,
) -> Scenario:
    """Simulate `days` of events and observations under an agreement, as objects.

    The arguments are those of `simulate_tables`; the result is the same scenario.
    """
    tables = simulate_tables(
        loaded, days=days, start=start, seed=seed, intensity=intensity, land=land, sensors=sensors
    )
    return scenario_of(tables)


def scenario_of(tables: ScenarioTables) -> Scenario:
    """The columnar scenario as objects."""
    observations = observations_of(tables)
    by_time = sorted(range(len(observations)), key=lambda i: (observations[i].observed_at, i))
    ordered = [observations[i] for i in by_time]
    ordered.sort(key=lambda o: (o.observed_at, o.id))
    truth = truth_events(tables)
    return Scenario(
        loaded=tables.loaded,
        sources=tables.sources,
        observations=ordered,
        prenotifications=tables.prenotifications,
        truth=sorted(truth, key=lambda e: (e.time, e.id)),
        start=tables.start,
        end=tables.end,
        seed=tables.seed,
        coverage_gaps=tuple(tables.coverage_gaps),
    )


_RELIABILITY = {r.value: r for r in Reliability}


def observations_of(tables: ScenarioTables) -> list[Observation]:
    """Every observation row as an `Observation`, in table (id) order."""
    table = tables.observations
    n = len(table)
    attributes = _attribute_rows(tables.attributes, n)
    weapon_names = [None, *table.weapon_classes]
    out: list[Observation] = []
    for j, (oid, src, ref, t, t_unc, rec, lon, lat, l_unc, dom, kind, grade, w, cal) in enumerate(
        zip(
            table.ids.tolist(),
            table.source.tolist(),
            tables.source_refs.tolist(),
            table.t.tolist(),
            table.time_unc.tolist(),
            tables.received_t.tolist(),
            table.lon.tolist(),
            table.lat.tolist(),
            table.loc_unc.tolist(),
            table.domain.tolist(),
            table.kind.tolist(),
            table.grade.tolist(),
            table.weapon.tolist(),
            table.calibre.tolist(),
            strict=True,
        )
    ):
        code = GRADES[grade]
        out.append(
            Observation(
                id=oid,
                source_id=table.sources[src],
                source_ref=ref,
                observed_at=datetime.fromtimestamp(t, tz=UTC),
                time_uncertainty_s=t_unc,
                received_at=datetime.fromtimestamp(rec, tz=UTC),
                lon=lon,
                lat=lat,
                location_uncertainty_m=l_unc,
                domain=Domain(DOMAINS[dom]),
                kind=Kind(KINDS[kind]),
                weapon_class=weapon_names[w + 1],
                calibre_mm=None if np.isnan(cal) else cal,
                reliability=_RELIABILITY[code[0]],
                credibility=Credibility(int(code[1])),
                attributes=attributes[j],
            )
        )
    return out


def _attribute_rows(columns: dict[str, np.ndarray], n: int) -> list[dict[str, AttributeValue]]:
    rows: list[dict[str, AttributeValue]] = [{"simulated": True} for _ in range(n)]
    for name, column in sorted(columns.items()):
        present = np.flatnonzero(~missing(column))
        values = column[present].tolist()
        for j, value in zip(present.tolist(), values, strict=True):
            if name == "confidence" and isinstance(value, str) and value.isdigit():
                rows[j][name] = int(value)
            else:
                rows[j][name] = value
    return rows


def truth_events(tables: ScenarioTables) -> list[TruthEvent]:
    """Every true event as a `TruthEvent`, in truth (id) order."""
    truth = tables.truth
    order = np.argsort(tables.event_index, kind="stable")
    ids = tables.observations.ids[order].tolist()
    rows = tables.event_index[order]
    bounds = np.searchsorted(rows, np.arange(len(truth) + 1))
    categories = {c.value: c for c in Category}
    kinds = {k.value: k for k in Kind}
    out: list[TruthEvent] = []
    for i in range(len(truth)):
        origin_lon = float(truth.origin_lon[i])
        origin_lat = float(truth.origin_lat[i])
        has_origin = np.isfinite(origin_lon) and np.isfinite(origin_lat)
        rules = str(truth.rules[i])
        out.append(
            TruthEvent(
                id=str(truth.ids[i]),
                category=categories[str(truth.category[i])],
                rule=str(truth.rule[i]) or None,
                rules=tuple(rules.split(";")) if rules else (),
                party=str(truth.party[i]) or None,
                kind=kinds[str(truth.kind[i])],
                time=datetime.fromtimestamp(float(truth.t[i]), tz=UTC),
                lon=float(truth.lon[i]),
                lat=float(truth.lat[i]),
                weapon_class=str(truth.weapon_class[i]) or None,
                observation_ids=tuple(sorted(ids[bounds[i] : bounds[i + 1]])),
                prenotification_id=str(truth.prenotification_id[i]) or None,
                note=str(truth.note[i]),
                origin_lon=origin_lon if has_origin else None,
                origin_lat=origin_lat if has_origin else None,
            )
        )
    return out
