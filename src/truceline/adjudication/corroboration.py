"""The confidence the clear-breach threshold is judged on: reports confirmed by each other.

Fusion grades each report as its source gave it (docs/fusion.md). When two or more
independent sources (distinct operator and source type, party channels left out) report
the same incident, each of them is confirmed by another: in the Admiralty code that is
credibility 1, "confirmed by other independent sources", and only the reliability of each
source still limits what it is worth. The confidence of a corroborated incident is then the
noisy-OR over its independence groups of the confirmed probability of each group's best
grade (`truceline.fusion.grades.confirmed_probability`), and never less than the confidence
fusion gave it. An incident with fewer than two such independent sources keeps its
confidence.

Satellite thermal detections neither confirm nor are confirmed: heat is the signature that
harvest fires (in season many times more numerous than violations) share with shelling,
so a hot pixel beside an explosion report is weak confirmation of it. They count at their
graded probability, and do not count towards the two sources that confirm each other.

Worked example: a drone (B2, 0.7225) and an acoustic array (C3, 0.49) give 0.858 as graded;
confirmed, B1 (0.7608) and C1 (0.6265) give 1 - 0.2392 x 0.3735 = 0.911.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from truceline.errors import InputError
from truceline.fusion.aggregate import FusionResult
from truceline.fusion.grades import confirmed_probability, grade_probability
from truceline.fusion.incident import Incident
from truceline.observations.model import SourceType
from truceline.observations.table import GRADES, ObservationTable
from truceline.sources.registry import SourceRegistry

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Corroboration:
    """The confidence to judge an incident on, and whether corroboration raised it."""

    confidence: float
    graded: float
    """The incident's confidence as fusion gave it."""

    @property
    def raised(self) -> bool:
        return self.confidence > self.graded


def corroborate(incident: Incident, registry: SourceRegistry) -> Corroboration:
    """The incident's confidence once its independent sources confirm each other."""
    graded = incident.confidence
    if incident.independent_sources < 2:
        return Corroboration(graded, graded)
    grades = incident.attributes.get("source_grades")
    if not isinstance(grades, dict):
        return Corroboration(graded, graded)
    best: dict[str, float] = {}
    for source_id, grade in sorted(grades.items()):
        if not isinstance(grade, str) or grade not in GRADES:
            continue
        try:
            source = registry.get(str(source_id))
        except InputError:
            continue
        if source.is_party_channel:
            continue
        group = source.independence_group
        best[group] = max(best.get(group, 0.0), _worth(group, GRADES.index(grade)))
    confirming = [group for group in best if not _heat_only(group)]
    if len(confirming) < 2:
        return Corroboration(graded, graded)
    doubt = math.prod(1.0 - best[group] for group in sorted(best))
    return Corroboration(max(graded, 1.0 - doubt), graded)


def _heat_only(group: str) -> bool:
    """Satellite thermal detections: heat is what harvest fires and shelling share."""
    return group.endswith(f"|{SourceType.SATELLITE_THERMAL.value}")


def _worth(group: str, grade_code: int) -> float:
    if _heat_only(group):
        return float(_GRADED[grade_code])
    return float(_CONFIRMED[grade_code])


def corroborate_columns(table: ObservationTable, result: FusionResult) -> FloatArray:
    """`corroborate(...).confidence` of every incident of a fusion result, from its columns.

    Equal to the object form to the last bit: each source counts with its best grade
    (highest graded probability, then the first grade code), each group with the best
    confirmed probability of its sources, and the product runs over the groups in name order.
    """
    graded = np.asarray(result.confidence, dtype=np.float64)
    out = graded.copy()
    rows = result.order
    own = ~table.is_party[rows]
    rows = rows[own]
    if rows.size == 0:
        return out
    labels = result.labels[rows]
    n_sources = max(len(table.sources), 1)
    rank = _RANK_OF_GRADE[table.grade[rows].astype(np.int64)]
    key = labels * n_sources + table.source[rows]
    order = np.lexsort((rank, key))
    first = np.ones(order.size, dtype=np.bool_)
    first[1:] = key[order][1:] != key[order][:-1]
    best_rows = rows[order[first]]
    incident = result.labels[best_rows]
    group = table.group[best_rows].astype(np.int64)
    heat = np.array([_heat_only(g) for g in table.groups], dtype=np.bool_)
    worth = np.where(
        heat[group],
        _GRADED[table.grade[best_rows].astype(np.int64)],
        _CONFIRMED[table.grade[best_rows].astype(np.int64)],
    )
    n_groups = max(len(table.groups), 1)
    pair = incident * n_groups + group
    pairs, inverse = np.unique(pair, return_inverse=True)
    best = np.zeros(pairs.size, dtype=np.float64)
    np.maximum.at(best, inverse.reshape(-1), worth)
    pair_incident = pairs // n_groups
    confirming = np.bincount(pair_incident[~heat[pairs % n_groups]], minlength=len(graded))
    eligible = (confirming >= 2) & (result.independent_sources >= 2)
    bounds = np.searchsorted(pair_incident, np.arange(len(graded) + 1))
    for k in np.flatnonzero(eligible).tolist():
        doubt = math.prod(1.0 - p for p in best[bounds[k] : bounds[k + 1]].tolist())
        out[k] = max(float(graded[k]), 1.0 - doubt)
    return out


_CONFIRMED = np.array([confirmed_probability(g) for g in GRADES], dtype=np.float64)
_GRADED = np.array([grade_probability(g) for g in GRADES], dtype=np.float64)
_RANK_OF_GRADE = np.argsort(
    np.lexsort((np.arange(len(GRADES)), -np.array([grade_probability(g) for g in GRADES])))
).astype(np.int64)
"""Rank of each grade code from best to worst: highest probability first, then the first
code (the order fusion picks a source's best grade in)."""
