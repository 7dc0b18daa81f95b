"""Ingest one feed file into a store: stream, validate, deduplicate, store in batches."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from truceline.errors import InputError
from truceline.observations.model import Observation
from truceline.sources.base import Adapter, Rejection, adapter_for
from truceline.sources.registry import SourceRegistry

MAX_KEPT_REJECTIONS = 100
STRICT_SHOWN = 10


class ObservationSink(Protocol):
    """Where ingested observations go (the store)."""

    def add_observations(self, batch: Sequence[Observation]) -> int:
        """Store a batch; returns how many were new (an id already stored is not new)."""
        ...


@dataclass(frozen=True)
class IngestReport:
    """What happened to one file."""

    file: str
    rows_read: int
    """Records read: accepted plus rejected."""
    accepted: int
    stored_new: int
    duplicates: int
    """Accepted records already stored, or repeated within the file."""
    rejected: int
    rejections: tuple[Rejection, ...]
    """The first 100 rejections."""
    seconds: float


def _progress(enabled: bool, console: Console | None) -> AbstractContextManager[Progress | None]:
    if not enabled:
        return nullcontext(None)
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console if console is not None else Console(stderr=True),
        transient=True,
    )


def _screened(
    adapter: Adapter, path: Path, registry: SourceRegistry, received_at: datetime
) -> Iterator[Observation | Rejection]:
    """The adapter's output, with observations of unregistered sources turned away."""
    for item in adapter.read(path, received_at=received_at):
        if isinstance(item, Observation) and item.source_id not in registry:
            yield adapter.unknown_source(str(path), None, item.source_id, item.source_ref)
        else:
            yield item


def _validate_whole_file(
    adapter: Adapter, path: Path, registry: SourceRegistry, received_at: datetime
) -> None:
    """For strict mode: raise InputError with the first rejections, if there is any."""
    rejections: list[Rejection] = []
    count = 0
    for item in _screened(adapter, path, registry, received_at):
        if isinstance(item, Rejection):
            count += 1
            if len(rejections) < STRICT_SHOWN:
                rejections.append(item)
    if count:
        listed = "\n  ".join(str(r) for r in rejections)
        more = f"\n  ... and {count - len(rejections)} more" if count > len(rejections) else ""
        raise InputError(
            f"{path}: {count} bad record(s), nothing stored (strict mode); fix them or ingest "
            f"without --strict to keep the good ones:\n  {listed}{more}",
            field=rejections[0].field,
        )


def ingest_file(
    path: Path,
    sink: ObservationSink,
    *,
    registry: SourceRegistry,
    adapter: str | None = None,
    strict: bool = False,
    progress: bool = True,
    received_at: datetime | None = None,
    batch_size: int = 5000,
    console: Console | None = None,
) -> IngestReport:
    """Read one file with its adapter and store its good observations in `sink`.

    Bad records are reported and skipped; with `strict`, any bad record refuses the whole
    file (the file is validated first and nothing is stored). Raises InputError when the
    file as a whole cannot be read (unknown format, missing columns, not GeoJSON). With
    `progress`, a progress bar is drawn on `console` (default: standard error) while reading.
    """
    if batch_size < 1:
        raise InputError(f"batch_size must be at least 1, got {batch_size}", field="batch_size")
    started = time.perf_counter()
    try:
        total = path.stat().st_size
    except OSError as exc:
        raise InputError(
            f"{path}: cannot be read ({exc.strerror or exc}); check the path"
        ) from None
    received = received_at if received_at is not None else datetime.now(UTC)
    reader = adapter_for(path, adapter, registry=registry)
    if strict:
        _validate_whole_file(reader, path, registry, received)
        reader = type(reader)(registry)
    seen: set[str] = set()
    batch: list[Observation] = []
    rejections: list[Rejection] = []
    accepted = stored_new = rejected = 0
    with _progress(progress, console) as bar:
        task = bar.add_task(path.name, total=total) if bar is not None else None
        for item in _screened(reader, path, registry, received):
            if isinstance(item, Rejection):
                rejected += 1
                if len(rejections) < MAX_KEPT_REJECTIONS:
                    rejections.append(item)
                continue
            accepted += 1
            if item.id in seen:
                continue
            seen.add(item.id)
            batch.append(item)
            if len(batch) >= batch_size:
                stored_new += sink.add_observations(batch)
                batch = []
                if bar is not None and task is not None:
                    bar.update(task, completed=reader.bytes_read)
        if batch:
            stored_new += sink.add_observations(batch)
        if bar is not None and task is not None:
            bar.update(task, completed=total)
    return IngestReport(
        file=str(path),
        rows_read=accepted + rejected,
        accepted=accepted,
        stored_new=stored_new,
        duplicates=accepted - stored_new,
        rejected=rejected,
        rejections=tuple(rejections),
        seconds=time.perf_counter() - started,
    )
