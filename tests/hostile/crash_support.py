"""The process the crash tests kill: it stores batches of observations, fuses them into
incidents now and then, and acknowledges each batch once its transaction has committed."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path

from truceline.observations.model import Kind, Observation
from truceline.pipeline import fuse_all, registry_of
from truceline.store import open_store

RECEIVED_AT = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
BATCHES = 400
BATCH_ROWS = 25
SOURCES = ("firms-viirs-noaa20", "firms-viirs-snpp")


def batch(index: int) -> list[Observation]:
    """Batch `index` of the stream: always the same observations for the same index."""
    rng = random.Random(index)
    return [
        Observation(
            source_id=SOURCES[n % 2],
            source_ref=f"b{index:04d}-{n:03d}",
            observed_at=RECEIVED_AT - timedelta(minutes=index * 3 + rng.randrange(5)),
            received_at=RECEIVED_AT,
            lon=37.5 + rng.uniform(-0.05, 0.05),
            lat=48.1 + rng.uniform(-0.05, 0.05),
            kind=Kind.EXPLOSION,
        )
        for n in range(BATCH_ROWS)
    ]


def ingest(path: Path, start: int, seed: int, acks: Connection) -> None:
    """Store batches from `start` on (repeating some, as a client re-sends what was not
    acknowledged), fuse every few batches, and send the index of each committed batch."""
    rng = random.Random(seed)
    store = open_store(path)
    registry = registry_of(store)
    index = start
    while True:
        store.add_observations(batch(index % BATCHES))
        acks.send(index % BATCHES)
        if rng.random() < 0.3:
            fuse_all(store, registry)
            acks.send(-1)
        index += rng.choice((1, 1, 1, 0))  # now and then the same batch again
