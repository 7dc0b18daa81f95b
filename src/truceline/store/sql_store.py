"""The store on a SQL database through SQLAlchemy Core: SQLite or PostgreSQL with PostGIS."""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import TYPE_CHECKING, Any, TypeVar

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

from truceline.access.marking import CELL, Marking, canonical_marking, meet, parse_marking
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
from truceline.ledger.entry import EntryKind
from truceline.observations.model import Kind, Observation
from truceline.response.review import DEFAULT_POLICY
from truceline.sources.registry import Source
from truceline.store import ledger_sql, workflow_sql
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
    BUSY_TIMEOUT_MS,
    copy_ignoring_existing,
    create_point_index,
    drop_point_index,
    execute_many,
    in_box,
    insert_ignoring_existing,
    is_retryable,
    lock_for_bulk_load,
    prepare_store,
    read_transaction,
    refresh_statistics,
    store_error,
    upsert,
    write_transaction,
)
from truceline.store.migrations import MIGRATIONS, Migration, current_version, migrate

if TYPE_CHECKING:
    from truceline.access.policy import ReadFilter
    from truceline.agreement.receipts import NoticeReceipt
    from truceline.response.cap import MsgType
    from truceline.response.protocol import Response
    from truceline.response.records import AlertRecord
    from truceline.response.review import ReviewAction, ReviewPolicy, ReviewState

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

T = TypeVar("T")

_RETRY_FIRST_S = 0.005
_RETRY_MAX_S = 0.5
"""Back-off between attempts of a write transaction that conflicted with another one."""


