"""Verifying a store against its ledger, and a bundle on its own.

`verify_store` recomputes the whole chain, checks every digest signature, that the head row
names the last entry, and that every row of every recorded table equals the payload of the
latest entry for its record (and that no record the ledger holds is missing). It names the
first entry or row that does not: "ledger entry 1234 (observation obs-1): payload hash does
not match".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, select

from truceline.agreement.documents import canonical_json
from truceline.ledger.chain import check_chain
from truceline.ledger.digest import digest_problem
from truceline.ledger.entry import GENESIS, EntryKind, LedgerEntry, sha256_hex
from truceline.ledger.records import RECORDED
from truceline.store import tables as t
from truceline.store.dialect import read_transaction

READ_CHUNK = 50_000
MAX_PROBLEMS = 20


@dataclass
class Verification:
    """What verification found: the problems (the first names where it broke), and how many
    entries, digests and rows it checked."""

    problems: list[str] = field(default_factory=list)
    entries: int = 0
    digests: int = 0
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, problem: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)


def _entries(conn: Connection) -> Iterator[LedgerEntry]:
    lg = t.ledger
    last = 0
    while True:
        rows = conn.execute(
            select(lg).where(lg.c.seq > last).order_by(lg.c.seq).limit(READ_CHUNK)
        ).all()
        for row in rows:
            m = row._mapping
            yield LedgerEntry(
                seq=int(m["seq"]),
                kind=str(m["kind"]),
                record_id=str(m["record_id"]),
                payload=str(m["payload"]),
                payload_sha256=str(m["payload_sha256"]),
                prev_sha256=str(m["prev_sha256"]),
                entry_sha256=str(m["entry_sha256"]),
            )
        if len(rows) < READ_CHUNK:
            return
        last = int(rows[-1]._mapping["seq"])


def check_digest(entry: LedgerEntry) -> str | None:
    """Why a digest entry does not verify, or None."""
    try:
        payload = json.loads(entry.payload)
    except ValueError:
        return f"{entry.describe()}: the digest is not valid JSON"
    problem = digest_problem(payload)
    if problem is not None:
        return f"{entry.describe()}: {problem}"
    if payload["head_seq"] != entry.seq - 1 or payload["head_sha256"] != entry.prev_sha256:
        return f"{entry.describe()}: the digest does not name the entry before it as the head"
    return None


def verify_store(engine: Engine) -> Verification:
    """Verify a store (its engine) against its ledger, in one read snapshot."""
    result = Verification()
    latest: dict[tuple[str, str], tuple[int, str, str]] = {}
    with read_transaction(engine) as conn:
        last_seq, last_hash = 0, GENESIS
        chain_broken = False
        entries = _entries(conn)

        def counted() -> Iterator[LedgerEntry]:
            nonlocal last_seq, last_hash
            for entry in entries:
                result.entries += 1
                latest[(entry.kind, entry.record_id)] = (
                    entry.seq,
                    entry.payload_sha256,
                    entry.payload,
                )
                if entry.kind == EntryKind.DIGEST:
                    result.digests += 1
                    problem = check_digest(entry)
                    if problem is not None:
                        result.add(problem)
                last_seq, last_hash = entry.seq, entry.entry_sha256
                yield entry

        broken = check_chain(counted())
        if broken is not None:
            chain_broken = True
            result.problems.insert(0, broken.message)
            for _ in entries:  # count the rest
                result.entries += 1
        h = t.ledger_head
        head = conn.execute(select(h.c.seq, h.c.entry_sha256).where(h.c.id == 1)).first()
        if not chain_broken and (
            head is None or (int(head[0]), str(head[1])) != (last_seq, last_hash)
        ):
            result.add(
                f"the ledger head row names entry {head[0] if head else None} but the last "
                f"entry is {last_seq}; entries were removed or the head was changed"
            )
        for recorded in RECORDED:
            seen: set[str] = set()
            for row in conn.execute(select(recorded.table)).mappings():
                result.rows += 1
                record_id = recorded.record_id(row)
                seen.add(record_id)
                found = latest.get((recorded.kind.value, record_id))
                if found is None:
                    result.add(f"{recorded.noun} {record_id}: the stored row is in no ledger entry")
                    continue
                seq, payload_sha, _ = found
                if sha256_hex(canonical_json(recorded.payload(row))) != payload_sha:
                    result.add(
                        f"{recorded.noun} {record_id}: the stored row does not match ledger "
                        f"entry {seq}"
                    )
            for (kind, record_id), (seq, _, payload) in latest.items():
                if kind != recorded.kind.value or record_id in seen:
                    continue
                try:
                    removed = recorded.removed(json.loads(payload))
                except ValueError:
                    removed = False
                if not removed:
                    result.add(
                        f"{recorded.noun} {record_id}: recorded by ledger entry {seq} but "
                        "missing from the store"
                    )
    return result
