"""The mission's signed daily digest: the ledger head and counts, signed with Ed25519.

The digest is appended to the ledger as a `digest` entry whose payload is

    {"date": "2025-09-01", "head_seq": N, "head_sha256": "...", "counts": {...},
     "public_key": "-----BEGIN PUBLIC KEY-----...", "signature": "base64"}

where `head_seq`/`head_sha256` are the last entry before the digest, `counts` the number of
entries of each kind up to it and the rows of each recorded table, and the signature covers
the canonical JSON of the payload without `signature`. The private key comes from a file or
the environment and is never stored; the public key is stored in clear in the payload.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, func, select

from truceline.agreement.documents import canonical_json
from truceline.errors import InputError
from truceline.ledger.entry import EntryKind, LedgerEntry
from truceline.ledger.records import RECORDED
from truceline.ledger.signing import public_key_pem, sign, verify
from truceline.store import tables as t
from truceline.store.ledger_sql import append, lock_head

SIGNATURE = "signature"


def signed_bytes(payload: dict[str, Any]) -> bytes:
    """The bytes a digest's signature covers: its payload without the signature."""
    return canonical_json({k: v for k, v in payload.items() if k != SIGNATURE}).encode("utf-8")


def digest_problem(payload: Any) -> str | None:
    """Why a digest payload does not verify (malformed or a bad signature), or None."""
    if not isinstance(payload, dict):
        return "the digest is not a JSON object"
    for name in ("date", "head_seq", "head_sha256", "counts", "public_key", SIGNATURE):
        if name not in payload:
            return f"the digest has no {name!r}"
    key, signature = payload["public_key"], payload[SIGNATURE]
    if not isinstance(key, str) or not isinstance(signature, str):
        return "the digest's public key and signature must be text"
    try:
        good = verify(signed_bytes(payload), signature, key)
    except InputError as exc:
        return f"the digest's public key is invalid ({exc})"
    return None if good else "the digest's signature does not verify"


def sign_digest(conn: Connection, key: Ed25519PrivateKey, day: date) -> LedgerEntry:
    """Append the signed digest of the ledger as it stands, inside the caller's write
    transaction; returns its entry."""
    lock_head(conn)
    h = t.ledger_head
    head_seq, head_sha = conn.execute(select(h.c.seq, h.c.entry_sha256).where(h.c.id == 1)).one()
    kinds = {
        str(kind): int(n)
        for kind, n in conn.execute(select(t.ledger.c.kind, func.count()).group_by(t.ledger.c.kind))
    }
    rows = {
        r.table.name: int(conn.execute(select(func.count()).select_from(r.table)).scalar_one())
        for r in RECORDED
    }
    payload: dict[str, Any] = {
        "date": day.isoformat(),
        "head_seq": int(head_seq),
        "head_sha256": str(head_sha),
        "counts": {"entries": dict(sorted(kinds.items())), "rows": rows},
        "public_key": public_key_pem(key),
    }
    payload[SIGNATURE] = sign(signed_bytes(payload), key)
    return append(conn, [(EntryKind.DIGEST, day.isoformat(), payload)])[0]
