"""Columnar adjudication (`judge_table`) gives exactly what the Adjudicator gives."""

from __future__ import annotations

from functools import cache

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from truceline.adjudication.adjudicator import Adjudicator
from truceline.adjudication.batch import SEVERITIES, STATUSES, BatchJudgement, judge_table
from truceline.adjudication.determination import Determination
from truceline.agreement.prenotification import PreNotification
from truceline.fusion.aggregate import fuse_table
from truceline.fusion.build import build_incidents
from truceline.geometry.theatre import Theatre
from truceline.observations.model import Observation
from truceline.observations.table import ObservationTable
from truceline.simulation import Scenario, generate_theatre, simulate


@cache
def _scenario() -> tuple[Scenario, Adjudicator]:
    loaded = generate_theatre(7)
    scenario = simulate(loaded, days=4, seed=11, intensity=4)
    return scenario, Adjudicator(loaded, Theatre(loaded), scenario.registry())


def _columns_of(judged: BatchJudgement, k: int, parties: list[str]) -> tuple[object, ...]:
    return (
        parties[int(judged.side[k])],
        float(judged.distance_to_line_m[k]),
        float(judged.signed_distance_m[k]),
        tuple(
            sorted(z for z, inside in zip(judged.zone_ids, judged.zones[k], strict=True) if inside)
        ),
        STATUSES[int(judged.status[k])],
        tuple(sorted(c for c, hit in zip(judged.rule_codes, judged.rules[k], strict=True) if hit)),
        None if judged.attributed_to[k] < 0 else parties[int(judged.attributed_to[k])],
        None if judged.severity[k] < 0 else SEVERITIES[int(judged.severity[k])],
        bool(judged.clear_breach[k]),
    )


def _fields_of(d: Determination) -> tuple[object, ...]:
    return (
        d.side,
        d.distance_to_line_m,
        d.signed_distance_m,
        d.zones,
        d.status,
        tuple(sorted(d.rules)),
        d.attributed_to,
        d.severity,
        d.clear_breach,
    )


def _compare(
    observations: list[Observation], notices: list[PreNotification]
) -> tuple[BatchJudgement, list[Determination]]:
    scenario, adjudicator = _scenario()
    table = ObservationTable.from_observations(observations, scenario.registry())
    result = fuse_table(table)
    judged = judge_table(adjudicator, table, result, notices)
    full = adjudicator.adjudicate(build_incidents(table, result), notices)
    by_incident = {d.incident_id: d for d in full}
    parties = [p.code for p in scenario.loaded.agreement.parties]
    ids = judged.incident_ids()
    assert len(ids) == len(full) == len(judged)
    for k, incident_id in enumerate(ids):
        assert _columns_of(judged, k, parties) == _fields_of(by_incident[incident_id]), k
    assert list(judged.detailed_determinations) == sorted(
        (by_incident[ids[k]] for k in judged.detailed.tolist()),
        key=lambda d: ids.index(d.incident_id),
    )
    return judged, full


def test_batch_equals_the_adjudicator_on_a_scenario_with_its_notices() -> None:
    scenario, _ = _scenario()
    judged, full = _compare(scenario.observations, scenario.prenotifications)
    assert judged.determinations() == full
    # Most incidents are judged in columns, and among them are incidents of every kind.
    assert len(judged.detailed) < len(judged)
    assert {d.status for d in full} >= {STATUSES[0], STATUSES[1], STATUSES[2], STATUSES[3]}


def test_batch_judges_breaches_in_columns_when_no_notice_is_near() -> None:
    scenario, _ = _scenario()
    judged, full = _compare(scenario.observations, [])
    columnar = np.ones(len(judged), dtype=bool)
    columnar[judged.detailed] = False
    # Breaches, clear breaches, attributions and raised severities decided in columns.
    assert judged.rules[columnar].any(axis=1).sum() > 100
    assert judged.clear_breach[columnar].sum() > 10
    assert (judged.attributed_to[columnar] >= 0).sum() > 10
    some = np.flatnonzero(columnar)[:50]
    made = judged.determinations(some)
    assert made == sorted(
        (
            full[i]
            for i in range(len(full))
            if full[i].incident_id in set(judged.incident_ids(some))
        ),
        key=lambda d: d.incident_id,
    )


@settings(max_examples=4, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1), st.booleans())
def test_batch_equals_the_adjudicator_on_any_subset(seed: int, with_notices: bool) -> None:
    scenario, _ = _scenario()
    rng = np.random.default_rng(seed)
    keep = rng.random(len(scenario.observations)) < 0.3
    subset = [o for o, kept in zip(scenario.observations, keep, strict=True) if kept]
    _compare(subset, scenario.prenotifications if with_notices else [])
