"""Streaming replay: observations fed in order of arrival through the incremental path.

Observations are taken in order of their (simulated) arrival time `received_t` and grouped
into batches of `batch_seconds` of arrivals: batch k holds what arrived in
[k·W, (k+1)·W) and is ready at its end. Each batch goes through the same steps a live
service runs: store the observations, fold them into the stored incidents
(`truceline.fusion.incremental.refuse`), judge the incidents that changed with one
`Adjudicator` kept across batches, store the determinations. How long that takes is
**measured** (wall-clock seconds on this machine). A batch starts when it is ready and the
previous batch is done, so a slow batch delays the next ones as it would in a live service
that processes one batch at a time.

Each true violation's alert is the first batch after which a clear-breach determination
that breaks one of its rules covers it. Its latency:

- **from the corroborating observation**: from the arrival of the observation that tipped it
  (the earliest-arriving report of the incident in that batch) to the end of that batch's
  processing: waiting for the batch to close, waiting for earlier batches, processing;
- **from the event**: from the true time of the event to the same moment: the simulated
  reporting delay of the sensors plus the above.

Simulated seconds and measured seconds are added as if the replay ran in real time, one
simulated second per second.

Notices (pre-notifications) enter the store when the replay clock passes the time they
were notified. Observations that arrived before the replayed window (`start`) are stored,
fused and judged in one pass before the replay begins; violations already called clear
then are not counted.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from truceline.adjudication.adjudicator import Adjudicator
from truceline.adjudication.determination import Determination, Status
from truceline.agreement.prenotification import PreNotification
from truceline.errors import InputError
from truceline.evaluation.data import EvaluationData, table_rows
from truceline.fusion.aggregate import fuse_table
from truceline.fusion.build import build_incidents
from truceline.fusion.incident import Incident
from truceline.fusion.incremental import refuse
from truceline.fusion.parameters import DEFAULT, FusionParameters
from truceline.geometry.theatre import Theatre
from truceline.simulation.truth import Category
from truceline.store import Store, open_store

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.int64]

DEFAULT_BATCH_SECONDS = 5.0
"""Arrivals collected into one batch: five simulated seconds."""


@dataclass(frozen=True)
class Alert:
    """The first moment a true violation was called a clear breach in the replay."""

    event: int
    """Row of the violation in the truth."""
    incident_id: str
    batch: int
    event_t: float
    """True time of the event (simulated, epoch seconds)."""
    tipping_received_t: float
    """Arrival of the observation that tipped the incident (simulated, epoch seconds)."""
    ready_t: float
    """When its batch closed (simulated clock)."""
    done_t: float
    """When its batch was processed: ready, plus waiting for earlier batches, plus the
    measured processing time."""
    processing_s: float
    """Measured wall-clock seconds the batch took."""

    @property
    def from_observation_s(self) -> float:
        """Seconds from the corroborating observation's arrival to the stored determination."""
        return self.done_t - self.tipping_received_t

    @property
    def from_event_s(self) -> float:
        """Seconds from the true event to the stored determination."""
        return self.done_t - self.event_t


@dataclass(frozen=True)
class Replay:
    """What a replay did and measured."""

    observations: int
    """Observations replayed in batches."""
    preloaded: int
    """Observations stored and judged before the replay."""
    batches: int
    batch_seconds: float
    processing_s: FloatArray
    """Measured wall-clock seconds of each batch."""
    batch_sizes: IndexArray
    alerts: tuple[Alert, ...]
    """Sorted by event row."""
    wall_s: float
    """Measured wall-clock seconds of the whole replay, preloading included."""
    incidents: tuple[Incident, ...]
    """The store's incidents at the end, sorted by id."""
    determinations: tuple[Determination, ...]
    """The store's determinations at the end, sorted by incident id."""


@dataclass(frozen=True)
class Window:
    """Which arrivals to replay: [start, end) in epoch seconds; None for no limit."""

    start: float | None = None
    end: float | None = None


