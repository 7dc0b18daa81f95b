"""Checks shared by the adapters of Truceline's own formats (CSV rows, GeoJSON features)."""

from __future__ import annotations

import hashlib
import math
import re
from datetime import UTC, datetime, timedelta

from truceline.observations.model import AttributeValue
from truceline.sources.readable import shown

NUMERIC_FIELDS = ("lon", "lat", "time_uncertainty_s", "location_uncertainty_m", "calibre_mm")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d{1,18}")
_LEADING_ZERO = re.compile(r"[+-]?0\d")
MAX_NUMBER_CHARS = 40
EARLIEST_OBSERVED = datetime(1970, 1, 1, tzinfo=UTC)
"""No observation is older than this; an earlier time is a mistake in the input."""
LATEST_AFTER_RECEIPT = timedelta(days=1)
"""How far after its reception an observation may be dated (clocks and zones go wrong)."""


class FieldError(Exception):
    """One field of one record is wrong; `field` names it in the input's own terms."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def finite_number(value: object, field: str) -> float:
    """A finite float from a number or a numeric string; booleans are refused."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise FieldError(field, f"must be a number (got {shown(value)})")
    if isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_NUMBER_CHARS:
            raise FieldError(
                field, f"must be a number of at most 40 characters (got {shown(text)})"
            )
        try:
            number = float(text)
        except ValueError:
            raise FieldError(field, f"must be a number (got {shown(value)})") from None
    else:
        try:
            number = float(value)
        except OverflowError:
            raise FieldError(field, f"must be a finite number (got {shown(value)})") from None
    if not math.isfinite(number):
        raise FieldError(field, f"must be a finite number (got {shown(value)})")
    return number


def aware_timestamp(value: object, field: str) -> datetime:
    """An ISO 8601 timestamp with a zone offset (Z or +HH:MM), in UTC; naive times are refused."""
    if not isinstance(value, str):
        raise FieldError(field, f"must be an ISO 8601 text timestamp (got {shown(value)})")
    text = value.strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}.*", text):
        raise FieldError(
            field, f"must be an ISO 8601 timestamp like 2025-09-01T00:52:00Z (got {shown(text)})"
        )
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise FieldError(field, f"is not a valid timestamp: {exc} (got {shown(text)})") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise FieldError(
            field, f"must have a time zone offset, e.g. Z or +02:00 (got {shown(text)})"
        )
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise FieldError(
            field, f"is outside the years 1 to 9999 once converted to UTC (got {shown(text)})"
        ) from None


def observed_time(value: object, field: str, received: datetime) -> datetime:
    """`aware_timestamp` in UTC, between 1970-01-01 and one day after `received`."""
    moment = aware_timestamp(value, field)
    check_observed(moment, field, received, shown(str(value).strip()))
    return moment


def check_observed(moment: datetime, field: str, received: datetime, given: str) -> None:
    """Refuse an observation time before 1970 or more than one day after its reception."""
    if moment < EARLIEST_OBSERVED:
        raise FieldError(field, f"must be 1970-01-01 or later (got {given})")
    if moment - LATEST_AFTER_RECEIPT > received:
        raise FieldError(
            field,
            f"is after the time of reception {received.isoformat()} plus one day; check the "
            f"date and the zone offset (got {given})",
        )


def attribute_from_text(text: str, field: str) -> AttributeValue:
    """A text cell as an attribute value: numbers become numbers, the rest stays text."""
    if _LEADING_ZERO.match(text):
        return text  # a code such as 007 keeps its zeros
    if _INTEGER.fullmatch(text):
        return int(text)
    if len(text) <= MAX_NUMBER_CHARS and _NUMBER.fullmatch(text):
        number = float(text)
        if not math.isfinite(number):
            raise FieldError(field, f"must be a finite number (got {shown(text)})")
        return number
    return text


def check_attribute(value: object, field: str) -> AttributeValue:
    """An attribute value must be a string, a finite number, a boolean or null."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        if abs(value) >= 2**63:
            raise FieldError(field, f"must be an integer of at most 18 digits (got {shown(value)})")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FieldError(field, f"must be a finite number (got {shown(value)})")
        return value
    kind = type(value).__name__
    raise FieldError(field, f"must be a string, number, boolean or null, not a {kind}")


def content_ref(*parts: str) -> str:
    """A reference derived from a record's content, for records that carry none."""
    return "sha256:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