class _ConflictError(Exception):
    """A write transaction failed only because another one ran at the same time."""

    def __init__(self, error: DBAPIError) -> None:
        super().__init__(str(error))
        self.error = error


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
        create: bool = True,
        migrations: Sequence[Migration] = MIGRATIONS,
        bulk_rows: int = BULK_ROWS,
    ) -> None:
        self._engine = engine
        self._name = name
        self._bulk_rows = bulk_rows
        self._closed = False
        self._schema: str | None = None
        # Jitter of the retry back-off, so that two conflicting writers do not retry in step.
        self._jitter = random.Random(os.getpid())

        def open_(conn: Connection) -> str | None:
            schema = prepare_store(conn, name, create=create)
            migrate(conn, name, migrations, schema=schema, create=create)
            return schema

        try:
            self._schema = self._write("open the store", open_, serializable=False)
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

    @property
    def schema(self) -> str | None:
        """The PostgreSQL schema holding the store; None on SQLite."""
        return self._schema

    @contextmanager
    def _transaction(
        self, action: str, *, write: bool, serializable: bool = True
    ) -> Iterator[Connection]:
        if self._closed:
            raise StoreError(f"store {self._name!r} is closed; open it again with open_store()")
        try:
            if write:
                with write_transaction(self._engine, serializable=serializable) as conn:
                    yield conn
            else:
                with read_transaction(self._engine) as conn:
                    yield conn
        except DBAPIError as exc:
            if write and is_retryable(exc):
                raise _ConflictError(exc) from None
            raise store_error(self._name, action, exc) from None
        except (UnicodeEncodeError, OverflowError) as exc:
            raise StoreError(
                f"store {self._name!r}: cannot {action}: a value cannot be stored ({exc}); "
                "text must be valid Unicode and whole numbers within 64 bits"
            ) from None

    def _write(
        self, action: str, work: Callable[[Connection], T], *, serializable: bool = True
    ) -> T:
        """Run `work` in one write transaction and return its result; run it again when
        the transaction conflicted with another one (PostgreSQL), for up to the busy
        timeout. `work` must not change anything outside the transaction."""
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        delay = _RETRY_FIRST_S
        while True:
            try:
                with self._transaction(action, write=True, serializable=serializable) as conn:
                    return work(conn)
            except _ConflictError as conflict:
                if time.monotonic() + delay > deadline:
                    raise store_error(self._name, action, conflict.error) from None
            time.sleep(delay * (0.5 + self._jitter.random()))
            delay = min(2 * delay, _RETRY_MAX_S)

    def close(self) -> None:
        self._closed = True
        self._engine.dispose()

    def schema_version(self) -> int:
        with self._transaction("read the schema version", write=False) as conn:
            return current_version(conn, self._schema)

    # sources

    def upsert_sources(self, sources: Iterable[Source]) -> None:
        rows = {s.id: source_row(s) for s in sources}
        if not rows:
            return

        def work(conn: Connection) -> None:
            ledger_sql.lock_head(conn)
            stored = {
                r["id"]: ledger_sql.row_payload(t.sources, r)
                for r in conn.execute(
                    select(t.sources).where(t.sources.c.id.in_(sorted(rows)))
                ).mappings()
            }
            changed = [
                rows[k]
                for k in sorted(rows)
                if stored.get(k) != ledger_sql.row_payload(t.sources, rows[k])
            ]
            if changed:
                conn.execute(upsert(conn, t.sources), changed)
                ledger_sql.append(
                    conn, ledger_sql.payloads(t.sources, EntryKind.SOURCE, "id", changed)
                )

        self._write("store sources", work)

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

        def work(conn: Connection) -> bool:
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
            row = {
                "agreement_id": agreement.id,
                "version": agreement.version,
                "digest": digest,
                "title": agreement.title,
                "effective_from_us": to_us(agreement.effective_from),
                "document": document,
            }
            conn.execute(a.insert().values(**row))
            ledger_sql.append(
                conn,
                [
                    (
                        EntryKind.AGREEMENT,
                        f"{agreement.id}/v{agreement.version}",
                        ledger_sql.row_payload(a, row),
                    )
                ],
            )
            return True

        return self._write("store the agreement", work)

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
        o = t.observations
        # Rows are made in the batch's order (objects are read where they lie in memory),
        # then written in id order: the id index grows at its end, and the table is laid
        # out as iter_observations reads it. The sort is stable: of two with one id, the
        # first wins.
        with paused_gc():
            rows = [observation_values(x) for x in batch]
            rows.sort(key=itemgetter(0))

        def work(conn: Connection) -> int:
            # A large batch into a smaller table is faster to index afterwards, in one sort
            # per index, than row by row.
            rebuild = False
            if len(batch) >= self._bulk_rows:
                lock_for_bulk_load(conn, o)
                rebuild = len(batch) >= _count(conn, o)
            indexes = sorted(o.indexes, key=lambda index: str(index.name)) if rebuild else []
            for index in indexes:
                index.drop(conn)
            if rebuild:
                drop_point_index(conn, o.name)
            _record_markings(conn, {row[-1] for row in rows})  # the marking comes last
            # The ledger's lock first: no other writer adds observations until this commits,
            # so the ids found stored now are exactly those the insert skips.
            ledger_sql.lock_head(conn)
            unique = _first_of_each_id(rows)
            stored = _stored_ids(conn, o, [row[0] for row in unique])
            new = [row for row in unique if row[0] not in stored] if stored else unique
            added = 0
            if conn.dialect.name == "postgresql":
                added = copy_ignoring_existing(conn, o, new)
            else:
                stmt = insert_ignoring_existing(conn, o)
                for chunk in _chunks(new, WRITE_CHUNK):
                    added += execute_many(conn, stmt, chunk)
            ledger_sql.append(conn, _observation_entries(new))
            for index in indexes:
                index.create(conn)
            if rebuild:
                create_point_index(conn, o.name)
                refresh_statistics(conn, o)
            return added

        # Inserting with ON CONFLICT DO NOTHING needs no stronger isolation: a row another
        # writer is inserting at the same moment is waited for, then skipped.
        return self._write("store observations", work, serializable=False)

    def observation_count(self, *, readable: ReadFilter | None = None) -> int:
        o = t.observations
        with self._transaction("count observations", write=False) as conn:
            return _count(conn, o, _readable(readable, o.c.releasability))

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
        _check_limit(limit)
        o = t.observations
        where: list[ColumnElement[bool]] = _readable(readable, o.c.releasability)
        if source_id is not None:
            where.append(o.c.source_id == source_id)
        if kind is not None:
            where.append(o.c.kind == _kind(kind))
        with self._transaction("read observations", write=False) as conn:
            if bbox is not None:
                where.append(_in_box(conn, o, bbox))
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

    def iter_observations(
        self, *, chunk_size: int = 50_000, readable: ReadFilter | None = None
    ) -> Iterator[list[Observation]]:
        if isinstance(chunk_size, bool) or chunk_size < 1:
            raise InputError(
                f"chunk_size: expected a whole number >= 1, got {chunk_size!r}", field="chunk_size"
            )
        o = t.observations
        last: str | None = None
        visible = _readable(readable, o.c.releasability)
        while True:
            query = select(*_OBS_COLUMNS).where(*visible).order_by(o.c.id).limit(chunk_size)
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
        removed = set(remove_ids)
        i, links = t.incidents, t.incident_observations

        def work(conn: Connection) -> None:
            # An incident added again unchanged keeps its determinations; a changed one is
            # replaced like a removed one.
            ledger_sql.lock_head(conn)
            remove = set(removed)
            unchanged: set[str] = set()
            for chunk in _chunks(sorted(set(rows) - remove), IN_CHUNK):
                for stored in conn.execute(select(i).where(i.c.id.in_(chunk))).mappings():
                    row = rows[stored["id"]]
                    same = all(stored[name] == value for name, value in row.items())
                    (unchanged if same else remove).add(stored["id"])
            # A marking set on an incident stays with its id (the same observations).
            explicit: dict[str, str] = {}
            for chunk in _chunks(sorted(remove & set(rows)), IN_CHUNK):
                query = select(i.c.id, i.c.releasability_set).where(
                    i.c.id.in_(chunk), i.c.releasability_set.is_not(None)
                )
                explicit.update((x, m) for x, m in conn.execute(query))
            gone: list[str] = []
            present: list[str] = []
            for chunk in _chunks(sorted(remove), IN_CHUNK):
                present += conn.execute(select(i.c.id).where(i.c.id.in_(chunk))).scalars()
                dets = t.determinations
                gone += conn.execute(
                    select(dets.c.id).where(dets.c.incident_id.in_(chunk))
                ).scalars()
            for chunk in _chunks(sorted(remove), IN_CHUNK):
                _delete_determinations(conn, t.determinations.c.incident_id.in_(chunk))
                conn.execute(delete(links).where(links.c.incident_id.in_(chunk)))
                conn.execute(delete(i).where(i.c.id.in_(chunk)))
            new_ids = sorted(set(rows) - unchanged)
            derived = _derived_markings(conn, {x: incoming[x].observation_ids for x in new_ids})
            new_rows = [
                {
                    **rows[x],
                    "releasability": explicit.get(x, derived[x]),
                    "releasability_set": explicit.get(x),
                }
                for x in new_ids
            ]
            _record_markings(conn, {row["releasability"] for row in new_rows})
            new_links = [
                {"incident_id": incident_id, "observation_id": observation_id}
                for incident_id in new_ids
                for observation_id in sorted(set(incoming[incident_id].observation_ids))
            ]
            for chunk in _chunks(new_rows, WRITE_CHUNK):
                conn.execute(i.insert(), list(chunk))
            for chunk in _chunks(new_links, WRITE_CHUNK):
                conn.execute(links.insert(), list(chunk))
            ledger_sql.append(
                conn,
                [(EntryKind.DETERMINATION, x, {"determination": None}) for x in sorted(gone)]
                + [
                    (EntryKind.INCIDENTS_REPLACED, x, {"incident": None})
                    for x in sorted(set(present) - set(rows))
                ]
                + [
                    (
                        EntryKind.INCIDENTS_REPLACED,
                        row["id"],
                        {"incident": ledger_sql.row_payload(i, row)},
                    )
                    for row in new_rows
                ],
            )

        self._write("replace incidents", work)

    def incidents(
        self,
        *,
        window: TimeWindow | None = None,
        bbox: BBox | None = None,
        ids: Sequence[str] | None = None,
        limit: int | None = None,
        readable: ReadFilter | None = None,
    ) -> list[Incident]:
        _check_limit(limit)
        i = t.incidents
        with self._transaction("read incidents", write=False) as conn:
            where = _incident_filters(conn, window, bbox) + _readable(readable, i.c.releasability)
            query = select(i).where(*where).order_by(i.c.start_us, i.c.id)
            rows = _fetch(conn, query, i.c.id, ids, limit, key=_by_start_and_id)
        return [incident_from_row(dict(r._mapping)) for r in rows]

    def incident(self, incident_id: str, *, readable: ReadFilter | None = None) -> Incident | None:
        found = self.incidents(ids=[incident_id], readable=readable)
        return found[0] if found else None

    def incidents_containing(
        self, observation_ids: Sequence[str], *, readable: ReadFilter | None = None
    ) -> list[Incident]:
        i, link = t.incidents, t.incident_observations
        wanted = sorted(set(observation_ids))
        found: set[str] = set()
        with self._transaction("read incidents", write=False) as conn:
            for chunk in _chunks(wanted, IN_CHUNK):
                query = select(link.c.incident_id).where(link.c.observation_id.in_(chunk))
                found.update(conn.execute(query).scalars())
            visible = _readable(readable, i.c.releasability)
            query = select(i).where(*visible).order_by(i.c.start_us, i.c.id)
            rows = _fetch(conn, query, i.c.id, sorted(found), None, key=_by_start_and_id)
        return [incident_from_row(dict(r._mapping)) for r in rows]

    def incident_count(self, *, readable: ReadFilter | None = None) -> int:
        i = t.incidents
        with self._transaction("count incidents", write=False) as conn:
            return _count(conn, i, _readable(readable, i.c.releasability))

    def set_incident_releasability(self, incident_id: str, marking: str | None) -> bool:
        i = t.incidents
        chosen = canonical_marking(marking) if marking is not None else None

        def work(conn: Connection) -> bool:
            stored = conn.execute(
                select(i.c.observation_ids).where(i.c.id == incident_id)
            ).scalar_one_or_none()
            if stored is None:
                return False
            effective = chosen
            if effective is None:
                effective = _derived_markings(conn, {incident_id: json.loads(stored)})[incident_id]
            _record_markings(conn, {effective})
            ledger_sql.lock_head(conn)
            conn.execute(
                i.update()
                .where(i.c.id == incident_id)
                .values(releasability=effective, releasability_set=chosen)
            )
            row = conn.execute(select(i).where(i.c.id == incident_id)).mappings().one()
            ledger_sql.append(
                conn,
                [
                    (
                        EntryKind.INCIDENTS_REPLACED,
                        incident_id,
                        {"incident": ledger_sql.row_payload(i, row)},
                    )
                ],
            )
            return True

        return self._write("set the incident's releasability", work)

    def incident_releasability(self, incident_ids: Sequence[str]) -> dict[str, str]:
        i = t.incidents
        found: dict[str, str] = {}
        with self._transaction("read incidents", write=False) as conn:
            for chunk in _chunks(sorted(set(incident_ids)), IN_CHUNK):
                query = select(i.c.id, i.c.releasability).where(i.c.id.in_(chunk))
                found.update((x, m) for x, m in conn.execute(query))
        return found

    # determinations

    def put_determinations(self, determinations: Sequence[Determination]) -> None:
        latest = {d.id: d for d in determinations}
        if not latest:
            return
        ids = sorted(latest)
        incident_ids = sorted({d.incident_id for d in latest.values()})
        i, d = t.incidents, t.determinations

        def work(conn: Connection) -> None:
            ledger_sql.lock_head(conn)
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
            ledger_sql.append(
                conn,
                [
                    (
                        EntryKind.DETERMINATION,
                        row["id"],
                        {"determination": ledger_sql.row_payload(d, row)},
                    )
                    for row in rows
                ],
            )

        self._write("store determinations", work)

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
        _check_limit(limit)
        d, i = t.determinations, t.incidents
        source = d.join(i, i.c.id == d.c.incident_id)
        if zone is not None:
            z = t.determination_zones
            source = source.join(z, and_(z.c.determination_id == d.c.id, z.c.zone == zone))
        if rule is not None:
            r = t.determination_rules
            source = source.join(r, and_(r.c.determination_id == d.c.id, r.c.rule == rule))
        where: list[ColumnElement[bool]] = _readable(readable, i.c.releasability)
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
        with self._transaction("read determinations", write=False) as conn:
            where += _incident_filters(conn, window, bbox)
            query = (
                select(d, i.c.start_us.label("incident_start_us"))
                .select_from(source)
                .where(*where)
                .order_by(i.c.start_us, d.c.id)
            )
            rows = conn.execute(query.limit(limit) if limit is not None else query).mappings()
            return [_determination(r) for r in rows]

    def determination(
        self, determination_id: str, *, readable: ReadFilter | None = None
    ) -> Determination | None:
        d, i = t.determinations, t.incidents
        query = select(d).where(d.c.id == determination_id)
        if readable is not None:  # a determination has its incident's marking
            query = query.join(i, i.c.id == d.c.incident_id).where(
                readable.clause(i.c.releasability)
            )
        with self._transaction("read determinations", write=False) as conn:
            row = conn.execute(query).mappings().first()
        return determination_from_row(dict(row)) if row is not None else None

    # pre-notifications

    def add_prenotification(self, notice: PreNotification) -> bool:
        p = t.prenotifications
        row = prenotification_row(notice)

        def work(conn: Connection) -> bool:
            stored = conn.execute(select(p.c.document).where(p.c.id == notice.id)).scalar()
            if stored is not None:
                if prenotification_from_document(stored) == notice:
                    return False
                raise StoreError(
                    f"pre-notification {notice.id!r} is already stored with different content; "
                    "a notice cannot be changed: file a new one with a new id"
                )
            conn.execute(p.insert().values(**row))
            ledger_sql.append(conn, ledger_sql.payloads(p, EntryKind.PRENOTIFICATION, "id", [row]))
            return True

        return self._write("store the pre-notification", work)

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

    # the cell's workflow (truceline.store.workflow_sql)

    def add_review_action(
        self, action: ReviewAction, *, policy: ReviewPolicy | None = None
    ) -> tuple[ReviewState, bool]:
        chosen = policy or DEFAULT_POLICY

        def work(conn: Connection) -> tuple[ReviewState, bool]:
            return workflow_sql.record_review_action(conn, action, chosen)

        # Serializable: the check reads the incident's actions, the insert depends on them.
        return self._write("record the review action", work)

    def review_actions(
        self, incident_ids: Sequence[str] | None = None, *, merged_into: bool = False
    ) -> list[ReviewAction]:
        with self._transaction("read review actions", write=False) as conn:
            return workflow_sql.review_actions(conn, incident_ids, into=merged_into)

    def add_alerts(self, records: Sequence[AlertRecord]) -> list[AlertRecord]:
        if not records:
            return []

        def work(conn: Connection) -> list[AlertRecord]:
            _record_markings(conn, {r.releasability for r in records})
            return workflow_sql.insert_alerts(conn, records)

        return self._write("store alerts", work)

    def extend_alert_thread(
        self,
        thread: str,
        make: Callable[[list[AlertRecord], list[Response]], Sequence[AlertRecord]],
    ) -> list[AlertRecord]:
        def work(conn: Connection) -> list[AlertRecord]:
            made = list(
                make(
                    workflow_sql.alerts(conn, thread=thread),
                    workflow_sql.responses(conn, thread),
                )
            )
            _record_markings(conn, {r.releasability for r in made})
            return workflow_sql.insert_alerts(conn, made)

        return self._write("extend the alert thread", work)

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
        with self._transaction("read alerts", write=False) as conn:
            return workflow_sql.alerts(
                conn,
                identifiers=identifiers,
                thread=thread,
                incident_id=incident_id,
                msg_type=msg_type,
                since_us=to_us(window.start) if window is not None else None,
                until_us=to_us(window.end) if window is not None else None,
                readable=readable,
            )

    def add_response(self, response: Response) -> bool:
        return self._write(
            "store the response", lambda conn: workflow_sql.insert_response(conn, response)
        )

    def responses(self, alert: str) -> list[Response]:
        with self._transaction("read responses", write=False) as conn:
            return workflow_sql.responses(conn, alert)

    def add_prenotification_receipt(self, receipt: NoticeReceipt) -> tuple[NoticeReceipt, bool]:
        return self._write(
            "store the receipt", lambda conn: workflow_sql.insert_receipt(conn, receipt)
        )

    def prenotification_receipts(
        self, notice_ids: Sequence[str] | None = None
    ) -> list[NoticeReceipt]:
        with self._transaction("read receipts", write=False) as conn:
            return workflow_sql.receipts(conn, notice_ids)