def replay(
    data: EvaluationData,
    *,
    batch_seconds: float = DEFAULT_BATCH_SECONDS,
    window: Window | None = None,
    params: FusionParameters = DEFAULT,
    advance: Callable[[int], None] | None = None,
    store_target: str = ":memory:",
) -> Replay:
    """Feed the observations in order of arrival through the incremental path.

    `advance(n)` is called after each batch with the number of observations it held (for a
    progress bar). Observations arriving at or after `window.end` are left out.
    """
    if not (math.isfinite(batch_seconds) and batch_seconds > 0):
        raise InputError(
            f"batch_seconds must be a number above 0, got {batch_seconds!r}", field="batch_seconds"
        )
    window = window or Window()
    started = time.perf_counter()
    received = data.received_t
    order = np.lexsort((data.observation_ids, received))
    before = np.zeros(len(order), dtype=np.bool_)
    if window.start is not None:
        before = received[order] < window.start
    inside = ~before
    if window.end is not None:
        inside &= received[order] < window.end
    pre_rows, rows = order[before], order[inside]
    keys = np.floor(received[rows] / batch_seconds).astype(np.int64)
    cuts = np.flatnonzero(np.diff(keys)) + 1
    batches = np.split(rows, cuts)
    batch_keys = keys[np.concatenate(([0], cuts))] if len(rows) else keys

    registry = data.registry()
    loaded = data.loaded
    adjudicator = Adjudicator(loaded, Theatre(loaded), registry)
    violation = data.truth.is_category(Category.VIOLATION)
    notices = sorted(data.prenotifications, key=lambda n: (n.notified_at, n.id))
    notice_t = [n.notified_at.timestamp() for n in notices]
    alerted = np.zeros(len(data.truth), dtype=np.bool_)
    alerts: list[Alert] = []
    processing = np.zeros(len(batches), dtype=np.float64)
    with open_store(store_target) as store:
        store.upsert_sources(data.sources)
        store.add_agreement(loaded)
        next_notice = 0
        if len(pre_rows):
            clock = float(received[pre_rows].max())
            next_notice = _notify(store, notices, notice_t, next_notice, clock)
            _preload(store, data, pre_rows, adjudicator, params, alerted, violation)
        free_at = -math.inf
        for k, batch in enumerate(batches):
            ready = float((batch_keys[k] + 1) * batch_seconds)
            next_notice = _notify(store, notices, notice_t, next_notice, ready)
            observations = data.objects(batch)
            t0 = time.perf_counter()
            store.add_observations(observations)
            update = refuse(observations, store, registry, params)
            store.replace_incidents(update.removed_ids, update.added)
            determinations = adjudicator.adjudicate(update.added, store.prenotifications())
            store.put_determinations(determinations)
            spent = time.perf_counter() - t0
            processing[k] = spent
            begin = max(ready, free_at)
            free_at = begin + spent
            batch_received = dict(
                zip(data.observation_ids[batch].tolist(), received[batch].tolist(), strict=True)
            )
            for incident, determination in zip(update.added, determinations, strict=True):
                if determination.status is not Status.CLEAR_BREACH:
                    continue
                for event in _newly_found(data, incident, determination, violation, alerted):
                    arrivals = [
                        batch_received[o] for o in incident.observation_ids if o in batch_received
                    ]
                    tipping = min(arrivals) if arrivals else float(received[batch].min())
                    alerts.append(
                        Alert(
                            event=event,
                            incident_id=incident.id,
                            batch=k,
                            event_t=float(data.truth.t[event]),
                            tipping_received_t=tipping,
                            ready_t=ready,
                            done_t=free_at,
                            processing_s=spent,
                        )
                    )
            if advance is not None:
                advance(len(batch))
        incidents = tuple(sorted(store.incidents(), key=lambda i: i.id))
        final = tuple(sorted(store.determinations(), key=lambda d: d.incident_id))
    return Replay(
        observations=len(rows),
        preloaded=len(pre_rows),
        batches=len(batches),
        batch_seconds=batch_seconds,
        processing_s=processing,
        batch_sizes=np.array([len(b) for b in batches], dtype=np.int64),
        alerts=tuple(sorted(alerts, key=lambda a: a.event)),
        wall_s=time.perf_counter() - started,
        incidents=incidents,
        determinations=final,
    )


def _notify(
    store: Store,
    notices: list[PreNotification],
    notice_t: list[float],
    next_notice: int,
    clock: float,
) -> int:
    """Store every notice notified by `clock`; returns the index of the next one."""
    while next_notice < len(notices) and notice_t[next_notice] <= clock:
        store.add_prenotification(notices[next_notice])
        next_notice += 1
    return next_notice


def _preload(
    store: Store,
    data: EvaluationData,
    rows: IndexArray,
    adjudicator: Adjudicator,
    params: FusionParameters,
    alerted: npt.NDArray[np.bool_],
    violation: npt.NDArray[np.bool_],
) -> None:
    """Store, fuse and judge in one pass what arrived before the replay; mark the
    violations already called clear."""
    rows = np.sort(rows)
    store.add_observations(data.objects(rows))
    table = table_rows(data.table, rows)
    incidents = build_incidents(table, fuse_table(table, params))
    store.replace_incidents([], incidents)
    determinations = adjudicator.adjudicate(incidents, store.prenotifications())
    store.put_determinations(determinations)
    by_id = {i.id: i for i in incidents}
    for determination in determinations:
        if determination.status is Status.CLEAR_BREACH:
            incident = by_id[determination.incident_id]
            _newly_found(data, incident, determination, violation, alerted)


def _newly_found(
    data: EvaluationData,
    incident: Incident,
    determination: Determination,
    violation: npt.NDArray[np.bool_],
    alerted: npt.NDArray[np.bool_],
) -> list[int]:
    """Violations this clear breach covers with one of their rules that were not alerted
    yet; marks them alerted."""
    events = np.unique(data.event_of[data.rows_of(incident.observation_ids)]).tolist()
    found = []
    for event in events:
        if (
            violation[event]
            and not alerted[event]
            and set(determination.rules) & set(data.truth.rules[event])
        ):
            alerted[event] = True
            found.append(event)
    return found
