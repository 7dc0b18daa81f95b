"""Ed25519 keys and signatures: the mission's key, sources' keys, signed observations.

Keys live in files or in the environment, never in the store in clear. A private key is
read from a PEM file (PKCS#8, unencrypted) or from an environment variable holding either
that PEM text or the 32 raw bytes of the key in base64. A public key is given as PEM
(SubjectPublicKeyInfo) or as its 32 raw bytes in base64. Signatures are base64 text.

What a source signs is `canonical_observation_bytes`: the canonical JSON (sorted keys, no
whitespace, UTF-8) of the observation's content, see `SIGNED_FIELDS`.
"""

from __future__ import annotations

import base64
import binascii
import os
import stat
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from truceline.agreement.documents import canonical_json
from truceline.errors import InputError
from truceline.observations.model import Observation

__all__ = [
    "SIGNATURE_ATTRIBUTE",
    "SIGNED_FIELDS",
    "Ed25519PrivateKey",
    "Ed25519PublicKey",
    "canonical_observation_bytes",
    "check_public_key",
    "generate_private_key",
    "load_private_key",
    "load_public_key",
    "private_key_pem",
    "public_key_pem",
    "sign",
    "verify",
]

SIGNATURE_ATTRIBUTE = "signature"
"""The observation attribute carrying a source's signature (base64)."""

SIGNED_FIELDS: tuple[str, ...] = (
    "source_id",
    "source_ref",
    "observed_at",
    "time_uncertainty_s",
    "lon",
    "lat",
    "location_uncertainty_m",
    "domain",
    "kind",
    "weapon_class",
    "calibre_mm",
    "attributes",
    "evidence",
)
"""The fields of an observation a source signs. Left out: `id` (derived from source_id and
source_ref), `received_at` (the cell's clock), `reliability`, `credibility` and
`releasability` (the cell's grading and handling, which may come from the source's
registry entry), and the `signature` attribute itself."""

MAX_KEY_TEXT = 16_384


def canonical_observation_bytes(obs: Observation) -> bytes:
    """The bytes a source signs for an observation: canonical JSON of `SIGNED_FIELDS`.

    Times are ISO 8601 in UTC with a trailing ``Z`` (e.g. ``2024-05-01T10:00:00Z``,
    fractions of a second only when present), numbers as JSON numbers (coordinates and
    uncertainties always with a decimal point, e.g. ``30.0``), enumerations as their
    codes, absent optional fields as ``null``, evidence as a list of ``{"sha256", "uri"}``
    objects, and attributes without the ``signature`` attribute.
    """
    data: dict[str, Any] = obs.model_dump(mode="json", include=set(SIGNED_FIELDS))
    data["attributes"] = {k: v for k, v in data["attributes"].items() if k != SIGNATURE_ATTRIBUTE}
    for name in ("time_uncertainty_s", "lon", "lat", "location_uncertainty_m", "calibre_mm"):
        if data[name] is not None:
            data[name] = float(data[name])
    return canonical_json(data).encode("utf-8")


def generate_private_key() -> Ed25519PrivateKey:
    """A new random Ed25519 private key."""
    return Ed25519PrivateKey.generate()


