"""Every read the service makes, in one place.

Each public method takes the `Principal` asking, so that what a principal may see is
decided here for every list, detail, count and feed event at once: `_visible_*` add the
principal's releasability filter (`truceline.access.policy`) to every query, in SQL, so
that pages and their cursors never count a hidden row. A determination has its incident's
marking; every query of determinations joins the incident. Lists are ordered by time
and id, paged by `limit` with either an `offset` or an opaque `cursor` (keyset paging:
stable while data is added).

The reads are SQLAlchemy Core queries on the store's own tables, for what the `Store`
interface does not offer (paging, confidence filters, what is not yet processed).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.exc import DBAPIError

from truceline.access.model import Principal
from truceline.access.policy import read_filter
from truceline.adjudication.determination import Determination, Status
from truceline.agreement.prenotification import PreNotification
from truceline.errors import InputError, StoreError
from truceline.fusion.incident import Incident
from truceline.observations.model import Kind, Observation
from truceline.service.schemas import AgreementInfo, AgreementVersionInfo, DeterminationOut
from truceline.store import tables as t
from truceline.store.base import BBox, TimeWindow
from truceline.store.codec import (
    OBSERVATION_COLUMNS,
    determination_from_row,
    from_us,
    incident_from_row,
    observation_from_row,
    prenotification_from_document,
    to_us,
)
from truceline.store.dialect import read_transaction, store_error
from truceline.store.sql_store import SqlStore

T = TypeVar("T")

IN_CHUNK = 5_000
_OBS_COLUMNS = [t.observations.c[name] for name in OBSERVATION_COLUMNS]


@dataclass(frozen=True)
class PageRequest:
    """Which page of a list: at most `limit` items, after `offset` items or after `cursor`."""

    limit: int
    offset: int = 0
    cursor: str | None = None

    def __post_init__(self) -> None:
        if self.cursor is not None and self.offset:
            raise InputError(
                "cursor: give either offset or cursor, not both (the cursor already says "
                "where the page starts)",
                field="cursor",
            )


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, and the cursor of the next page (None on the last)."""

    items: list[T]
    next_cursor: str | None


def encode_cursor(key: int, item_id: str) -> str:
    """The opaque cursor after the item with sort key `key` and id `item_id`."""
    raw = json.dumps([key, item_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, str]:
    """The (sort key, id) a cursor stands for; InputError when it is not one of ours."""
    bad = InputError(
        "cursor: not a cursor this service gave; use the next_cursor of a previous page unchanged",
        field="cursor",
    )
    if len(cursor) > 400:
        raise bad
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError):
        raise bad from None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or isinstance(value[0], bool)
        or not isinstance(value[0], int)
        or not isinstance(value[1], str)
    ):
        raise bad
    return value[0], value[1]


@dataclass(frozen=True)
class ObservationFilter:
    window: TimeWindow | None = None
    bbox: BBox | None = None
    source_id: str | None = None
    kind: Kind | None = None


@dataclass(frozen=True)
class AgreementVersion:
    """One version of one agreement."""

    agreement_id: str
    version: int


@dataclass(frozen=True)
class DeterminationFilter:
    window: TimeWindow | None = None
    bbox: BBox | None = None
    zone: str | None = None
    party: str | None = None
    attributed_to: str | None = None
    status: Status | None = None
    rule: str | None = None
    clear_breach: bool | None = None
    min_confidence: float | None = None
    agreement_id: str | None = None
    agreement_version: int | None = None

    @property
    def judges(self) -> bool:
        """Whether it asks anything of the determination itself (beyond its incident)."""
        return any(
            value is not None
            for value in (
                self.zone,
                self.party,
                self.attributed_to,
                self.status,
                self.rule,
                self.clear_breach,
            )
        )


@dataclass(frozen=True)
class IncidentFilter:
    window: TimeWindow | None = None
    bbox: BBox | None = None
    min_confidence: float | None = None
    judged: DeterminationFilter | None = None
    """Keep only incidents with a determination matching this (its window and bbox unused)."""


@dataclass(frozen=True)
class PreNotificationFilter:
    window: TimeWindow | None = None
    party: str | None = None
    activity: str | None = None


@dataclass(frozen=True)
class Extent:
    """How many rows a filter keeps, the box of their locations and their time span
    (None, None, None when it keeps none)."""

    count: int
    bbox: BBox | None
    start: datetime | None
    end: datetime | None