def _stored_ids(conn: Connection, table: Table, ids: Sequence[str]) -> set[str]:
    """Which of these ids (sorted) the table holds."""
    if not ids or conn.execute(select(table.c.id).limit(1)).first() is None:
        return set()
    found: set[str] = set()
    for chunk in _chunks(ids, IN_CHUNK):
        found.update(conn.execute(select(table.c.id).where(table.c.id.in_(chunk))).scalars())
    return found


def _observation_entries(rows: Sequence[tuple[Any, ...]]) -> list[tuple[EntryKind, str, Any]]:
    """Ledger items for new observation rows (tuples in the table's column order)."""
    o = t.observations
    names = [c.name for c in o.columns]
    return [
        (
            EntryKind.OBSERVATION_ACCEPTED,
            row[0],
            ledger_sql.row_payload(o, dict(zip(names, row, strict=True))),
        )
        for row in rows
    ]


def _count(conn: Connection, table: Table, where: Sequence[ColumnElement[bool]] = ()) -> int:
    query = select(func.count()).select_from(table).where(*where)
    return int(conn.execute(query).scalar_one())


def _readable(
    readable: ReadFilter | None, marking: ColumnElement[str]
) -> list[ColumnElement[bool]]:
    """The condition keeping the rows whose marking column `readable` lets through."""
    return [] if readable is None else [readable.clause(marking)]