def private_key_pem(key: Ed25519PrivateKey) -> str:
    """The private key as unencrypted PKCS#8 PEM text."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def public_key_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The public key (of a private key, or itself) as SubjectPublicKeyInfo PEM text."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def _private_from_text(text: str, where: str, field: str) -> Ed25519PrivateKey:
    stripped = text.strip()
    if len(stripped) > MAX_KEY_TEXT:
        raise InputError(f"{where}: too long for an Ed25519 key", field=field)
    if stripped.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(stripped.encode("ascii"), password=None)
        except (ValueError, TypeError, UnicodeEncodeError) as exc:
            raise InputError(
                f"{where}: not a readable unencrypted PEM private key ({exc}); make one "
                "with 'truceline ledger keygen --out FILE'",
                field=field,
            ) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise InputError(
                f"{where}: the PEM key is not an Ed25519 key (got {type(key).__name__}); "
                "make one with 'truceline ledger keygen --out FILE'",
                field=field,
            )
        return key
    raw = _b64(stripped)
    if raw is None or len(raw) != 32:
        raise InputError(
            f"{where}: expected PEM text ('-----BEGIN PRIVATE KEY-----') or the 32 raw bytes "
            "of an Ed25519 private key in base64; make one with 'truceline ledger keygen "
            "--out FILE'",
            field=field,
        )
    return Ed25519PrivateKey.from_private_bytes(raw)


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None


def load_private_key(path: Path | None = None, env: str | None = None) -> Ed25519PrivateKey:
    """The private key in a PEM file, or in an environment variable (PEM or base64 raw).

    Give exactly one of `path` and `env`. A key file that others may read (group or world
    permissions) is refused: restrict it with ``chmod 600 FILE``.
    """
    if (path is None) == (env is None):
        raise InputError("give either a key file or an environment variable", field="key")
    if env is not None:
        value = os.environ.get(env)
        if value is None or not value.strip():
            raise InputError(
                f"environment variable {env} is not set or empty; set it to the PEM text or "
                "the base64 raw bytes of the Ed25519 private key",
                field=env,
            )
        return _private_from_text(value, f"environment variable {env}", env)
    assert path is not None
    try:
        info = path.stat()
    except OSError as exc:
        raise InputError(
            f"{path}: cannot read the private key ({exc.strerror or exc}); check the path",
            field=str(path),
        ) from None
    if os.name == "posix" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InputError(
            f"{path}: the private key file may be read by others (mode "
            f"{stat.S_IMODE(info.st_mode):o}); restrict it with 'chmod 600 {path}'",
            field=str(path),
        )
    if info.st_size > MAX_KEY_TEXT:
        raise InputError(f"{path}: too large for an Ed25519 key file", field=str(path))
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{path}: cannot read the private key ({exc}); it must be PEM text",
            field=str(path),
        ) from None
    return _private_from_text(text, str(path), str(path))


def load_public_key(pem_or_b64: str) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM text or its 32 raw bytes in base64.

    Raises InputError (field ``public_key``) when it is neither.
    """
    text = pem_or_b64.strip()
    if len(text) > MAX_KEY_TEXT:
        raise InputError("too long for an Ed25519 public key", field="public_key")
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode("ascii"))
        except (ValueError, TypeError, UnicodeEncodeError) as exc:
            raise InputError(f"not a readable PEM public key ({exc})", field="public_key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise InputError(
                f"the PEM key is not an Ed25519 public key (got {type(key).__name__})",
                field="public_key",
            )
        return key
    raw = _b64(text)
    if raw is None or len(raw) != 32:
        raise InputError(
            "expected PEM text ('-----BEGIN PUBLIC KEY-----') or the 32 raw bytes of an "
            "Ed25519 public key in base64",
            field="public_key",
        )
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise InputError(f"not an Ed25519 public key ({exc})", field="public_key") from None


def check_public_key(pem_or_b64: str) -> str:
    """The text itself, stripped, when it is a valid public key; else InputError."""
    load_public_key(pem_or_b64)
    return pem_or_b64.strip()


def sign(data: bytes, key: Ed25519PrivateKey) -> str:
    """The Ed25519 signature of `data`, in base64."""
    return base64.b64encode(key.sign(data)).decode("ascii")


def verify(data: bytes, signature_b64: str, public: Ed25519PublicKey | str) -> bool:
    """Whether `signature_b64` is a valid signature of `data` by `public`.

    A malformed signature (not base64, not 64 bytes) is simply not valid. A malformed
    public key given as text raises InputError.
    """
    key = load_public_key(public) if isinstance(public, str) else public
    raw = _b64(signature_b64.strip()) if len(signature_b64) <= 256 else None
    if raw is None or len(raw) != 64:
        return False
    try:
        key.verify(raw, data)
    except InvalidSignature:
        return False
    return True


def signature_problem(obs: Observation, public: Ed25519PublicKey | str) -> str | None:
    """Why the observation's signature does not hold for this source key, or None.

    The signature is the observation's ``signature`` attribute (base64 Ed25519 over
    `canonical_observation_bytes`).
    """
    given = obs.attributes.get(SIGNATURE_ATTRIBUTE)
    if given is None or given == "":
        return (
            "missing: this source is registered with a public key, so each of its "
            "observations must carry an Ed25519 signature (base64) over its canonical form "
            "(docs/ledger.md)"
        )
    if not isinstance(given, str):
        return "must be base64 text of an Ed25519 signature"
    if not verify(canonical_observation_bytes(obs), given, public):
        return (
            "does not verify with the source's public key: the observation was changed "
            "after signing, signed with another key, or signed over other bytes "
            "(docs/ledger.md says what is signed)"
        )
    return None
