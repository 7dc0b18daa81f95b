"""API tokens: made once, shown once, kept only as a salted digest.

A token reads ``tl_<id>_<secret>``: `id` is 16 hex digits naming the token's record (so a
token is found by an index lookup, not by trying every digest), `secret` is 32 random
bytes (256 bits, from `secrets`) in URL-safe base64.

What the store keeps is `HMAC-SHA256(key=salt, message=secret)` with a random 16-byte salt
of the token's own. Why not scrypt or another slow password hash: slow hashes protect
secrets people choose, which are guessable; a 256-bit random secret cannot be guessed,
with or without a slow hash, so the slowness would only cost every request some tens of
milliseconds of CPU. The salt makes two digests differ even for one secret, and the HMAC
construction keeps the digest free of length-extension tricks. A stolen copy of the
database therefore yields no usable token.

Checking a token compares digests with `hmac.compare_digest`, whose time does not depend
on where the digests first differ; an unknown token id still costs one HMAC and one
comparison, so timing does not tell a known id from an unknown one.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Final

PREFIX: Final = "tl"
SECRET_BYTES: Final = 32
SALT_BYTES: Final = 16
ID_HEX: Final = 16

_TOKEN = re.compile(rf"^{PREFIX}_([0-9a-f]{{{ID_HEX}}})_([A-Za-z0-9_-]{{43}})$")
_DUMMY_SALT: Final = bytes(SALT_BYTES)
_DUMMY_DIGEST: Final = "0" * 64


@dataclass(frozen=True)
class NewToken:
    """A token just made: the text to hand to its user (once), and what to keep."""

    token: str
    """The whole token, to show once and never keep."""
    id: str
    salt: str
    """Hex of the salt."""
    digest: str
    """Hex of HMAC-SHA256(salt, secret)."""


@dataclass(frozen=True)
class ParsedToken:
    """A token as presented: its id and its secret."""

    id: str
    secret: str


def digest_of(secret: str, salt_hex: str) -> str:
    """Hex HMAC-SHA256 of a secret, keyed by the salt."""
    return hmac.new(bytes.fromhex(salt_hex), secret.encode("ascii"), hashlib.sha256).hexdigest()


def make_token() -> NewToken:
    """A new token with a random id, secret and salt."""
    token_id = secrets.token_hex(ID_HEX // 2)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    salt = secrets.token_hex(SALT_BYTES)
    return NewToken(
        token=f"{PREFIX}_{token_id}_{secret}",
        id=token_id,
        salt=salt,
        digest=digest_of(secret, salt),
    )


def parse_token(text: str) -> ParsedToken | None:
    """The id and secret of a token in Truceline's form; None for anything else."""
    found = _TOKEN.match(text.strip())
    if found is None:
        return None
    return ParsedToken(id=found.group(1), secret=found.group(2))


def matches(secret: str, salt_hex: str | None, digest_hex: str | None) -> bool:
    """Whether a secret matches a kept digest, in time independent of where they differ.

    With no record (`salt_hex` or `digest_hex` None) the same work is done against a
    dummy, and the answer is False.
    """
    if salt_hex is None or digest_hex is None:
        hmac.compare_digest(digest_of(secret, _DUMMY_SALT.hex()), _DUMMY_DIGEST)
        return False
    return hmac.compare_digest(digest_of(secret, salt_hex), digest_hex)
