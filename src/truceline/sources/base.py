"""The adapter contract: one class per feed format, found by entry point.

An adapter turns one file of a real feed format into observations, streaming: it yields an
`Observation` for every good row and a `Rejection` for every bad one, and goes on reading
after a bad row. A problem with the whole file (no header, missing columns) raises
`InputError` before anything is yielded.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import ClassVar, Literal

from truceline.errors import InputError, TrucelineError
from truceline.observations.model import Observation
from truceline.sources.registry import Source, SourceRegistry

ENTRY_POINT_GROUP = "truceline.adapters"
SNIFF_BYTES = 64 * 1024
"""How many bytes of a file `adapter_for` reads to tell its format."""
EXCERPT_CHARS = 80


def aware_utc(moment: datetime) -> datetime:
    """A timezone-aware time in UTC; a naive one is refused, never assumed to be UTC."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InputError(
            f"received_at {moment.isoformat()} has no time zone; give an aware datetime",
            field="received_at",
        )
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise InputError(
            f"received_at {moment.isoformat()} is outside the years 1 to 9999 in UTC",
            field="received_at",
        ) from None


def excerpt(text: str) -> str:
    """The first 80 characters of an offending input, on one line."""
    return text[:EXCERPT_CHARS].replace("\r", " ").replace("\n", " ")


@dataclass(frozen=True, slots=True)
class Rejection:
    """One input record that was refused, and why.

    `line` is where the record is, counted from 1 in `unit`: ``"line"`` for the physical
    line of a text file, ``"feature"`` for the position of a GeoJSON feature.
    """

    file: str
    line: int | None
    field: str | None
    reason: str
    excerpt: str = ""
    unit: Literal["line", "feature"] = "line"

    @property
    def place(self) -> str | None:
        """Where the record is, e.g. 'line 12' or 'feature 3'; None when unknown."""
        return None if self.line is None else f"{self.unit} {self.line}"

    def __str__(self) -> str:
        parts = [self.file]
        if self.place is not None:
            parts.append(self.place)
        if self.field is not None:
            parts.append(f"field {self.field!r}")
        return f"{', '.join(parts)}: {self.reason}"


class Adapter(abc.ABC):
    """Reads one feed format into observations.

    `bytes_read` grows while `read` runs, so that a caller can show progress.
    """

    name: ClassVar[str]
    description: ClassVar[str]

    def __init__(self, registry: SourceRegistry | None = None) -> None:
        self.registry = registry if registry is not None else SourceRegistry()
        self.bytes_read = 0

    @classmethod
    @abc.abstractmethod
    def can_read(cls, path: Path, head: bytes) -> bool:
        """Whether the file looks like this format, judged from its first bytes."""

    @abc.abstractmethod
    def read(self, path: Path, *, received_at: datetime) -> Iterator[Observation | Rejection]:
        """Stream the observations of a file, and a rejection for every bad record."""

    def source(self, source_id: str) -> Source | None:
        """The registered source of that id, or None when it is not registered."""
        return self.registry.get(source_id) if source_id in self.registry else None

    def unknown_source(
        self,
        file: str,
        line: int | None,
        source_id: str,
        text: str,
        unit: Literal["line", "feature"] = "line",
    ) -> Rejection:
        """The rejection of a record whose source is not in the registry."""
        known = ", ".join(s.id for s in self.registry) or "none"
        return Rejection(
            file,
            line,
            "source_id",
            f"unknown source {source_id!r}: register it first (known: {known})",
            excerpt(text),
            unit,
        )

    def _consumed(self, count: int) -> None:
        self.bytes_read += count


def adapters() -> dict[str, type[Adapter]]:
    """Every adapter installed, by name, from the `truceline.adapters` entry points."""
    found: dict[str, type[Adapter]] = {}
    for point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda p: p.name):
        try:
            cls = point.load()
        except Exception as exc:  # a broken plug-in must not hide which one it is
            raise TrucelineError(
                f"adapter {point.name!r} ({point.value}) cannot be loaded: {exc}; "
                "reinstall or remove the package that provides it"
            ) from exc
        if not (isinstance(cls, type) and issubclass(cls, Adapter)):
            raise TrucelineError(
                f"adapter {point.name!r} ({point.value}) is not a subclass of "
                "truceline.sources.base.Adapter"
            )
        found[point.name] = cls
    return found


def adapter_for(
    path: Path, name: str | None = None, *, registry: SourceRegistry | None = None
) -> Adapter:
    """The adapter named `name`, or the first one whose `can_read` accepts the file."""
    available = adapters()
    listing = "; ".join(f"{key} ({cls.description})" for key, cls in available.items())
    if name is not None:
        if name not in available:
            raise InputError(f"unknown format {name!r}: expected one of {listing}", field="format")
        return available[name](registry)
    try:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not head.strip():
        raise InputError(f"{path}: the file is empty; expected a feed file of one of: {listing}")
    for cls in available.values():
        if cls.can_read(path, head):
            return cls(registry)
    raise InputError(
        f"{path}: the format cannot be recognised from its first lines; name it with "
        f"--format, one of: {listing}"
    )
