"""The self-contained bundle a party verifies offline.

A bundle is a zip holding:

- `manifest.json`: format, version, the slice (first and last sequence number, the
  previous hash of the first entry), counts, and the SHA-256 of every other member;
- `ledger.jsonl`: the entries of the slice, one JSON object a line, in order;
- `public_keys.json`: the public keys that signed the digests of the slice;
- `digests.json`: the payloads of the digest entries of the slice;
- `records.jsonl`: the records the slice refers to, as stored (canonical JSON), each with
  the sequence number of its latest entry; records changed again after the slice are left
  to a later bundle.

`verify_bundle` checks it with nothing but the file: member hashes, the chain from the first
entry's previous hash, every digest signature, and every record against its entry.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from truceline.agreement.documents import canonical_json
from truceline.errors import InputError
from truceline.ledger.chain import check_chain
from truceline.ledger.entry import EntryKind, LedgerEntry, sha256_hex
from truceline.ledger.records import BY_KIND
from truceline.ledger.verify import Verification, check_digest
from truceline.store import tables as t
from truceline.store.dialect import read_transaction

FORMAT = "truceline-ledger-bundle"
VERSION = 1
MEMBERS = ("ledger.jsonl", "public_keys.json", "digests.json", "records.jsonl")
MAX_MEMBER_BYTES = 2 * 1024**3
"""The largest member a bundle may hold, uncompressed."""
MAX_RATIO = 200
"""The largest compression ratio of a member: more is taken for a zip bomb."""


@dataclass(frozen=True)
class Slice:
    """Which entries a bundle holds: sequence numbers first..last."""

    first: int
    last: int


def choose_slice(engine: Engine, since: date | None, until: date | None) -> Slice:
    """The entries from the first after the last digest dated before `since` (or the
    first entry) to the digest dated `until` (or the last entry)."""
    lg = t.ledger
    with read_transaction(engine) as conn:
        digests = [
            (str(day), int(seq))
            for seq, day in conn.execute(
                select(lg.c.seq, lg.c.record_id).where(lg.c.kind == EntryKind.DIGEST.value)
            )
        ]
        head = int(conn.execute(select(t.ledger_head.c.seq)).scalar_one())
    first, last = 1, head
    if since is not None:
        before = [seq for day, seq in digests if day < since.isoformat()]
        first = max(before) + 1 if before else 1
    if until is not None:
        at = [seq for day, seq in digests if day <= until.isoformat()]
        if not at:
            raise InputError(
                f"until: no digest is dated {until.isoformat()} or earlier; sign one with "
                "'truceline ledger sign-digest' or leave --until out",
                field="until",
            )
        last = max(at)
    if last < first:
        raise InputError(
            f"since: the slice from {since} to {until} holds no entries", field="since"
        )
    return Slice(first, last)


def export_bundle(engine: Engine, out: Path, part: Slice) -> dict[str, Any]:
    """Write the bundle of a slice to `out`; returns its manifest."""
    lg = t.ledger
    entries: list[LedgerEntry] = []
    with read_transaction(engine) as conn:
        for row in conn.execute(
            select(lg).where(lg.c.seq.between(part.first, part.last)).order_by(lg.c.seq)
        ).mappings():
            entries.append(LedgerEntry(**{k: row[k] for k in LedgerEntry.__dataclass_fields__}))
        # The latest entry of each record in the slice, over the whole ledger.
        latest: dict[tuple[str, str], int] = {}
        for entry in entries:
            latest[(entry.kind, entry.record_id)] = entry.seq
        later = conn.execute(select(lg.c.kind, lg.c.record_id).where(lg.c.seq > part.last)).all()
        for kind, record_id in later:
            latest.pop((str(kind), str(record_id)), None)
        wanted: dict[str, set[str]] = {}
        for kind, record_id in latest:
            wanted.setdefault(kind, set()).add(record_id)
        current: dict[tuple[str, str], Any] = {}
        for kind, ids in wanted.items():
            recorded = BY_KIND.get(kind)
            if recorded is None:
                continue
            for row in conn.execute(select(recorded.table)).mappings():
                record_id = recorded.record_id(row)
                if record_id in ids:
                    current[(kind, record_id)] = recorded.payload(row)
        records: list[dict[str, Any]] = []
        for (kind, record_id), seq in sorted(latest.items(), key=lambda item: item[1]):
            recorded = BY_KIND.get(kind)
            if recorded is None:
                continue
            payload = json.loads(entries[seq - part.first].payload)
            record = payload if recorded.removed(payload) else current.get((kind, record_id))
            records.append({"kind": kind, "record_id": record_id, "seq": seq, "record": record})
    digests = [json.loads(e.payload) for e in entries if e.kind == EntryKind.DIGEST.value]
    keys = sorted({str(d.get("public_key")) for d in digests if isinstance(d, dict)})
    members = {
        "ledger.jsonl": "".join(canonical_json(e.as_dict()) + "\n" for e in entries),
        "public_keys.json": canonical_json(keys),
        "digests.json": canonical_json(digests),
        "records.jsonl": "".join(canonical_json(r) + "\n" for r in records),
    }
    data = {name: text.encode("utf-8") for name, text in members.items()}
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "first_seq": part.first,
        "last_seq": part.last,
        "first_prev_sha256": entries[0].prev_sha256 if entries else "",
        "last_entry_sha256": entries[-1].entry_sha256 if entries else "",
        "counts": {"entries": len(entries), "digests": len(digests), "records": len(records)},
        "members": {name: hashlib.sha256(blob).hexdigest() for name, blob in data.items()},
    }
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in ("manifest.json", *MEMBERS):
            blob = canonical_json(manifest).encode() if name == "manifest.json" else data[name]
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, blob)
    return manifest


def _read_members(path: Path) -> dict[str, bytes]:
    """The members of a bundle, read safely: known names only, bounded sizes and ratios."""
    wanted = {"manifest.json", *MEMBERS}
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(
            f"bundle: {path.name} is not a readable zip ({exc})", field="bundle"
        ) from None
    with zf:
        infos = zf.infolist()
        if len(infos) > len(wanted) * 2:
            raise InputError(
                f"bundle: {len(infos)} members, expected {len(wanted)}", field="bundle"
            )
        out: dict[str, bytes] = {}
        for info in infos:
            if info.filename not in wanted or info.filename in out:
                raise InputError(
                    f"bundle: unexpected member {info.filename!r}; a bundle holds only "
                    f"{', '.join(sorted(wanted))}",
                    field="bundle",
                )
            if info.file_size > MAX_MEMBER_BYTES or info.file_size > MAX_RATIO * max(
                info.compress_size, 1024
            ):
                raise InputError(
                    f"bundle: member {info.filename!r} is too large or too compressed "
                    f"({info.file_size} bytes from {info.compress_size})",
                    field="bundle",
                )
            buffer = io.BytesIO()
            try:
                with zf.open(info) as stream:
                    while chunk := stream.read(1 << 20):
                        buffer.write(chunk)
                        if buffer.tell() > info.file_size:
                            raise InputError(
                                f"bundle: member {info.filename!r} is larger than it says",
                                field="bundle",
                            )
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise InputError(
                    f"bundle: member {info.filename!r} cannot be read ({exc})", field="bundle"
                ) from None
            out[info.filename] = buffer.getvalue()
    missing = sorted(wanted - set(out))
    if missing:
        raise InputError(f"bundle: missing member(s) {', '.join(missing)}", field="bundle")
    return out


def verify_bundle(path: Path) -> Verification:
    """Verify a bundle with nothing but the file."""
    result = Verification()
    members = _read_members(path)
    try:
        manifest = json.loads(members["manifest.json"])
    except ValueError as exc:
        result.add(f"bundle member manifest.json: not valid JSON ({exc})")
        return result
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        result.add(f"bundle member manifest.json: not a {FORMAT} manifest")
        return result
    if manifest.get("version") != VERSION:
        result.add(f"bundle member manifest.json: version {manifest.get('version')!r} is unknown")
        return result
    hashes = manifest.get("members")
    for name in MEMBERS:
        expected = hashes.get(name) if isinstance(hashes, dict) else None
        if hashlib.sha256(members[name]).hexdigest() != expected:
            result.add(f"bundle member {name}: its SHA-256 does not match the manifest")
    if not result.ok:
        return result
    entries: list[LedgerEntry] = []
    for number, line in enumerate(members["ledger.jsonl"].decode("utf-8").splitlines(), 1):
        try:
            entries.append(LedgerEntry.from_dict(json.loads(line)))
        except (ValueError, KeyError, TypeError) as exc:
            result.add(f"bundle member ledger.jsonl line {number}: not a ledger entry ({exc})")
            return result
    result.entries = len(entries)
    first = manifest.get("first_seq")
    prev = manifest.get("first_prev_sha256")
    if not isinstance(first, int) or not isinstance(prev, str):
        result.add("bundle member manifest.json: first_seq or first_prev_sha256 is missing")
        return result
    broken = check_chain(entries, first_seq=first, first_prev=prev)
    if broken is not None:
        result.add(broken.message)
    if entries and (
        entries[-1].seq != manifest.get("last_seq")
        or entries[-1].entry_sha256 != manifest.get("last_entry_sha256")
    ):
        result.add("bundle member manifest.json: the last entry does not match the manifest")
    by_seq = {e.seq: e for e in entries}
    digests = [e for e in entries if e.kind == EntryKind.DIGEST.value]
    for entry in digests:
        result.digests += 1
        problem = check_digest(entry)
        if problem is not None:
            result.add(problem)
    if canonical_json([json.loads(e.payload) for e in digests]) != members["digests.json"].decode():
        result.add("bundle member digests.json: does not match the digest entries")
    for number, line in enumerate(members["records.jsonl"].decode("utf-8").splitlines(), 1):
        result.rows += 1
        try:
            record = json.loads(line)
            seq, kind, record_id = record["seq"], record["kind"], record["record_id"]
            found = by_seq.get(seq)
        except (ValueError, KeyError, TypeError) as exc:
            result.add(f"bundle member records.jsonl line {number}: not a record ({exc})")
            continue
        if found is None or found.kind != kind or found.record_id != record_id:
            result.add(
                f"bundle member records.jsonl line {number} ({kind} {record_id}): names no "
                f"entry of the slice (sequence number {seq})"
            )
        elif sha256_hex(canonical_json(record["record"])) != found.payload_sha256:
            result.add(
                f"bundle member records.jsonl line {number} ({kind} {record_id}): does not "
                f"match {found.describe()}"
            )
    return result
