"""One ledger entry and its hashes.

An entry records one change: its sequence number (1, 2, 3, ... without gaps), its kind, the
id of the record it changed, and the canonical JSON of the change (the payload). Its hashes:

- `payload_sha256` = SHA-256 of the payload's UTF-8 bytes;
- `entry_sha256` = SHA-256 of `prev_sha256 + "\\n" + payload_sha256 + "\\n" + seq + "\\n" + kind`
  (hex digests and the decimal sequence number, as UTF-8 text), where `prev_sha256` is the
  entry hash of the entry before it, and 64 zeros for the first entry.

Changing any byte of a payload, of a kind or of a sequence number, removing or reordering an
entry, changes every entry hash after it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from truceline.agreement.documents import canonical_json

GENESIS = "0" * 64
"""The previous hash of the first entry."""


class EntryKind(StrEnum):
    """What an entry records."""

    OBSERVATION_ACCEPTED = "observation_accepted"
    INCIDENTS_REPLACED = "incidents_replaced"
    DETERMINATION = "determination"
    REVIEW_ACTION = "review_action"
    ALERT = "alert"
    RESPONSE = "response"
    RECEIPT = "receipt"
    AGREEMENT = "agreement"
    SOURCE = "source"
    PRENOTIFICATION = "prenotification"
    DIGEST = "digest"


def sha256_hex(data: str) -> str:
    """SHA-256 (hex) of text encoded as UTF-8."""
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def entry_hash(prev_sha256: str, payload_sha256: str, seq: int, kind: str) -> str:
    """The hash chaining an entry to the one before it."""
    return sha256_hex(f"{prev_sha256}\n{payload_sha256}\n{seq}\n{kind}")


@dataclass(frozen=True)
class LedgerEntry:
    """One entry of the ledger, as stored."""

    seq: int
    kind: str
    record_id: str
    payload: str
    payload_sha256: str
    prev_sha256: str
    entry_sha256: str

    @classmethod
    def make(
        cls, seq: int, kind: EntryKind | str, record_id: str, payload: Any, prev_sha256: str
    ) -> LedgerEntry:
        """The entry after `prev_sha256` recording `payload` (a JSON value, or its canonical
        JSON text)."""
        text = payload if isinstance(payload, str) else canonical_json(payload)
        kind_value = str(EntryKind(kind))
        payload_sha = sha256_hex(text)
        return cls(
            seq=seq,
            kind=kind_value,
            record_id=record_id,
            payload=text,
            payload_sha256=payload_sha,
            prev_sha256=prev_sha256,
            entry_sha256=entry_hash(prev_sha256, payload_sha, seq, kind_value),
        )

    def as_dict(self) -> dict[str, Any]:
        """The entry as a JSON object (one line of a bundle's ledger)."""
        return {
            "seq": self.seq,
            "kind": self.kind,
            "record_id": self.record_id,
            "payload": self.payload,
            "payload_sha256": self.payload_sha256,
            "prev_sha256": self.prev_sha256,
            "entry_sha256": self.entry_sha256,
        }

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> LedgerEntry:
        """An entry from `as_dict`'s object; raises KeyError or TypeError when malformed."""
        fields = ("kind", "record_id", "payload", "payload_sha256", "prev_sha256", "entry_sha256")
        seq = value["seq"]
        if not isinstance(seq, int) or isinstance(seq, bool):
            raise TypeError(f"seq: expected a whole number, got {seq!r}")
        texts = {name: value[name] for name in fields}
        for name, text in texts.items():
            if not isinstance(text, str):
                raise TypeError(f"{name}: expected text, got {type(text).__name__}")
        return cls(seq=seq, **texts)

    def describe(self) -> str:
        """How a message names this entry: "ledger entry 12 (observation obs-1)"."""
        what = self.kind.split("_")[0] if self.kind != "incidents_replaced" else "incident"
        return f"ledger entry {self.seq} ({what} {self.record_id})"
