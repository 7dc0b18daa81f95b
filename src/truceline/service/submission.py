"""Submitted observations: each row checked on its own, the good ones stored once.

A row is refused for any field the model refuses, for a source that is not registered,
for an observation time before 1970 or more than a day after its reception (as the
file adapters do), for an evidence URI that is not a store reference or an http(s) URL,
and, from a source registered with a public key, for a missing or invalid `signature`.
The id derives from the source and the report's own reference, so a
report submitted twice is stored once and the second answer says "already_stored".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from truceline.access.marking import CELL
from truceline.errors import StoreError
from truceline.ledger.screening import screen_observation
from truceline.ledger.signing import SIGNATURE_ATTRIBUTE
from truceline.observations.model import Observation
from truceline.pipeline import registry_of
from truceline.service.errors import field_path
from truceline.service.processing import Processor
from truceline.service.queries import Reader
from truceline.service.schemas import (
    ObservationIn,
    ProcessingReport,
    RowRejection,
    RowResult,
)
from truceline.sources.fields import FieldError, check_observed
from truceline.sources.readable import readable_message, shown
from truceline.sources.registry import SourceRegistry
from truceline.store import Store

log = logging.getLogger("truceline.service")


@dataclass(frozen=True)
class Outcome:
    """What became of a list of rows."""

    results: list[RowResult]
    rejections: list[RowRejection]
    rejected_rows: int
    stored: int
    processing: ProcessingReport | None


def _problems(exc: ValidationError, index: int) -> list[RowRejection]:
    return [
        RowRejection(index=index, field=field_path(e["loc"]), reason=readable_message(e))
        for e in exc.errors(include_url=False)
    ]


def observation_of(
    row: object, index: int, registry: SourceRegistry, received: datetime
) -> Observation | list[RowRejection]:
    """The observation a row stands for, or why it is refused."""
    if not isinstance(row, dict):
        return [
            RowRejection(
                index=index, field=None, reason=f"must be a JSON object (got {shown(row)})"
            )
        ]
    try:
        given = ObservationIn.model_validate(row)
    except ValidationError as exc:
        return _problems(exc, index)
    if given.source_id not in registry:
        known = ", ".join(s.id for s in registry)
        return [
            RowRejection(
                index=index,
                field="source_id",
                reason=f"unknown source {given.source_id!r}: register it first with POST "
                f"/api/sources (known: {known})",
            )
        ]
    try:
        check_observed(given.observed_at, "observed_at", received, given.observed_at.isoformat())
    except FieldError as exc:
        return [RowRejection(index=index, field=exc.field, reason=exc.reason)]
    source = registry.get(given.source_id)
    data: dict[str, Any] = given.model_dump()
    data["reliability"] = given.reliability or source.reliability
    data["credibility"] = given.credibility or source.credibility
    data["releasability"] = given.releasability or source.releasability or CELL
    data["received_at"] = received
    signature = data.pop("signature")
    if signature is not None:
        data["attributes"] = {**data["attributes"], SIGNATURE_ATTRIBUTE: signature}
    try:
        obs = Observation.model_validate(data)
    except ValidationError as exc:  # the domain model's own checks, beyond the request's
        return _problems(exc, index)
    refused = screen_observation(obs, source)
    if refused is not None:
        return [RowRejection(index=index, field=refused[0], reason=refused[1])]
    return obs


class Submitter:
    """Stores submitted observations, one submission at a time, and processes them."""

    def __init__(
        self, store: Store, reader: Reader, processor: Processor, *, auto_process: bool
    ) -> None:
        self._store = store
        self._reader = reader
        self._processor = processor
        self._auto_process = auto_process
        self._lock = threading.Lock()

    def submit(self, rows: Sequence[object], received: datetime) -> Outcome:
        """Check every row, store the good ones, process what is new."""
        registry = registry_of(self._store)
        accepted: list[tuple[int, Observation]] = []
        rejections: list[RowRejection] = []
        rejected_rows = 0
        for index, row in enumerate(rows):
            made = observation_of(row, index, registry, received)
            if isinstance(made, Observation):
                accepted.append((index, made))
            else:
                rejected_rows += 1
                rejections.extend(made)
        results: list[RowResult] = []
        new: list[Observation] = []
        with self._lock:
            # Within one process submissions queue here, so "stored" and "already_stored"
            # are exact; the store itself never keeps a report twice in any case.
            known = self._reader.stored_observation_ids([o.id for _, o in accepted])
            for index, obs in accepted:
                fresh = obs.id not in known
                known.add(obs.id)
                if fresh:
                    new.append(obs)
                results.append(
                    RowResult(
                        index=index, id=obs.id, status="stored" if fresh else "already_stored"
                    )
                )
            stored = self._store.add_observations(new) if new else 0
        processing = None
        if new and self._auto_process:
            try:
                processing = self._processor.process(new)
            except StoreError as exc:
                # The reports are stored; POST /api/process picks them up later. The answer
                # must say they are stored, or a client would send them again in vain.
                log.error("processing after a submission failed: %s", exc)
        return Outcome(results, rejections, rejected_rows, stored, processing)
