"""Which true event each determination is about, and which true events each one covers.

- An incident **belongs** to the true event most of its observations came from. On a tie,
  the earlier event (by true time, then by event id) wins. One exception: a breach
  determination that holds reports of a true violation of a rule it names belongs to that
  violation (the one with most observations, if several), whatever else was fused with it.
  The claim "this rule was broken here and then" is then true; the harvest-fire pixels or
  the second event fused beside it do not make it false. Its other events are still
  covered, and a second determination of the same violation is a false duplicate.
- An incident is **mixed** when it holds observations of more than one true event. It still
  belongs to one event only; the other events it holds are **covered** by it.
- An incident **covers** every true event at least one of its observations came from.

Precision is judged on belonging (each determination is about one event), recall on covering
(a violation is found when some determination that breaks one of its rules covers it, even
when the incident mostly holds reports of something else).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from truceline.adjudication.determination import Determination, Status
from truceline.evaluation.data import EvaluationData
from truceline.fusion.incident import Incident
from truceline.simulation.truth import Category

IndexArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

BREACHES = (Status.CLEAR_BREACH, Status.SUSPECTED_BREACH)


@dataclass(frozen=True, eq=False)
class Matching:
    """Determinations beside the true events, as columns; row k is determination k.

    Determinations are sorted by incident id; `pair_*` list every (determination, event)
    pair where the determination's incident holds an observation of the event, once each.
    """

    incident_ids: tuple[str, ...]
    status: tuple[Status, ...]
    rules: tuple[tuple[str, ...], ...]
    attributed_to: tuple[str | None, ...]
    confidence: FloatArray
    independent_sources: IndexArray
    owner: IndexArray
    """Row in the truth of the event the incident belongs to."""
    events_held: IndexArray
    """How many true events the incident holds observations of (more than one: mixed)."""
    pair_determination: IndexArray
    pair_event: IndexArray

    def __len__(self) -> int:
        return len(self.incident_ids)

    def is_status(self, *statuses: Status) -> BoolArray:
        """Which determinations have any of these statuses."""
        wanted = set(statuses)
        return np.array([s in wanted for s in self.status], dtype=np.bool_)


def match(
    data: EvaluationData,
    incidents: Sequence[Incident],
    determinations: Sequence[Determination],
) -> Matching:
    """Match each determination, through its incident, to the true events it holds.

    Determinations of incidents not given are refused (InputError names the incident); an
    incident without a determination is left out.
    """
    from truceline.errors import InputError

    by_id = {i.id: i for i in incidents}
    chosen = sorted(determinations, key=lambda d: d.incident_id)
    for earlier, later in itertools.pairwise(chosen):
        if earlier.incident_id == later.incident_id:
            raise InputError(
                f"incident {later.incident_id!r} has two determinations; evaluate the "
                "determinations of one agreement version",
                field="incident_id",
            )
    members: list[str] = []
    sizes: list[int] = []
    for d in chosen:
        incident = by_id.get(d.incident_id)
        if incident is None:
            raise InputError(
                f"determination {d.id!r} is about incident {d.incident_id!r}, which is not among "
                "the incidents given",
                field="incident_id",
            )
        members.extend(incident.observation_ids)
        sizes.append(len(incident.observation_ids))
    n = len(chosen)
    det_of_member = np.repeat(np.arange(n, dtype=np.int64), sizes)
    events = data.event_of[data.rows_of(members)] if members else np.zeros(0, dtype=np.int64)
    n_events = len(data.truth)
    keys, counts = np.unique(det_of_member * n_events + events, return_counts=True)
    pair_det = keys // n_events
    pair_event = keys % n_events
    rank = _event_rank(data)
    names = _names_violation(data, chosen, pair_det, pair_event)
    # Per determination: a violation of a rule it names first, then most observations,
    # then the earliest event.
    order = np.lexsort((rank[pair_event], -counts, ~names, pair_det))
    first = np.ones(len(order), dtype=np.bool_)
    first[1:] = pair_det[order][1:] != pair_det[order][:-1]
    owner = np.full(n, -1, dtype=np.int64)
    owner[pair_det[order][first]] = pair_event[order][first]
    held = np.bincount(pair_det, minlength=n).astype(np.int64)
    return Matching(
        incident_ids=tuple(d.incident_id for d in chosen),
        status=tuple(d.status for d in chosen),
        rules=tuple(d.rules for d in chosen),
        attributed_to=tuple(d.attributed_to for d in chosen),
        confidence=np.array([d.confidence for d in chosen], dtype=np.float64),
        independent_sources=np.array([d.independent_sources for d in chosen], dtype=np.int64),
        owner=owner,
        events_held=held,
        pair_determination=pair_det.astype(np.int64),
        pair_event=pair_event.astype(np.int64),
    )


def _names_violation(
    data: EvaluationData,
    chosen: Sequence[Determination],
    pair_det: IndexArray,
    pair_event: IndexArray,
) -> BoolArray:
    """For each (determination, event) pair: is the event a violation of a rule that the
    determination, a breach, names?"""
    named = [set(d.rules) if d.status in BREACHES else set() for d in chosen]
    violation = data.truth.is_category(Category.VIOLATION)
    out = np.zeros(len(pair_det), dtype=np.bool_)
    for k, (det, event) in enumerate(zip(pair_det.tolist(), pair_event.tolist(), strict=True)):
        rules = named[det]
        if rules and violation[event] and not rules.isdisjoint(data.truth.rules[event]):
            out[k] = True
    return out


def _event_rank(data: EvaluationData) -> IndexArray:
    """Each event's position in the order of true time, then id."""
    order = np.lexsort((data.truth.ids, data.truth.t))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    return rank