def _record_markings(conn: Connection, markings: Iterable[str]) -> None:
    """List the audiences of these markings in `releasability_audiences`, where the read
    filters look them up (once per marking: a marking's audiences never change)."""
    rows = sorted(
        {
            (marking, audience)
            for marking in set(markings) - {CELL}
            for audience in parse_marking(marking).audiences
        }
    )
    if rows:
        stmt = insert_ignoring_existing(conn, t.releasability_audiences)
        conn.execute(stmt, [{"marking": m, "audience": a} for m, a in rows])


def _derived_markings(
    conn: Connection, observation_ids: dict[str, Sequence[str]]
) -> dict[str, str]:
    """The marking of each incident (by id) from its observations: the most restrictive
    of theirs (`meet`), the cell's when one of them is not stored."""
    result = dict.fromkeys(observation_ids, CELL)
    o = t.observations
    # Markings other than the cell's, looked up only when the store holds any.
    wider = or_(o.c.releasability < CELL, o.c.releasability > CELL)
    if not observation_ids or conn.execute(select(o.c.id).where(wider).limit(1)).first() is None:
        return result
    wanted = sorted({x for ids in observation_ids.values() for x in ids})
    found: dict[str, str] = {}
    for chunk in _chunks(wanted, IN_CHUNK):
        query = select(o.c.id, o.c.releasability).where(o.c.id.in_(chunk), wider)
        found.update((x, m) for x, m in conn.execute(query))
    parsed: dict[str, Marking] = {}
    for incident_id, ids in observation_ids.items():
        if not ids or any(x not in found for x in ids):
            continue
        markings = {found[x] for x in ids}
        for marking in markings - set(parsed):
            parsed[marking] = parse_marking(marking)
        result[incident_id] = str(meet(parsed[m] for m in markings))
    return result


def _in_box(conn: Connection, table: Table, bbox: BBox) -> ColumnElement[bool]:
    return in_box(conn.dialect.name, table, bbox.min_lon, bbox.min_lat, bbox.max_lon, bbox.max_lat)


def _incident_filters(
    conn: Connection, window: TimeWindow | None, bbox: BBox | None
) -> list[ColumnElement[bool]]:
    i = t.incidents
    where: list[ColumnElement[bool]] = []
    if window is not None:
        where += [i.c.start_us <= to_us(window.end), i.c.end_us >= to_us(window.start)]
    if bbox is not None:
        where.append(_in_box(conn, i, bbox))
    return where


def _first_of_each_id(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows sorted by id (first column), keeping the first of each id."""
    out: list[tuple[Any, ...]] = []
    last: object = object()
    for row in rows:
        if row[0] != last:
            out.append(row)
            last = row[0]
    return out


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
