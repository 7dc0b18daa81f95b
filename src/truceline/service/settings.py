"""How one service is configured: the store, the administrator token, the limits."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from truceline.access.marking import MarkingText
from truceline.errors import InputError

TOKEN_ENV = "TRUCELINE_ADMIN_TOKEN"
"""Environment variable that may hold the administrator's API token."""

MIN_TOKEN_CHARS = 16


def token_digest(token: str) -> str:
    """SHA-256 (hex) of a token: the service keeps only this, never the token itself."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Settings(BaseModel):
    """Configuration of one service process."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    store: str = Field(description="Path of the SQLite store, or a database URL.")
    create_store: bool = Field(
        default=False, description="Create the store when it does not exist yet."
    )
    admin_token_sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="SHA-256 of the administrator's token; no token is accepted when None.",
    )
    agreement_id: str | None = Field(
        default=None,
        description="The agreement in force when the store holds several; else the only one.",
    )
    auto_process: bool = Field(
        default=True,
        description="Fuse and adjudicate new observations as soon as a submission stores them.",
    )
    public_read: bool = Field(
        default=False,
        description="Let anonymous readers (no token) into the open data: the OGC API - "
        "Features under /ogc and the exports; they read what is public, nothing else.",
    )
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    max_batch_rows: int = Field(default=10_000, ge=1)
    max_page: int = Field(default=1000, ge=1, description="Largest `limit` of a list request.")
    feed_history: int = Field(
        default=10_000, ge=1, description="Feed events kept for clients that resume."
    )
    feed_queue: int = Field(
        default=10_000, ge=1, description="Events a slow feed client may fall behind by."
    )
    alert_status: Literal["Actual", "Exercise", "Test"] = Field(
        default="Actual",
        description="CAP status of the alerts: Actual for a real ceasefire, Exercise for a "
        "simulated theatre or a drill, Test for a system test.",
    )
    alert_sender: str = Field(
        default="cell@truceline.invalid",
        pattern=r"^[^\s,<&]+$",
        max_length=200,
        description="CAP sender of the alerts, e.g. 'jcc@monitoring.example'.",
    )
    alert_sender_name: str | None = Field(
        default="Joint coordination cell", max_length=200, description="CAP senderName."
    )
    alert_releasability: MarkingText = Field(
        default="cell+members",
        description="Who may read the alerts (a releasability marking); the coalition members "
        "it reaches are the ones whose responses the alert's clocks track.",
    )


def read_token(token_file: Path | None) -> str | None:
    """The administrator token: from `token_file` (its first line), else from the
    TRUCELINE_ADMIN_TOKEN environment variable, else None."""
    if token_file is not None:
        try:
            text = token_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(
                f"--token-file {token_file}: cannot be read ({exc.strerror or exc}); give a "
                "readable text file holding the token on its first line",
                field="token_file",
            ) from None
        except UnicodeDecodeError:
            raise InputError(
                f"--token-file {token_file}: not UTF-8 text; give a text file "
                "holding the token on its first line",
                field="token_file",
            ) from None
        lines = text.splitlines()
        token = lines[0].strip() if lines else ""
        where = f"--token-file {token_file}"
    else:
        token = os.environ.get(TOKEN_ENV, "").strip()
        where = TOKEN_ENV
        if not token:
            return None
    if len(token) < MIN_TOKEN_CHARS:
        raise InputError(
            f"{where}: the token has {len(token)} characters; use at least "
            f"{MIN_TOKEN_CHARS} random ones, e.g. from 'python -c \"import secrets; "
            "print(secrets.token_urlsafe(32))\"'",
            field="token",
        )
    return token
