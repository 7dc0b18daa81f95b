"""The store interface, and the small query types it takes."""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING

from truceline.adjudication.determination import Determination, Status
from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.prenotification import PreNotification
from truceline.errors import InputError
from truceline.fusion.incident import Incident
from truceline.observations.model import Kind, Observation
from truceline.sources.registry import Source

if TYPE_CHECKING:
    from truceline.access.policy import ReadFilter
    from truceline.agreement.receipts import NoticeReceipt
    from truceline.response.cap import MsgType
    from truceline.response.protocol import Response
    from truceline.response.records import AlertRecord
    from truceline.response.review import ReviewAction, ReviewPolicy, ReviewState


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

    Every read that returns or counts observations, incidents or determinations takes
    `readable`: a `truceline.access.policy.ReadFilter` keeps, in SQL, only what a principal
    may read (so counts and limits are right); None (the default) reads everything, for
    Truceline's own work. A determination has its incident's marking.
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
    def observation_count(self, *, readable: ReadFilter | None = None) -> int:
        """How many observations are stored (that `readable` lets through)."""

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
        readable: ReadFilter | None = None,
    ) -> list[Observation]:
        """Observations matching every filter given, ordered by (observed_at, id).

        `window` matches an observation whose [observed_at - uncertainty,
        observed_at + uncertainty] overlaps it.
        """

    @abc.abstractmethod
    def iter_observations(
        self, *, chunk_size: int = 50_000, readable: ReadFilter | None = None
    ) -> Iterator[list[Observation]]:
        """Every observation, ordered by id, in lists of at most `chunk_size`."""

    # incidents

    @abc.abstractmethod
    def replace_incidents(self, remove_ids: Iterable[str], add: Sequence[Incident]) -> None:
        """In one transaction, delete these incidents and their determinations, then add
        the new ones.

        An added incident whose id is already stored (and not removed) replaces the stored
        one; its determinations are deleted unless it is unchanged.

        Each new incident's releasability is the most restrictive of its observations'
        (`cell` when one is not stored), or the marking set on its id before, if any.
        """

    @abc.abstractmethod
    def incidents(
        self,
        *,
        window: TimeWindow | None = None,
        bbox: BBox | None = None,
        ids: Sequence[str] | None = None,
        limit: int | None = None,
        readable: ReadFilter | None = None,
    ) -> list[Incident]:
        """Incidents matching every filter given, ordered by (start, id).

        `window` matches an incident whose [start, end] overlaps it.
        """

    @abc.abstractmethod
    def incident(self, incident_id: str, *, readable: ReadFilter | None = None) -> Incident | None:
        """One incident by id, or None (also when `readable` hides it)."""

    @abc.abstractmethod
    def incidents_containing(
        self, observation_ids: Sequence[str], *, readable: ReadFilter | None = None
    ) -> list[Incident]:
        """Incidents holding any of these observations, ordered by (start, id)."""

    @abc.abstractmethod
    def incident_count(self, *, readable: ReadFilter | None = None) -> int:
        """How many incidents are stored (that `readable` lets through)."""

    @abc.abstractmethod
    def set_incident_releasability(self, incident_id: str, marking: str | None) -> bool:
        """Set an incident's marking explicitly (its determinations follow it); None goes
        back to the marking derived from its observations. False when there is no such
        incident; InputError when `marking` is not a marking."""

    @abc.abstractmethod
    def incident_releasability(self, incident_ids: Sequence[str]) -> dict[str, str]:
        """The canonical marking of each stored incident among `incident_ids`."""

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
        readable: ReadFilter | None = None,
    ) -> list[Determination]:
        """Determinations matching every filter given, ordered by (incident start, id).

        `window` and `bbox` apply to the determination's incident; `party` matches a
        determination attributed to that party or on that party's side; `rule` matches the
        rules it breaks.
        """

    @abc.abstractmethod
    def determination(
        self, determination_id: str, *, readable: ReadFilter | None = None
    ) -> Determination | None:
        """One determination by id, or None (also when `readable` hides it)."""

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

    # the cell's workflow: review actions, alerts, responses, receipts (append-only)

    @abc.abstractmethod
    def add_review_action(
        self, action: ReviewAction, *, policy: ReviewPolicy | None = None
    ) -> tuple[ReviewState, bool]:
        """Record a review action if the incident's review allows it, in one transaction
        with the check, so that of two people acting at once only one can win.

        The action must be later than every action recorded on its incident. Returns the
        incident's state after it, and whether it was recorded now (False: this very
        action was recorded before). Raises `ReviewError` when the workflow refuses it,
        naming the field (a claim held by someone else: `actor`).
        """

    @abc.abstractmethod
    def review_actions(
        self, incident_ids: Sequence[str] | None = None, *, merged_into: bool = False
    ) -> list[ReviewAction]:
        """The actions on these incidents (every action when None), ordered by (at, id);
        with `merged_into`, also the merges of other incidents into them."""

    @abc.abstractmethod
    def add_alerts(self, records: Sequence[AlertRecord]) -> list[AlertRecord]:
        """Store alert messages not stored yet (by identifier); the ones stored now.

        Raises StoreError when a different message with a stored identifier is given.
        """

    @abc.abstractmethod
    def extend_alert_thread(
        self,
        thread: str,
        make: Callable[[list[AlertRecord], list[Response]], Sequence[AlertRecord]],
    ) -> list[AlertRecord]:
        """In one transaction, read a thread's messages and its responses, and store the
        messages `make` makes of them (a cancel, reminders); the ones stored. `make` may be
        called again when the transaction conflicts with another one: it must only compute.
        """

    @abc.abstractmethod
    def alerts(
        self,
        *,
        identifiers: Sequence[str] | None = None,
        thread: str | None = None,
        incident_id: str | None = None,
        msg_type: MsgType | None = None,
        window: TimeWindow | None = None,
        readable: ReadFilter | None = None,
    ) -> list[AlertRecord]:
        """Alert messages matching every filter given (`window` on the time sent), ordered
        by (sent, identifier)."""

    @abc.abstractmethod
    def add_response(self, response: Response) -> bool:
        """Store a member's response; False when it is stored already.

        Raises StoreError when a different response with the same id is stored.
        """

    @abc.abstractmethod
    def responses(self, alert: str) -> list[Response]:
        """The responses to one alert (its thread's identifier), ordered by (at, id)."""

    @abc.abstractmethod
    def add_prenotification_receipt(self, receipt: NoticeReceipt) -> tuple[NoticeReceipt, bool]:
        """Store a receipt of a pre-notification unless its receiver has one already;
        returns the receipt that counts (the first) and whether it is this one."""

    @abc.abstractmethod
    def prenotification_receipts(
        self, notice_ids: Sequence[str] | None = None
    ) -> list[NoticeReceipt]:
        """Receipts of these notices (of all when None), ordered by (notice id, time,
        receiver)."""
