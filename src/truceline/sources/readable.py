"""Pydantic validation errors turned into rejections a person can act on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from truceline.sources.base import Rejection, excerpt

_REWRITES = (
    ("Input should have timezone info", "must have a time zone offset, e.g. Z or +02:00"),
    ("Field required", "is required and missing"),
    ("Extra inputs are not permitted", "is not a known field"),
    ("Input should be ", "must be "),
    ("Value error, ", ""),
    ("String should ", "must "),
)


def shown(value: object) -> str:
    """A short printable form of an offending value."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def readable_message(error: ErrorDetails) -> str:
    """One pydantic error in plain words, with the offending value when there is one."""
    message = error["msg"]
    for old, new in _REWRITES:
        if message.startswith(old):
            message = new + message[len(old) :]
    value = error.get("input")
    if error["type"] != "missing" and isinstance(value, str | int | float | bool):
        message += f" (got {shown(value)})"
    return message


def dotted(loc: tuple[int | str, ...]) -> str:
    """A pydantic location as a dotted field name: ('evidence', 0, 'uri') -> evidence.0.uri."""
    return ".".join(str(part) for part in loc)


def rejection_from(
    exc: ValidationError,
    *,
    file: str,
    line: int | None,
    text: str,
    field_name: Callable[[str], str] = lambda name: name,
    unit: Literal["line", "feature"] = "line",
) -> Rejection:
    """The rejection for a record that failed validation: its first error, named plainly.

    `field_name` maps a model field path (e.g. ``lat``) to the input's own name for it (e.g.
    ``geometry.coordinates[1]``).
    """
    errors = exc.errors(include_url=False)
    first = errors[0]
    reason = readable_message(first)
    if len(errors) > 1:
        others = ", ".join(sorted({field_name(dotted(e["loc"])) for e in errors[1:]}))
        reason += f" (also wrong: {others})"
    field = field_name(dotted(first["loc"])) or None
    return Rejection(file, line, field, reason, excerpt(text), unit)
