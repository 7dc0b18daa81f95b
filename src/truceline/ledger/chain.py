"""Verifying a sequence of ledger entries, with no database: pure functions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from truceline.ledger.entry import GENESIS, EntryKind, LedgerEntry, entry_hash, sha256_hex

_KINDS = frozenset(k.value for k in EntryKind)


@dataclass(frozen=True)
class ChainProblem:
    """The first entry that does not verify, and why."""

    seq: int
    message: str

    def __str__(self) -> str:
        return self.message


def check_chain(
    entries: Iterable[LedgerEntry], *, first_seq: int = 1, first_prev: str = GENESIS
) -> ChainProblem | None:
    """Check entries in order: sequence numbers run from `first_seq` without gaps, each
    payload hashes to its payload hash, each entry's previous hash is the entry hash before
    it (`first_prev` for the first) and its entry hash is recomputed. Returns the first
    problem, or None when the whole sequence verifies."""
    expected_seq, prev = first_seq, first_prev
    for entry in entries:
        where = entry.describe()
        if entry.seq != expected_seq:
            return ChainProblem(
                entry.seq,
                f"{where}: expected sequence number {expected_seq}; an entry is missing, "
                "duplicated or out of order",
            )
        if entry.kind not in _KINDS:
            return ChainProblem(entry.seq, f"{where}: unknown kind {entry.kind!r}")
        if sha256_hex(entry.payload) != entry.payload_sha256:
            return ChainProblem(entry.seq, f"{where}: payload hash does not match")
        if entry.prev_sha256 != prev:
            return ChainProblem(
                entry.seq, f"{where}: previous hash does not match the entry before it"
            )
        if entry_hash(prev, entry.payload_sha256, entry.seq, entry.kind) != entry.entry_sha256:
            return ChainProblem(entry.seq, f"{where}: entry hash does not match")
        expected_seq, prev = expected_seq + 1, entry.entry_sha256
    return None


def build_chain(
    items: Iterable[tuple[EntryKind | str, str, object]],
    *,
    first_seq: int = 1,
    first_prev: str = GENESIS,
) -> list[LedgerEntry]:
    """Entries recording (kind, record id, payload) items in order, chained after
    `first_prev`."""
    out: list[LedgerEntry] = []
    seq, prev = first_seq, first_prev
    for kind, record_id, payload in items:
        entry = LedgerEntry.make(seq, kind, record_id, payload, prev)
        out.append(entry)
        seq, prev = seq + 1, entry.entry_sha256
    return out
