"""Appending to the evidence ledger inside the transaction of each change.

Every write of the store that changes the record calls `append` in its own transaction, so
the change and its ledger entries are committed together or not at all. `append` locks the
one row of `ledger_head` (SELECT ... FOR UPDATE on PostgreSQL; SQLite's write lock is already
held by BEGIN IMMEDIATE), so two writers never take the same sequence number or chain from the
same previous entry: appends are serialised, and the chain never forks.

The payload of an entry is the canonical JSON of the row as stored (`row_payload`): each value
normalised to its column's type, so that the row read back gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import BigInteger, Boolean, Connection, Double, Integer, SmallInteger, Table, select

from truceline.ledger.entry import EntryKind, LedgerEntry
from truceline.store import tables as t
from truceline.store.dialect import execute_many

WRITE_CHUNK = 50_000


def _normal(column_type: object, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column_type, Boolean):
        return bool(value)
    if isinstance(column_type, Double):
        return float(value)
    if isinstance(column_type, BigInteger | Integer | SmallInteger):
        return int(value)
    return value


def row_payload(table: Table, row: Mapping[Any, Any]) -> dict[str, Any]:
    """The row's values by column name (the table's columns only), each normalised to its
    column's type."""
    return {c.name: _normal(c.type, row[c.name]) for c in table.columns if c.name in row}


def append(conn: Connection, items: Iterable[tuple[EntryKind, str, Any]]) -> list[LedgerEntry]:
    """Append one entry per (kind, record id, payload) item, in order, after the head of the
    ledger; returns the entries. Must run inside the write transaction of the change."""
    wanted = list(items)
    if not wanted:
        return []
    h = t.ledger_head
    head = conn.execute(
        select(h.c.seq, h.c.entry_sha256).where(h.c.id == 1).with_for_update()
    ).one()
    seq, prev = int(head[0]), str(head[1])
    entries: list[LedgerEntry] = []
    for kind, record_id, payload in wanted:
        seq += 1
        entry = LedgerEntry.make(seq, kind, record_id, payload, prev)
        entries.append(entry)
        prev = entry.entry_sha256
    rows = [
        (e.seq, e.kind, e.record_id, e.payload, e.payload_sha256, e.prev_sha256, e.entry_sha256)
        for e in entries
    ]
    stmt = t.ledger.insert()
    for start in range(0, len(rows), WRITE_CHUNK):
        execute_many(conn, stmt, rows[start : start + WRITE_CHUNK])
    conn.execute(h.update().where(h.c.id == 1).values(seq=seq, entry_sha256=prev))
    return entries


def lock_head(conn: Connection) -> None:
    """Take the ledger's append lock now, before reading what the change depends on."""
    h = t.ledger_head
    conn.execute(select(h.c.seq).where(h.c.id == 1).with_for_update()).one()


def payloads(
    table: Table, kind: EntryKind, key: str, rows: Sequence[Mapping[str, Any]]
) -> list[tuple[EntryKind, str, Any]]:
    """Items for `append`: one per row, recording the row under its `key` column."""
    return [(kind, str(row[key]), row_payload(table, row)) for row in rows]