def _extent_columns() -> list[ColumnElement[Any]]:
    i = t.incidents
    return [
        func.count(),
        func.min(i.c.lon),
        func.min(i.c.lat),
        func.max(i.c.lon),
        func.max(i.c.lat),
        func.min(i.c.start_us),
        func.max(i.c.end_us),
    ]


def _after(key: ColumnElement[Any], ident: ColumnElement[Any], cursor: str) -> ColumnElement[bool]:
    value, item_id = decode_cursor(cursor)
    return or_(key > value, and_(key == value, ident > item_id))


def _page_query(
    query: Select[Any], key: ColumnElement[Any], ident: ColumnElement[Any], page: PageRequest
) -> Select[Any]:
    query = query.order_by(key, ident)
    if page.cursor is not None:
        query = query.where(_after(key, ident, page.cursor))
    elif page.offset:
        query = query.offset(page.offset)
    return query.limit(page.limit + 1)


def _paged(
    rows: Sequence[Any], page: PageRequest, key: str, ident: str
) -> tuple[list[Any], str | None]:
    if len(rows) <= page.limit:
        return list(rows), None
    kept = list(rows[: page.limit])
    last = kept[-1]._mapping
    return kept, encode_cursor(int(last[key]), str(last[ident]))


def _chunks(values: Sequence[str], size: int = IN_CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _visible(principal: Principal, marking: ColumnElement[str]) -> list[ColumnElement[bool]]:
    """The condition keeping the rows whose marking the principal may read (none for the
    cell)."""
    found = read_filter(principal)
    return [] if found is None else [found.clause(marking)]


def _incident_where(window: TimeWindow | None, bbox: BBox | None) -> list[ColumnElement[bool]]:
    i = t.incidents
    where: list[ColumnElement[bool]] = []
    if window is not None:
        where += [i.c.start_us <= to_us(window.end), i.c.end_us >= to_us(window.start)]
    if bbox is not None:
        where += [
            i.c.lon.between(bbox.min_lon, bbox.max_lon),
            i.c.lat.between(bbox.min_lat, bbox.max_lat),
        ]
    return where


def _determination_where(f: DeterminationFilter) -> list[ColumnElement[bool]]:
    d = t.determinations
    where: list[ColumnElement[bool]] = []
    if f.zone is not None:
        z = t.determination_zones
        where.append(exists().where(z.c.determination_id == d.c.id, z.c.zone == f.zone))
    if f.rule is not None:
        r = t.determination_rules
        where.append(exists().where(r.c.determination_id == d.c.id, r.c.rule == f.rule))
    if f.party is not None:
        where.append(or_(d.c.attributed_to == f.party, d.c.side == f.party))
    if f.attributed_to is not None:
        where.append(d.c.attributed_to == f.attributed_to)
    if f.status is not None:
        where.append(d.c.status == Status(f.status).value)
    if f.clear_breach is not None:
        where.append(d.c.clear_breach == bool(f.clear_breach))
    if f.min_confidence is not None:
        where.append(d.c.confidence >= f.min_confidence)
    if f.agreement_id is not None:
        where.append(d.c.agreement_id == f.agreement_id)
    if f.agreement_version is not None:
        where.append(d.c.agreement_version == f.agreement_version)
    return where


def _determination_out(row: Mapping[str, Any]) -> DeterminationOut:
    values = dict(row)
    place = {
        "start": from_us(values.pop("incident_start_us")),
        "end": from_us(values.pop("incident_end_us")),
        "lon": values.pop("incident_lon"),
        "lat": values.pop("incident_lat"),
        "releasability": values.pop("incident_releasability"),
    }
    determination = determination_from_row(values)
    return DeterminationOut(**determination.model_dump(), **place)


class Reader:
    """The reads of one service, over one SQL store."""

    def __init__(self, store: SqlStore) -> None:
        self._store = store

    @contextmanager
    def _read(self, action: str) -> Iterator[Connection]:
        try:
            with read_transaction(self._store.engine) as conn:
                yield conn
        except DBAPIError as exc:
            raise store_error(self._store.name, action, exc) from None

    # What a principal may see. Every read below goes through these.

    def _visible_observations(self, principal: Principal) -> list[ColumnElement[bool]]:
        return _visible(principal, t.observations.c.releasability)

    def _visible_incidents(self, principal: Principal) -> list[ColumnElement[bool]]:
        return _visible(principal, t.incidents.c.releasability)

    def _visible_determinations(self, principal: Principal) -> list[ColumnElement[bool]]:
        # A determination has its incident's marking: every query of determinations also
        # applies `_visible_incidents` to the incident it joins or correlates with.
        return []

    def may_see_determination(self, principal: Principal, determination: DeterminationOut) -> bool:
        """Whether a feed event about this determination may go to this principal: as
        stored now when it is still stored, else by the marking the event carries."""
        found = read_filter(principal)
        if found is None:
            return True
        d, i = t.determinations, t.incidents
        query = (
            select(i.c.releasability)
            .select_from(d.join(i, i.c.id == d.c.incident_id))
            .where(d.c.id == determination.id)
        )
        with self._read("read determinations") as conn:
            stored = conn.execute(query).scalar()
        return found.allows(stored if stored is not None else determination.releasability)

    def may_see_withdrawal(self, principal: Principal, data: Mapping[str, Any]) -> bool:
        """Whether a withdrawn event may go to this principal: by the marking its
        determination had; never when the event carries none."""
        found = read_filter(principal)
        if found is None:
            return True
        marking = data.get("releasability")
        return isinstance(marking, str) and found.allows(marking)

    # sources, agreements

    def agreements(self, principal: Principal) -> list[AgreementInfo]:
        """Every stored agreement with its versions, ordered by id and version."""
        a = t.agreements
        query = select(
            a.c.agreement_id, a.c.version, a.c.title, a.c.effective_from_us, a.c.digest
        ).order_by(a.c.agreement_id, a.c.version)
        with self._read("read agreements") as conn:
            rows = conn.execute(query).all()
        grouped: dict[str, list[AgreementVersionInfo]] = {}
        for agreement_id, version, title, effective_us, digest in rows:
            grouped.setdefault(agreement_id, []).append(
                AgreementVersionInfo(
                    version=version,
                    title=title,
                    effective_from=from_us(effective_us),
                    digest=digest,
                )
            )
        return [
            AgreementInfo(id=key, latest_version=versions[-1].version, versions=versions)
            for key, versions in grouped.items()
        ]

    # observations

    def observations(
        self, principal: Principal, f: ObservationFilter, page: PageRequest
    ) -> Page[Observation]:
        o = t.observations
        where = self._visible_observations(principal)
        if f.bbox is not None:
            where += [
                o.c.lon.between(f.bbox.min_lon, f.bbox.max_lon),
                o.c.lat.between(f.bbox.min_lat, f.bbox.max_lat),
            ]
        if f.source_id is not None:
            where.append(o.c.source_id == f.source_id)
        if f.kind is not None:
            where.append(o.c.kind == Kind(f.kind).value)
        with self._read("read observations") as conn:
            if f.window is not None:
                start, end = to_us(f.window.start), to_us(f.window.end)
                widest = conn.execute(select(func.max(o.c.half_window_us))).scalar() or 0
                where += [
                    o.c.observed_us.between(start - widest, end + widest),
                    o.c.observed_us - o.c.half_window_us <= end,
                    o.c.observed_us + o.c.half_window_us >= start,
                ]
            query = _page_query(select(*_OBS_COLUMNS).where(*where), o.c.observed_us, o.c.id, page)
            rows = conn.execute(query).all()
        kept, cursor = _paged(rows, page, "observed_us", "id")
        return Page([observation_from_row(r) for r in kept], cursor)

    def observation(self, principal: Principal, observation_id: str) -> Observation | None:
        found = self.observations_by_id(principal, [observation_id])
        return found[0] if found else None

    def observations_by_id(self, principal: Principal, ids: Sequence[str]) -> list[Observation]:
        """The stored observations among `ids`, ordered by (observed_at, id)."""
        o = t.observations
        rows: list[Any] = []
        with self._read("read observations") as conn:
            for chunk in _chunks(sorted(set(ids))):
                query = select(*_OBS_COLUMNS).where(
                    o.c.id.in_(chunk), *self._visible_observations(principal)
                )
                rows.extend(conn.execute(query).all())
        found = [observation_from_row(r) for r in rows]
        return sorted(found, key=lambda x: (x.observed_at, x.id))

    # incidents

    def _incident_conditions(
        self, principal: Principal, f: IncidentFilter
    ) -> list[ColumnElement[bool]]:
        i, d = t.incidents, t.determinations
        where = self._visible_incidents(principal) + _incident_where(f.window, f.bbox)
        if f.min_confidence is not None:
            where.append(i.c.confidence >= f.min_confidence)
        if f.judged is not None:
            where.append(
                exists().where(
                    d.c.incident_id == i.c.id,
                    *_determination_where(f.judged),
                    *self._visible_determinations(principal),
                )
            )
        return where

    def incidents(
        self, principal: Principal, f: IncidentFilter, page: PageRequest
    ) -> Page[Incident]:
        i = t.incidents
        where = self._incident_conditions(principal, f)
        query = _page_query(select(i).where(*where), i.c.start_us, i.c.id, page)
        with self._read("read incidents") as conn:
            rows = conn.execute(query).all()
        kept, cursor = _paged(rows, page, "start_us", "id")
        return Page([incident_from_row(dict(r._mapping)) for r in kept], cursor)

    def incident_extent(self, principal: Principal, f: IncidentFilter) -> Extent:
        """How many incidents `f` keeps for the principal, and where and when they lie."""
        query = (
            select(*_extent_columns())
            .select_from(t.incidents)
            .where(*self._incident_conditions(principal, f))
        )
        return self._extent(query, "read incidents")

    def _extent(self, query: Select[Any], action: str) -> Extent:
        with self._read(action) as conn:
            row = conn.execute(query).one()
        count, min_lon, min_lat, max_lon, max_lat, start_us, end_us = row
        if not count:
            return Extent(0, None, None, None)
        return Extent(
            int(count),
            BBox(min_lon, min_lat, max_lon, max_lat),
            from_us(start_us),
            from_us(end_us),
        )

    def incident(self, principal: Principal, incident_id: str) -> Incident | None:
        i = t.incidents
        query = select(i).where(i.c.id == incident_id, *self._visible_incidents(principal))
        with self._read("read incidents") as conn:
            row = conn.execute(query).mappings().first()
        return incident_from_row(dict(row)) if row is not None else None

    # determinations

    def _determination_select(self, principal: Principal) -> Select[Any]:
        d, i = t.determinations, t.incidents
        return (
            select(
                d,
                i.c.start_us.label("incident_start_us"),
                i.c.end_us.label("incident_end_us"),
                i.c.lon.label("incident_lon"),
                i.c.lat.label("incident_lat"),
                i.c.releasability.label("incident_releasability"),
            )
            .select_from(d.join(i, i.c.id == d.c.incident_id))
            .where(*self._visible_determinations(principal), *self._visible_incidents(principal))
        )

    def determinations(
        self, principal: Principal, f: DeterminationFilter, page: PageRequest
    ) -> Page[DeterminationOut]:
        d, i = t.determinations, t.incidents
        query = self._determination_select(principal).where(
            *_incident_where(f.window, f.bbox), *_determination_where(f)
        )
        query = _page_query(query, i.c.start_us, d.c.id, page)
        with self._read("read determinations") as conn:
            rows = conn.execute(query).all()
        kept, cursor = _paged(rows, page, "incident_start_us", "id")
        return Page([_determination_out(r._mapping) for r in kept], cursor)

    def determination_extent(self, principal: Principal, f: DeterminationFilter) -> Extent:
        """How many determinations `f` keeps for the principal, and where and when their
        incidents lie."""
        d, i = t.determinations, t.incidents
        query = (
            select(*_extent_columns())
            .select_from(d.join(i, i.c.id == d.c.incident_id))
            .where(
                *self._visible_determinations(principal),
                *self._visible_incidents(principal),
                *_incident_where(f.window, f.bbox),
                *_determination_where(f),
            )
        )
        return self._extent(query, "read determinations")

    def determination(self, principal: Principal, determination_id: str) -> DeterminationOut | None:
        d = t.determinations
        query = self._determination_select(principal).where(d.c.id == determination_id)
        with self._read("read determinations") as conn:
            row = conn.execute(query).mappings().first()
        return _determination_out(dict(row)) if row is not None else None

    def determinations_of(
        self, principal: Principal, incident_ids: Sequence[str]
    ) -> list[DeterminationOut]:
        """Every determination of these incidents, under any agreement version, ordered by
        (incident start, id)."""
        d = t.determinations
        rows: list[Any] = []
        with self._read("read determinations") as conn:
            for chunk in _chunks(sorted(set(incident_ids))):
                query = self._determination_select(principal).where(d.c.incident_id.in_(chunk))
                rows.extend(conn.execute(query).mappings().all())
        found = [_determination_out(dict(r)) for r in rows]
        return sorted(found, key=lambda x: (x.start, x.id))

    # pre-notifications

    def prenotifications(
        self, principal: Principal, f: PreNotificationFilter, page: PageRequest
    ) -> Page[PreNotification]:
        p = t.prenotifications
        where: list[ColumnElement[bool]] = []
        if f.window is not None:
            where += [p.c.starts_us <= to_us(f.window.end), p.c.ends_us >= to_us(f.window.start)]
        if f.party is not None:
            where.append(p.c.party == f.party)
        if f.activity is not None:
            where.append(p.c.activity == f.activity)
        query = _page_query(
            select(p.c.id, p.c.starts_us, p.c.document).where(*where), p.c.starts_us, p.c.id, page
        )
        with self._read("read pre-notifications") as conn:
            rows = conn.execute(query).all()
        kept, cursor = _paged(rows, page, "starts_us", "id")
        return Page([prenotification_from_document(r.document) for r in kept], cursor)

    def prenotification(self, notice_id: str) -> PreNotification | None:
        """One stored notice by id (for submissions: no principal)."""
        p = t.prenotifications
        with self._read("read pre-notifications") as conn:
            document = conn.execute(select(p.c.document).where(p.c.id == notice_id)).scalar()
        return prenotification_from_document(document) if document is not None else None

    # for processing: what is not yet fused, or not yet judged

    def unfused_observations(self) -> list[Observation]:
        """Observations in no incident (fusion puts every observation it saw in one)."""
        o, link = t.observations, t.incident_observations
        query = (
            select(*_OBS_COLUMNS)
            .where(~exists().where(link.c.observation_id == o.c.id))
            .order_by(o.c.id)
        )
        with self._read("read observations") as conn:
            return [observation_from_row(r) for r in conn.execute(query)]

    def unjudged_incidents(self, version: AgreementVersion) -> list[Incident]:
        """Incidents with no determination under that agreement version, by (start, id)."""
        i, d = t.incidents, t.determinations
        judged = exists().where(
            d.c.incident_id == i.c.id,
            d.c.agreement_id == version.agreement_id,
            d.c.agreement_version == version.version,
        )
        query = select(i).where(~judged).order_by(i.c.start_us, i.c.id)
        with self._read("read incidents") as conn:
            return [incident_from_row(dict(r._mapping)) for r in conn.execute(query)]

    def stored_determinations_of(self, incident_ids: Sequence[str]) -> list[Determination]:
        """Every stored determination of these incidents (for processing: no principal)."""
        d = t.determinations
        found: list[Determination] = []
        with self._read("read determinations") as conn:
            for chunk in _chunks(sorted(set(incident_ids))):
                rows = conn.execute(select(d).where(d.c.incident_id.in_(chunk))).mappings()
                found.extend(determination_from_row(dict(r)) for r in rows)
        return sorted(found, key=lambda x: x.id)

    def stored_determinations(self, version: AgreementVersion) -> list[Determination]:
        """Every stored determination under one agreement version, by id."""
        d = t.determinations
        query = (
            select(d)
            .where(
                d.c.agreement_id == version.agreement_id, d.c.agreement_version == version.version
            )
            .order_by(d.c.id)
        )
        with self._read("read determinations") as conn:
            return [determination_from_row(dict(r)) for r in conn.execute(query).mappings()]

    def stored_observation_ids(self, ids: Sequence[str]) -> set[str]:
        """Which of these observation ids are stored."""
        o = t.observations
        found: set[str] = set()
        with self._read("read observations") as conn:
            for chunk in _chunks(sorted(set(ids))):
                found.update(conn.execute(select(o.c.id).where(o.c.id.in_(chunk))).scalars())
        return found

    def agreement_ids(self) -> list[str]:
        """The ids of the stored agreements, sorted."""
        a = t.agreements
        with self._read("read agreements") as conn:
            query = select(a.c.agreement_id).distinct().order_by(a.c.agreement_id)
            return [str(x) for x in conn.execute(query).scalars()]


def check_store(store: object) -> SqlStore:
    """The store as a SqlStore: the service reads the store's tables directly."""
    if not isinstance(store, SqlStore):
        raise StoreError(
            f"the service needs a SQL store, got {type(store).__name__}; open it with open_store"
        )
    return store
