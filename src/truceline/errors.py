"""The exceptions Truceline raises, grouped by kind of failure.

Every message names the offending object (file, line, field) and says what was expected,
so that the person reading it knows what to do next.
"""

from __future__ import annotations


class TrucelineError(Exception):
    """Base class of every error Truceline raises on purpose."""


class AgreementError(TrucelineError):
    """An agreement file is malformed, inconsistent or cannot be found."""


class GeometryError(TrucelineError):
    """A geometry is invalid, empty or of the wrong type."""


class InputError(TrucelineError):
    """One input record (row, feature, request) was refused; the message says why."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class StoreError(TrucelineError):
    """The store cannot be opened, migrated or written."""
