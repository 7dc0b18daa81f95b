"""The store on a SQL database through SQLAlchemy Core: SQLite now, PostgreSQL later."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Row,
    Select,
    Table,
    and_,
    delete,
    func,
    or_,
    select,
)
from sqlalchemy.exc import DBAPIError

from truceline.adjudication.determination import Determination, Status
from truceline.agreement.documents import canonical_json
from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.loader import (
    agreement_digest,
    agreement_document,
    agreement_from_document,
)
from truceline.agreement.prenotification import PreNotification
from truceline.errors import InputError, StoreError
from truceline.fusion.incident import Incident
from truceline.observations.model import Kind, Observation
from truceline.sources.registry import Source
from truceline.store import tables as t
from truceline.store.base import BBox, Store, TimeWindow
from truceline.store.codec import (
    OBSERVATION_COLUMNS,
    determination_from_row,
    determination_row,
    incident_from_row,
    incident_row,
    observation_from_row,
    observation_values,
    paused_gc,
    prenotification_from_document,
    prenotification_row,
    source_from_row,
    source_row,
    to_us,
)
from truceline.store.dialect import (
    execute_many,
    insert_ignoring_existing,
    read_transaction,
    refresh_statistics,
    store_error,
    upsert,
    write_transaction,
)
from truceline.store.migrations import MIGRATIONS, Migration, current_version, migrate

WRITE_CHUNK = 50_000
"""Rows per executemany call when writing large batches."""

BULK_ROWS = 100_000
"""A batch at least this large, and at least as large as the table, is indexed after it is
written rather than row by row."""

IN_CHUNK = 5_000
"""Values per IN (...) list, well below the bound-parameter limits of SQLite and PostgreSQL."""

_OBS_COLUMNS = [t.observations.c[name] for name in OBSERVATION_COLUMNS]
_OBS_ID = OBSERVATION_COLUMNS.index("id")
_OBS_TIME = OBSERVATION_COLUMNS.index("observed_us")


def _chunks(values: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _check_limit(limit: int | None) -> None:
    if limit is not None and (isinstance(limit, bool) or limit < 0):
        raise InputError(f"limit: expected a whole number >= 0, got {limit!r}", field="limit")


def _kind(kind: Kind | str) -> str:
    try:
        return Kind(kind).value
    except ValueError:
        raise InputError(
            f"kind: unknown observation kind {kind!r}; expected one of "
            f"{', '.join(k.value for k in Kind)}",
            field="kind",
        ) from None


def _status(status: Status | str) -> str:
    try:
        return Status(status).value
    except ValueError:
        raise InputError(
            f"status: unknown status {status!r}; expected one of "
            f"{', '.join(s.value for s in Status)}",
            field="status",
        ) from None


class SqlStore(Store):
    """A store on a SQLAlchemy engine; opening it migrates its schema forward."""

    def __init__(
        self,
        engine: Engine,
        name: str,
        *,
        migrations: Sequence[Migration] = MIGRATIONS,
        bulk_rows: int = BULK_ROWS,
    ) -> None:
        self._engine = engine
        self._name = name
        self._bulk_rows = bulk_rows
        self._closed = False
        try:
            with self._transaction("open the store", write=True) as conn:
                migrate(conn, name, migrations)
        except BaseException:
            self.close()
            raise

    @property
    def name(self) -> str:
        """The path or URL the store was opened with."""
        return self._name

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, for queries this interface does not offer."""
        return self._engine

    def __repr__(self) -> str:
        return f"SqlStore({self._name!r})"

    @contextmanager
    def _transaction(self, action: str, *, write: bool) -> Iterator[Connection]:
        if self._closed:
            raise StoreError(f"store {self._name!r} is closed; open it again with open_store()")
        begin = write_transaction if write else read_transaction
        try:
            with begin(self._engine) as conn:
                yield conn
        except DBAPIError as exc:
            raise store_error(self._name, action, exc) from None
        except (UnicodeEncodeError, OverflowError) as exc:
            raise StoreError(
                f"store {self._name!r}: cannot {action}: a value cannot be stored ({exc}); "
                "text must be valid Unicode and whole numbers within 64 bits"
            ) from None

    def close(self) -> None:
        self._closed = True
        self._engine.dispose()

    def schema_version(self) -> int:
        with self._transaction("read the schema version", write=False) as conn:
            return current_version(conn)

    # sources

    def upsert_sources(self, sources: Iterable[Source]) -> None:
        rows = {s.id: source_row(s) for s in sources}
        if not rows:
            return
        with self._transaction("store sources", write=True) as conn:
            conn.execute(upsert(conn, t.sources), [rows[k] for k in sorted(rows)])

    def sources(self) -> list[Source]:
        with self._transaction("read sources", write=False) as conn:
            rows = conn.execute(select(t.sources).order_by(t.sources.c.id)).mappings().all()
        return [source_from_row(dict(r)) for r in rows]

    # agreements

    def add_agreement(self, loaded: LoadedAgreement) -> bool:
        agreement = loaded.agreement
        document = canonical_json(agreement_document(loaded))
        digest = agreement_digest(loaded)
        a = t.agreements
        with self._transaction("store the agreement", write=True) as conn:
            stored = conn.execute(
                select(a.c.digest).where(
                    a.c.agreement_id == agreement.id, a.c.version == agreement.version
                )
            ).scalar_one_or_none()
            if stored == digest:
                return False
            if stored is not None:
                raise StoreError(
                    f"agreement {agreement.id!r} version {agreement.version} is already stored "
                    f"with different content (stored digest {stored}, new {digest}); give the "
                    "amendment a new version number"
                )
            conn.execute(
                a.insert().values(
                    agreement_id=agreement.id,
                    version=agreement.version,
                    digest=digest,
                    title=agreement.title,
                    effective_from_us=to_us(agreement.effective_from),
                    document=document,
                )
            )
        return True

    def agreement(
        self, agreement_id: str | None = None, version: int | None = None
    ) -> LoadedAgreement:
        a = t.agreements
        with self._transaction("read the agreement", write=False) as conn:
            if agreement_id is None:
                ids = list(
                    conn.execute(select(a.c.agreement_id).distinct().order_by(a.c.agreement_id))
                    .scalars()
                    .all()
                )
                if not ids:
                    raise StoreError(
                        f"store {self._name!r} holds no agreement; load an agreement into it first"
                    )
                if len(ids) > 1:
                    raise StoreError(
                        f"store {self._name!r} holds several agreements ({', '.join(ids)}); "
                        "name the one you want"
                    )
                agreement_id = ids[0]
            versions = self._versions(conn, agreement_id)
            if not versions:
                raise StoreError(
                    f"store {self._name!r} holds no agreement {agreement_id!r}; load it first"
                )
            if version is None:
                version = versions[-1]
            elif version not in versions:
                raise StoreError(
                    f"agreement {agreement_id!r} has no version {version} in store "
                    f"{self._name!r}; stored versions: {', '.join(map(str, versions))}"
                )
            document = conn.execute(
                select(a.c.document).where(a.c.agreement_id == agreement_id, a.c.version == version)
            ).scalar_one()
        return agreement_from_document(json.loads(document))

    def agreement_versions(self, agreement_id: str) -> list[int]:
        with self._transaction("read agreement versions", write=False) as conn:
            return self._versions(conn, agreement_id)

    @staticmethod
    def _versions(conn: Connection, agreement_id: str) -> list[int]:
        a = t.agreements
        query = select(a.c.version).where(a.c.agreement_id == agreement_id).order_by(a.c.version)
        return [int(v) for v in conn.execute(query).scalars()]

    # observations

    def add_observations(self, batch: Sequence[Observation]) -> int:
        if not batch:
            return 0
        added = 0
        o = t.observations
        with self._transaction("store observations", write=True) as conn:
            # A large batch into a smaller table is faster to index afterwards, in one sort
            # per index, than row by row.
            rebuild = len(batch) >= self._bulk_rows and len(batch) >= _count(conn, o)
            indexes = sorted(o.indexes, key=lambda index: str(index.name)) if rebuild else []
            for index in indexes:
                index.drop(conn)
            # Rows are made in the batch's order (objects are read where they lie in memory),
            # then written in id order: the id index grows at its end, and the table is laid
            # out as iter_observations reads it. The sort is stable: of two with one id, the
            # first wins.
            with paused_gc():
                rows = [observation_values(x) for x in batch]
                rows.sort(key=itemgetter(0))
            stmt = insert_ignoring_existing(conn, o)
            for chunk in _chunks(rows, WRITE_CHUNK):
                added += execute_many(conn, stmt, chunk)
            for index in indexes:
                index.create(conn)
            if rebuild:
                refresh_statistics(conn, o)
        return added

    def observation_count(self) -> int:
        with self._transaction("count observations", write=False) as conn:
            return _count(conn, t.observations)

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
        _check_limit(limit)
        o = t.observations
        where: list[ColumnElement[bool]] = []
        if bbox is not None:
            where += [
                o.c.lon.between(bbox.min_lon, bbox.max_lon),
                o.c.lat.between(bbox.min_lat, bbox.max_lat),
            ]
        if source_id is not None:
            where.append(o.c.source_id == source_id)
        if kind is not None:
            where.append(o.c.kind == _kind(kind))
        with self._transaction("read observations", write=False) as conn:
            if window is not None:
                start, end = to_us(window.start), to_us(window.end)
                # The widest half-window bounds the search on the time index.
                widest = conn.execute(select(func.max(o.c.half_window_us))).scalar() or 0
                where += [
                    o.c.observed_us.between(start - widest, end + widest),
                    o.c.observed_us - o.c.half_window_us <= end,
                    o.c.observed_us + o.c.half_window_us >= start,
                ]
            query = select(*_OBS_COLUMNS).where(*where).order_by(o.c.observed_us, o.c.id)
            with paused_gc():
                rows = _fetch(conn, query, o.c.id, ids, limit, key=_by_time_and_id)
                return [observation_from_row(r) for r in rows]

    def iter_observations(self, *, chunk_size: int = 50_000) -> Iterator[list[Observation]]:
        if isinstance(chunk_size, bool) or chunk_size < 1:
            raise InputError(
                f"chunk_size: expected a whole number >= 1, got {chunk_size!r}", field="chunk_size"
            )
        o = t.observations
        last: str | None = None
        while True:
            query = select(*_OBS_COLUMNS).order_by(o.c.id).limit(chunk_size)
            if last is not None:
                query = query.where(o.c.id > last)
            with self._transaction("read observations", write=False) as conn, paused_gc():
                rows = conn.execute(query).all()
                chunk = [observation_from_row(r) for r in rows]
            if not rows:
                return
            last = rows[-1][_OBS_ID]
            yield chunk
            if len(rows) < chunk_size:
                return

    # incidents

    def replace_incidents(self, remove_ids: Iterable[str], add: Sequence[Incident]) -> None:
        incoming: dict[str, Incident] = {}
        rows: dict[str, dict[str, Any]] = {}
        for incident in add:
            row = incident_row(incident)
            if incident.id in rows and rows[incident.id] != row:
                raise StoreError(
                    f"incident {incident.id!r} is given twice with different content; an "
                    "incident id names one set of observations"
                )
            incoming[incident.id], rows[incident.id] = incident, row
        remove = set(remove_ids)
        i, links = t.incidents, t.incident_observations
        with self._transaction("replace incidents", write=True) as conn:
            # An incident added again unchanged keeps its determinations; a changed one is
            # replaced like a removed one.
            unchanged: set[str] = set()
            for chunk in _chunks(sorted(set(rows) - remove), IN_CHUNK):
                for stored in conn.execute(select(i).where(i.c.id.in_(chunk))).mappings():
                    same = dict(stored) == rows[stored["id"]]
                    (unchanged if same else remove).add(stored["id"])
            for chunk in _chunks(sorted(remove), IN_CHUNK):
                _delete_determinations(conn, t.determinations.c.incident_id.in_(chunk))
                conn.execute(delete(links).where(links.c.incident_id.in_(chunk)))
                conn.execute(delete(i).where(i.c.id.in_(chunk)))
            new_ids = sorted(set(rows) - unchanged)
            new_links = [
                {"incident_id": incident_id, "observation_id": observation_id}
                for incident_id in new_ids
                for observation_id in sorted(set(incoming[incident_id].observation_ids))
            ]
            for chunk in _chunks([rows[x] for x in new_ids], WRITE_CHUNK):
                conn.execute(i.insert(), list(chunk))
            for chunk in _chunks(new_links, WRITE_CHUNK):
                conn.execute(links.insert(), list(chunk))

    def incidents(
        self,
        *,
        window: TimeWindow | None = None,
        bbox: BBox | None = None,
        ids: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[Incident]:
        _check_limit(limit)
        i = t.incidents
        query = select(i).where(*_incident_filters(window, bbox)).order_by(i.c.start_us, i.c.id)
        with self._transaction("read incidents", write=False) as conn:
            rows = _fetch(conn, query, i.c.id, ids, limit, key=_by_start_and_id)
        return [incident_from_row(dict(r._mapping)) for r in rows]

    def incident(self, incident_id: str) -> Incident | None:
        found = self.incidents(ids=[incident_id])
        return found[0] if found else None

    def incidents_containing(self, observation_ids: Sequence[str]) -> list[Incident]:
        i, link = t.incidents, t.incident_observations
        wanted = sorted(set(observation_ids))
        found: set[str] = set()
        with self._transaction("read incidents", write=False) as conn:
            for chunk in _chunks(wanted, IN_CHUNK):
                query = select(link.c.incident_id).where(link.c.observation_id.in_(chunk))
                found.update(conn.execute(query).scalars())
            query = select(i).order_by(i.c.start_us, i.c.id)
            rows = _fetch(conn, query, i.c.id, sorted(found), None, key=_by_start_and_id)
        return [incident_from_row(dict(r._mapping)) for r in rows]

    def incident_count(self) -> int:
        with self._transaction("count incidents", write=False) as conn:
            return _count(conn, t.incidents)

    # determinations

    def put_determinations(self, determinations: Sequence[Determination]) -> None:
        latest = {d.id: d for d in determinations}
        if not latest:
            return
        ids = sorted(latest)
        incident_ids = sorted({d.incident_id for d in latest.values()})
        i, d = t.incidents, t.determinations
        with self._transaction("store determinations", write=True) as conn:
            stored: set[str] = set()
            for chunk in _chunks(incident_ids, IN_CHUNK):
                stored.update(conn.execute(select(i.c.id).where(i.c.id.in_(chunk))).scalars())
            missing = [x for x in incident_ids if x not in stored]
            if missing:
                first = next(x for x in ids if latest[x].incident_id == missing[0])
                raise StoreError(
                    f"determination {first!r}: its incident {missing[0]!r} is not stored "
                    f"({len(missing)} incident(s) missing); store incidents before their "
                    "determinations"
                )
            for chunk in _chunks(ids, IN_CHUNK):
                _delete_determinations(conn, d.c.id.in_(chunk))
            rows = [determination_row(latest[x]) for x in ids]
            zones = [
                {"determination_id": x, "zone": z}
                for x in ids
                for z in sorted(set(latest[x].zones))
            ]
            rules = [
                {"determination_id": x, "rule": r}
                for x in ids
                for r in sorted(set(latest[x].rules))
            ]
            for table, batch in (
                (d, rows),
                (t.determination_zones, zones),
                (t.determination_rules, rules),
            ):
                for chunk in _chunks(batch, WRITE_CHUNK):
                    conn.execute(table.insert(), list(chunk))

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
        _check_limit(limit)
        d, i = t.determinations, t.incidents
        source = d.join(i, i.c.id == d.c.incident_id)
        if zone is not None:
            z = t.determination_zones
            source = source.join(z, and_(z.c.determination_id == d.c.id, z.c.zone == zone))
        if rule is not None:
            r = t.determination_rules
            source = source.join(r, and_(r.c.determination_id == d.c.id, r.c.rule == rule))
        where = _incident_filters(window, bbox)
        if party is not None:
            where.append(or_(d.c.attributed_to == party, d.c.side == party))
        if attributed_to is not None:
            where.append(d.c.attributed_to == attributed_to)
        if status is not None:
            where.append(d.c.status == _status(status))
        if agreement_id is not None:
            where.append(d.c.agreement_id == agreement_id)
        if agreement_version is not None:
            where.append(d.c.agreement_version == agreement_version)
        if clear_breach is not None:
            where.append(d.c.clear_breach == bool(clear_breach))
        query = (
            select(d, i.c.start_us.label("incident_start_us"))
            .select_from(source)
            .where(*where)
            .order_by(i.c.start_us, d.c.id)
        )
        with self._transaction("read determinations", write=False) as conn:
            rows = conn.execute(query.limit(limit) if limit is not None else query).mappings()
            return [_determination(r) for r in rows]

    def determination(self, determination_id: str) -> Determination | None:
        d = t.determinations
        with self._transaction("read determinations", write=False) as conn:
            row = conn.execute(select(d).where(d.c.id == determination_id)).mappings().first()
        return determination_from_row(dict(row)) if row is not None else None

    # pre-notifications

    def add_prenotification(self, notice: PreNotification) -> bool:
        p = t.prenotifications
        with self._transaction("store the pre-notification", write=True) as conn:
            stored = conn.execute(select(p.c.document).where(p.c.id == notice.id)).scalar()
            if stored is not None:
                if prenotification_from_document(stored) == notice:
                    return False
                raise StoreError(
                    f"pre-notification {notice.id!r} is already stored with different content; "
                    "a notice cannot be changed: file a new one with a new id"
                )
            conn.execute(p.insert().values(**prenotification_row(notice)))
        return True

    def prenotifications(
        self, *, window: TimeWindow | None = None, party: str | None = None
    ) -> list[PreNotification]:
        p = t.prenotifications
        where: list[ColumnElement[bool]] = []
        if window is not None:
            where += [p.c.starts_us <= to_us(window.end), p.c.ends_us >= to_us(window.start)]
        if party is not None:
            where.append(p.c.party == party)
        query = select(p.c.document).where(*where).order_by(p.c.starts_us, p.c.id)
        with self._transaction("read pre-notifications", write=False) as conn:
            documents = conn.execute(query).scalars().all()
        return [prenotification_from_document(doc) for doc in documents]


def _count(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _incident_filters(window: TimeWindow | None, bbox: BBox | None) -> list[ColumnElement[bool]]:
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


def _by_time_and_id(row: Row[Any]) -> tuple[int, str]:
    return row[_OBS_TIME], row[_OBS_ID]


def _by_start_and_id(row: Row[Any]) -> tuple[int, str]:
    return row._mapping["start_us"], row._mapping["id"]


def _determination(row: Any) -> Determination:
    values = dict(row)
    del values["incident_start_us"]
    return determination_from_row(values)


def _delete_determinations(conn: Connection, which: ColumnElement[bool]) -> None:
    d = t.determinations
    doomed = select(d.c.id).where(which).scalar_subquery()
    for link in (t.determination_zones, t.determination_rules):
        conn.execute(delete(link).where(link.c.determination_id.in_(doomed)))
    conn.execute(delete(d).where(which))


def _fetch(
    conn: Connection,
    query: Select[Any],
    id_column: ColumnElement[str],
    ids: Sequence[str] | None,
    limit: int | None,
    *,
    key: Callable[[Any], Any],
) -> list[Row[Any]]:
    """Rows of an ordered query, restricted to `ids` when given (in chunks), then limited."""
    if ids is None:
        return list(conn.execute(query.limit(limit) if limit is not None else query))
    wanted = sorted(set(ids))
    rows: list[Row[Any]] = []
    for chunk in _chunks(wanted, IN_CHUNK):
        part = query.where(id_column.in_(chunk))
        rows.extend(conn.execute(part.limit(limit) if limit is not None else part))
    if len(wanted) > IN_CHUNK:
        rows.sort(key=key)
    return rows if limit is None else rows[:limit]
