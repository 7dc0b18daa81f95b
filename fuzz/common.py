"""What the fuzz harnesses share: the registry, and reading bytes with one adapter.

A harness calls `atheris.Setup` with its own `test_one_input`. Anything an adapter raises
other than its documented refusal (`InputError`) is a finding: atheris stops and prints the
input that caused it.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import atheris  # type: ignore[import-untyped]

with atheris.instrument_imports(include=["truceline"]):
    from truceline.errors import InputError
    from truceline.sources.base import Rejection, adapters
    from truceline.sources.registry import BUILTIN_SOURCES, Source, SourceRegistry

RECEIVED_AT = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
MAX_ITEMS = 10_000


def registry() -> SourceRegistry:
    """The built-in sources and a mission UAV, as in the tests."""
    uav = Source(id="uav-1", name="Mission UAV 1", operator="Mission UAV wing", type="uav")
    return SourceRegistry([*BUILTIN_SOURCES, uav])


class AdapterTarget:
    """Writes each input to one scratch file and reads it with one adapter."""

    def __init__(self, name: str, suffix: str) -> None:
        self.adapter = adapters()[name](registry())
        handle, scratch = tempfile.mkstemp(prefix="truceline-fuzz-", suffix=suffix)
        os.close(handle)
        self.path = Path(scratch)

    def __call__(self, data: bytes) -> None:
        self.path.write_bytes(data)
        try:
            for count, item in enumerate(self.adapter.read(self.path, received_at=RECEIVED_AT)):
                if count >= MAX_ITEMS:
                    break
                if isinstance(item, Rejection):
                    check_rejection(item)
        except InputError as exc:
            if not str(exc).strip():
                raise AssertionError("a refusal without a message") from exc


def check_rejection(rejection: Rejection) -> None:
    """Every rejection says why, and where or which field."""
    if not rejection.reason.strip():
        raise AssertionError(f"a rejection without a reason: {rejection!r}")
    if rejection.field is None and rejection.line is None:
        raise AssertionError(f"a rejection naming neither place nor field: {rejection!r}")
