"""Evidence files: a content-addressed, write-once store of images, videos and documents.

Each file is kept under the SHA-256 of its bytes, at ``ab/cd/<sha256>`` inside the
evidence folder (by default ``<store name>.evidence/`` beside a SQLite store). A file is
written to a temporary file in the same folder, flushed to disk, made read-only and renamed
into place atomically, so a crash leaves either the whole file or none. A file already
present is never overwritten. `check` re-hashes a file; `verify_all` checks every one.

Observations refer to evidence by URI: ``sha256:<hex>`` or ``evidence:<hex>`` for a file
in this store, or an ``http://`` / ``https://`` URL. `check_evidence_uri` refuses local
paths and anything that could walk out of a folder.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

from truceline.errors import InputError, StoreError

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
"""The default size limit of one evidence file: 100 MiB."""
CHUNK = 1024 * 1024
EVIDENCE_DIR_ENV = "TRUCELINE_EVIDENCE_DIR"
"""Environment variable naming the evidence folder (needed for a PostgreSQL store)."""

_HEX = re.compile(r"^[0-9a-f]{64}$")
_REFERENCE = re.compile(r"^(?:sha256|evidence):([0-9a-f]{64})$")


def evidence_dir_for(db: str | Path) -> Path:
    """The evidence folder of a store: `TRUCELINE_EVIDENCE_DIR` when set, else
    ``<store name>.evidence`` beside a SQLite file. A database URL needs the variable."""
    configured = os.environ.get(EVIDENCE_DIR_ENV)
    if configured:
        return Path(configured)
    text = str(db)
    if "://" in text:
        if not text.startswith("sqlite:///"):
            raise InputError(
                f"a store at a database URL has no folder beside it; set {EVIDENCE_DIR_ENV} "
                "to the folder for evidence files",
                field=EVIDENCE_DIR_ENV,
            )
        text = text.removeprefix("sqlite:///")
    path = Path(text)
    return path.with_name(f"{path.stem}.evidence")


def check_sha256(value: str, field: str = "sha256") -> str:
    """The hash itself when it is 64 lowercase hex digits; else InputError."""
    if not isinstance(value, str) or not _HEX.match(value):
        raise InputError("must be a SHA-256 in 64 lowercase hexadecimal digits", field=field)
    return value


def reference_hash(uri: str) -> str | None:
    """The hash of a ``sha256:<hex>`` or ``evidence:<hex>`` reference, else None."""
    found = _REFERENCE.match(uri)
    return found.group(1) if found else None


def check_evidence_uri(uri: str, field: str = "evidence.uri") -> str:
    """The URI itself when it is a store reference or an http(s) URL without traversal.

    Refused, with InputError naming `field`: NUL and other control characters,
    backslashes, ``..`` segments (also percent-encoded), absolute and relative local
    paths, ``file:`` URIs, and any scheme other than http, https, sha256 and evidence.
    """
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in uri):
        raise InputError("must not contain control characters (such as NUL)", field=field)
    if "\\" in uri:
        raise InputError("must not contain backslashes", field=field)
    if reference_hash(uri) is not None:
        return uri
    decoded = uri
    for _ in range(3):  # percent-encoding applied several times over is still traversal
        decoded = unquote(decoded)
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in decoded) or "\\" in decoded:
        raise InputError("must not contain encoded control characters or backslashes", field=field)
    if any(part in ("..", ".") for part in re.split(r"[/?#]", decoded)):
        raise InputError("must not contain '..' or '.' path segments", field=field)
    scheme = uri.split(":", 1)[0].lower() if ":" in uri else ""
    if scheme in ("sha256", "evidence"):
        raise InputError(
            f"a {scheme}: reference must be followed by 64 lowercase hexadecimal digits",
            field=field,
        )
    if scheme not in ("http", "https"):
        raise InputError(
            "must be 'sha256:<hex>' or 'evidence:<hex>' (a file in the evidence store, see "
            "'truceline evidence add') or an http(s) URL; local paths and file: URIs are "
            "refused",
            field=field,
        )
    try:
        parts = urlsplit(uri)
    except ValueError as exc:
        raise InputError(f"is not a valid URL ({exc})", field=field) from None
    if not parts.hostname:
        raise InputError("an http(s) URL must name a host", field=field)
    return uri


@dataclass(frozen=True)
class EvidenceProblem:
    """A file of the evidence store that does not hold what its name says."""

    sha256: str
    reason: str


class EvidenceStore:
    """A content-addressed, write-once folder of evidence files."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        """Where the file of this hash is (or would be)."""
        check_sha256(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def _ensure_root(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the evidence folder {self.root} ({exc.strerror or exc}); "
                "check the path and its permissions"
            ) from None

    def put(self, stream: BinaryIO, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
        """Store the bytes of `stream` once; returns their SHA-256 (hex).

        Storing the same bytes again changes nothing. More than `max_bytes` bytes are
        refused with InputError (field ``file``) and nothing is kept.
        """
        self._ensure_root()
        digest = hashlib.sha256()
        size = 0
        try:
            handle, temp_name = tempfile.mkstemp(prefix=".incoming-", dir=self.root)
        except OSError as exc:
            raise StoreError(
                f"cannot write to the evidence folder {self.root} ({exc.strerror or exc})"
            ) from None
        temp = Path(temp_name)
        try:
            with os.fdopen(handle, "wb") as out:
                while True:
                    chunk = stream.read(CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > max_bytes:
                        raise InputError(
                            f"larger than the limit of {max_bytes} bytes; split or compress "
                            "the evidence, or raise the limit",
                            field="file",
                        )
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha256 = digest.hexdigest()
            target = self.path_of(sha256)
            if target.exists():
                return sha256
            target.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(temp, stat.S_IRUSR | stat.S_IRGRP)
            try:
                # A hard link never replaces an existing file: the first writer wins.
                os.link(temp, target)
            except FileExistsError:
                return sha256
            _fsync_dir(target.parent)
            return sha256
        except OSError as exc:
            raise StoreError(
                f"cannot write the evidence file in {self.root} ({exc.strerror or exc}); "
                "nothing was stored, check the free space and permissions"
            ) from None
        finally:
            temp.unlink(missing_ok=True)

    def put_bytes(self, data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
        """Store these bytes once; returns their SHA-256 (hex)."""
        import io

        return self.put(io.BytesIO(data), max_bytes)

    def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    def get(self, sha256: str) -> Path:
        """The path of the file of this hash; InputError (field ``sha256``) when absent."""
        path = self.path_of(sha256)
        if not path.is_file():
            raise InputError(f"no evidence file with SHA-256 {sha256}", field="sha256")
        return path

    def check(self, sha256: str) -> bool:
        """Whether the file of this hash is present and its bytes still have that hash."""
        path = self.path_of(sha256)
        digest = hashlib.sha256()
        try:
            with path.open("rb") as f:
                while chunk := f.read(CHUNK):
                    digest.update(chunk)
        except OSError:
            return False
        return digest.hexdigest() == sha256

    def hashes(self) -> Iterator[str]:
        """The hashes of the files present, in sorted order."""
        if not self.root.is_dir():
            return iter(())
        found = sorted(
            p.name
            for p in self.root.glob("??/??/*")
            if _HEX.match(p.name)
            and p.parent.parent.name == p.name[:2]
            and p.parent.name == p.name[2:4]
        )
        return iter(found)

    def verify_all(self) -> list[EvidenceProblem]:
        """Every file whose bytes no longer match its name, and every stray file."""
        problems: list[EvidenceProblem] = []
        if not self.root.is_dir():
            return problems
        for sha256 in self.hashes():
            if not self.check(sha256):
                problems.append(EvidenceProblem(sha256, "its bytes no longer have this SHA-256"))
        return problems


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def evidence_problem(uris: Sequence[str]) -> InputError | None:
    """The first evidence URI refused by `check_evidence_uri`, as an InputError whose
    field is ``evidence[i].uri``; None when all are acceptable."""
    for i, uri in enumerate(uris):
        try:
            check_evidence_uri(uri, f"evidence[{i}].uri")
        except InputError as exc:
            return exc
    return None
