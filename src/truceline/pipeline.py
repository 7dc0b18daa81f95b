"""The whole data flow in one place: observations in the store -> incidents -> determinations.

Each stage lives in its own package; this module only strings them together, so that the
command line, the demo and (later) the service run exactly the same steps.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from truceline.adjudication.adjudicator import Adjudicator
from truceline.agreement.loaded import LoadedAgreement
from truceline.fusion.fuse import fuse
from truceline.fusion.incremental import refuse
from truceline.geometry.theatre import Theatre
from truceline.observations.model import Observation
from truceline.sources.registry import SourceRegistry
from truceline.store import Store


@dataclass(frozen=True)
class StageTimes:
    """How long each stage took, in seconds."""

    fusion: float
    adjudication: float


@dataclass(frozen=True)
class PipelineReport:
    """What one pass of the pipeline did."""

    observations: int
    incidents: int
    determinations: int
    incidents_removed: int
    times: StageTimes


def registry_of(store: Store) -> SourceRegistry:
    """The built-in sources plus every source registered in the store."""
    registry = SourceRegistry()
    for source in store.sources():
        registry.add(source)
    return registry


def fuse_all(store: Store, registry: SourceRegistry) -> tuple[int, int]:
    """Fuse every observation in the store afresh; returns (incidents kept, incidents removed).

    Incidents whose observations did not change keep their id (ids derive from content), so
    only what changed is rewritten.
    """
    observations = [o for chunk in store.iter_observations() for o in chunk]
    incidents = fuse(observations, registry)
    new = {i.id: i for i in incidents}
    old = {i.id: i for i in store.incidents()}
    removed = sorted(i for i in old if new.get(i) != old[i])
    added = [i for i in incidents if old.get(i.id) != i]
    store.replace_incidents(removed, added)
    return len(incidents), len(removed)


def adjudicate_all(store: Store, loaded: LoadedAgreement, registry: SourceRegistry) -> int:
    """Judge every incident in the store against one agreement version; returns the count."""
    adjudicator = Adjudicator(loaded, Theatre(loaded), registry)
    incidents = store.incidents()
    determinations = adjudicator.adjudicate(incidents, store.prenotifications())
    store.put_determinations(determinations)
    return len(determinations)


def run_all(store: Store, loaded: LoadedAgreement) -> PipelineReport:
    """Fuse everything in the store, then adjudicate every incident."""
    registry = registry_of(store)
    store.add_agreement(loaded)
    t0 = time.perf_counter()
    kept, removed = fuse_all(store, registry)
    t1 = time.perf_counter()
    determinations = adjudicate_all(store, loaded, registry)
    t2 = time.perf_counter()
    return PipelineReport(
        observations=store.observation_count(),
        incidents=kept,
        determinations=determinations,
        incidents_removed=removed,
        times=StageTimes(fusion=t1 - t0, adjudication=t2 - t1),
    )


def process_new(
    store: Store, loaded: LoadedAgreement, new: Sequence[Observation], registry: SourceRegistry
) -> PipelineReport:
    """Take newly stored observations through fusion and adjudication, incrementally."""
    t0 = time.perf_counter()
    update = refuse(new, store, registry)
    store.replace_incidents(update.removed_ids, update.added)
    t1 = time.perf_counter()
    adjudicator = Adjudicator(loaded, Theatre(loaded), registry)
    determinations = adjudicator.adjudicate(update.added, store.prenotifications())
    store.put_determinations(determinations)
    t2 = time.perf_counter()
    return PipelineReport(
        observations=len(new),
        incidents=len(update.added),
        determinations=len(determinations),
        incidents_removed=len(update.removed_ids),
        times=StageTimes(fusion=t1 - t0, adjudication=t2 - t1),
    )
