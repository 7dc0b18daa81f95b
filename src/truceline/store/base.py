"""The store interface, and the small query types it takes."""

from __future__ import annotations

import abc
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType

from truceline.adjudication.determination import Determination, Status
from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.prenotification import PreNotification
from truceline.errors import InputError
from truceline.fusion.incident import Incident
from truceline.observations.model import Kind, Observation
from truceline.sources.registry import Source


@dataclass(frozen=True)
class TimeWindow:
    """A closed time interval [start, end], timezone-aware, kept in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, datetime):
                raise InputError(
                    f"time window {name}: expected a datetime, got {type(value).__name__}",
                    field=name,
                )
            if value.tzinfo is None or value.utcoffset() is None:
                raise InputError(
                    f"time window {name}: {value.isoformat()} has no time zone; give an aware "
                    "datetime, e.g. with tzinfo=UTC",
                    field=name,
                )
            object.__setattr__(self, name, value.astimezone(UTC))
        if self.start > self.end:
            raise InputError(
                f"time window: start {self.start.isoformat()} is after end "
                f"{self.end.isoformat()}; give start <= end",
                field="start",
            )


@dataclass(frozen=True)
class BBox:
    """A longitude/latitude box, WGS 84 degrees, edges included."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def __post_init__(self) -> None:
        limits = {"min_lon": 180.0, "max_lon": 180.0, "min_lat": 90.0, "max_lat": 90.0}
        for name, limit in limits.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InputError(
                    f"bbox {name}: expected a number, got {type(value).__name__}", field=name
                )
            if not math.isfinite(value) or abs(value) > limit:
                raise InputError(
                    f"bbox {name}: {value} is outside [-{limit:g}, {limit:g}]", field=name
                )
            object.__setattr__(self, name, float(value))
        if self.min_lon > self.max_lon:
            raise InputError(
                f"bbox: min_lon {self.min_lon} is greater than max_lon {self.max_lon}; "
                "give min_lon <= max_lon (boxes across the antimeridian are not supported)",
                field="min_lon",
            )
        if self.min_lat > self.max_lat:
            raise InputError(
                f"bbox: min_lat {self.min_lat} is greater than max_lat {self.max_lat}; "
                "give min_lat <= max_lat",
                field="min_lat",
            )


class Store(abc.ABC):
    """Everything Truceline keeps: sources, agreements, observations, incidents,
    determinations and pre-notifications.

    Every query returns its results in a stable order, so the same store gives the same
    answer. Use it as a context manager, or call `close()`.
    """

    @abc.abstractmethod
    def close(self) -> None:
        """Release the connections; the store cannot be used afterwards."""

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @abc.abstractmethod
    def schema_version(self) -> int:
        """The version of the last schema migration applied to this store."""

    # sources

    @abc.abstractmethod
    def upsert_sources(self, sources: Iterable[Source]) -> None:
        """Add these sources, or replace the stored ones of the same id."""

    @abc.abstractmethod
    def sources(self) -> list[Source]:
        """Every stored source, ordered by id."""

    # agreements

    @abc.abstractmethod
    def add_agreement(self, loaded: LoadedAgreement) -> bool:
        """Store one agreement version; False when that exact version is already stored.

        Raises StoreError when the same id and version is stored with different content.
        """

    @abc.abstractmethod
    def agreement(
        self, agreement_id: str | None = None, version: int | None = None
    ) -> LoadedAgreement:
        """One stored agreement version: the latest when `version` is None, the only
        agreement in the store when `agreement_id` is None."""

    @abc.abstractmethod
    def agreement_versions(self, agreement_id: str) -> list[int]:
        """The stored versions of one agreement, ascending (empty when there is none)."""

    # observations

    @abc.abstractmethod
    def add_observations(self, batch: Sequence[Observation]) -> int:
        """Store a batch in one transaction; returns how many were new (idempotent by id)."""

    @abc.abstractmethod
    def observation_count(self) -> int:
        """How many observations are stored."""

    @abc.abstractmethod
    def observations(
        self,
        *,
        window: TimeWindow | None = None,
        bbox: BBox | None = None,
        ids: Sequence[str] | None = None,
        source_id: str | None = None,
        kind: Kind | None = None,
        limit: int | None = None,
    ) -> list[Observation]:
        """Observations matching every filter given, ordered by (observed_at, id).

        `window` matches an observation whose [observed_at - uncertainty,
        observed_at + uncertainty] overlaps it.
        """

    @abc.abstractmethod
    def iter_observations(self, *, chunk_size: int = 50_000) -> Iterator[list[Observation]]:
        """Every observation, ordered by id, in lists of at most `chunk_size`."""

    # incidents

    @abc.abstractmethod
    def replace_incidents(self, remove_ids: Iterable[str], add: Sequence[Incident]) -> None:
        """In one transaction, delete these incidents and their determinations, then add
        the new ones.

        An added incident whose id is already stored (and not removed) replaces the stored
        one; its determinations are deleted unless it is unchanged.
        """

    @abc.abstractmethod
    def incidents(
        self,
        *,
        window: TimeWindow | None = None,
        bbox: BBox | None = None,
        ids: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[Incident]:
        """Incidents matching every filter given, ordered by (start, id).

        `window` matches an incident whose [start, end] overlaps it.
        """

    @abc.abstractmethod
    def incident(self, incident_id: str) -> Incident | None:
        """One incident by id, or None."""

    @abc.abstractmethod
    def incidents_containing(self, observation_ids: Sequence[str]) -> list[Incident]:
        """Incidents holding any of these observations, ordered by (start, id)."""

    @abc.abstractmethod
    def incident_count(self) -> int:
        """How many incidents are stored."""

    # determinations

    @abc.abstractmethod
    def put_determinations(self, determinations: Sequence[Determination]) -> None:
        """Add determinations, or replace the stored ones of the same id.

        Raises StoreError when the incident of one is not stored.
        """

    @abc.abstractmethod
    def determinations(
        self,
        *,
        window: TimeWindow | None = None,
        bbox: BBox | None = None,
        zone: str | None = None,
        party: str | None = None,
        attributed_to: str | None = None,
        status: Status | None = None,
        rule: str | None = None,
        agreement_id: str | None = None,
        agreement_version: int | None = None,
        clear_breach: bool | None = None,
        limit: int | None = None,
    ) -> list[Determination]:
        """Determinations matching every filter given, ordered by (incident start, id).

        `window` and `bbox` apply to the determination's incident; `party` matches a
        determination attributed to that party or on that party's side; `rule` matches the
        rules it breaks.
        """

    @abc.abstractmethod
    def determination(self, determination_id: str) -> Determination | None:
        """One determination by id, or None."""

    # pre-notifications

    @abc.abstractmethod
    def add_prenotification(self, notice: PreNotification) -> bool:
        """Store a notice; False when it is already stored.

        Raises StoreError when a different notice with the same id is stored.
        """

    @abc.abstractmethod
    def prenotifications(
        self, *, window: TimeWindow | None = None, party: str | None = None
    ) -> list[PreNotification]:
        """Notices of that party whose [starts_at, ends_at] overlaps the window, ordered by
        (starts_at, id)."""
