"""Fire detections as columns (numpy arrays), and a fast reader of FIRMS CSV files.

The thermal channel works on whole batches of detections at once: a year of a country's
detections is a few hundred thousand rows, so every step is an array operation. This module
holds the columnar batch (`Detections`) and reads FIRMS CSV files into it: the reduced
archive files (``LATITUDE, LONGITUDE, ACQ_DATE``) used to build the background model, and
the full VIIRS/MODIS files (whose ``frp``, ``daynight`` and ``acq_time`` columns are kept
when present).

A file with a missing column or a bad value is refused as a whole, with the file, line,
column and reason: a background model built from a file read in part would be wrong
without anyone noticing.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from truceline.errors import InputError

REQUIRED = ("latitude", "longitude", "acq_date")
DAY = "datetime64[D]"


@dataclass(frozen=True)
class Detections:
    """A batch of fire detections, one entry per detection in every array.

    `day` is the UTC date of the detection (numpy ``datetime64[D]``). `frp` (fire
    radiative power, MW; NaN where unknown), `night` (True for a night-time detection) and
    `minute` (minute of the UTC day, -1 where unknown) are optional.
    """

    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    day: NDArray[np.datetime64]
    frp: NDArray[np.float64] | None = None
    night: NDArray[np.bool_] | None = None
    minute: NDArray[np.int16] | None = None

    def __post_init__(self) -> None:
        n = len(self.lat)
        for name in ("lon", "day", "frp", "night", "minute"):
            column = getattr(self, name)
            if column is not None and len(column) != n:
                raise InputError(
                    f"detections: column {name} has {len(column)} values, latitude has {n}; "
                    "every column needs one value per detection",
                    field=name,
                )
        if self.day.dtype != np.dtype(DAY):
            raise InputError(
                f"detections: column day must be numpy datetime64[D], got {self.day.dtype}",
                field="day",
            )
        for name, values, limit in (("latitude", self.lat, 90.0), ("longitude", self.lon, 180.0)):
            bad = ~(np.isfinite(values) & (np.abs(values) <= limit))
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise InputError(
                    f"detections: {name} of detection {i} must be a finite number between "
                    f"{-limit:g} and {limit:g} (got {values[i]!r})",
                    field=name,
                )
        if np.isnat(self.day).any():
            i = int(np.flatnonzero(np.isnat(self.day))[0])
            raise InputError(f"detections: detection {i} has no date", field="acq_date")

    def __len__(self) -> int:
        return len(self.lat)

    @classmethod
    def of(
        cls,
        lat: Sequence[float] | NDArray[np.float64],
        lon: Sequence[float] | NDArray[np.float64],
        day: Sequence[str] | Sequence[date] | NDArray[np.datetime64],
        *,
        frp: Sequence[float] | NDArray[np.float64] | None = None,
        night: Sequence[bool] | NDArray[np.bool_] | None = None,
    ) -> Detections:
        """Detections from plain sequences (dates as ISO strings, `date`s or datetime64)."""
        return cls(
            lat=np.asarray(lat, dtype=np.float64),
            lon=np.asarray(lon, dtype=np.float64),
            day=_days(day),
            frp=None if frp is None else np.asarray(frp, dtype=np.float64),
            night=None if night is None else np.asarray(night, dtype=np.bool_),
        )

    def take(self, index: NDArray[np.intp] | NDArray[np.bool_]) -> Detections:
        """The detections selected by an index or a mask, in that order."""
        return Detections(
            lat=self.lat[index],
            lon=self.lon[index],
            day=self.day[index],
            frp=None if self.frp is None else self.frp[index],
            night=None if self.night is None else self.night[index],
            minute=None if self.minute is None else self.minute[index],
        )

    @classmethod
    def concatenate(cls, parts: Iterable[Detections]) -> Detections:
        """One batch of several; an optional column is kept when every part has it."""
        items = list(parts)
        if not items:
            return cls.of([], [], np.array([], dtype=DAY))

        def joined(name: str) -> NDArray[np.generic] | None:
            columns = [getattr(p, name) for p in items]
            return None if any(c is None for c in columns) else np.concatenate(columns)

        return cls(
            lat=np.concatenate([p.lat for p in items]),
            lon=np.concatenate([p.lon for p in items]),
            day=np.concatenate([p.day for p in items]),
            frp=joined("frp"),  # type: ignore[arg-type]
            night=joined("night"),  # type: ignore[arg-type]
            minute=joined("minute"),  # type: ignore[arg-type]
        )

    def years(self) -> NDArray[np.int64]:
        """The calendar year of every detection."""
        return self.day.astype("datetime64[Y]").astype(np.int64) + 1970


def _days(
    values: Sequence[str] | Sequence[date] | NDArray[np.datetime64],
) -> NDArray[np.datetime64]:
    if isinstance(values, np.ndarray) and np.issubdtype(values.dtype, np.datetime64):
        return values.astype(DAY)
    items = list(values)
    texts = [v.isoformat() if isinstance(v, date) else str(v) for v in items]
    return _parse_days(texts, "detections", [i + 1 for i in range(len(texts))], "detection")


def _parse_days(
    texts: list[str], file: str, lines: list[int], unit: str = "line"
) -> NDArray[np.datetime64]:
    """Strict YYYY-MM-DD dates; the first bad one is refused with its line."""
    if not texts:
        return np.array([], dtype=DAY)
    array = np.array(texts)
    good_length = np.char.str_len(array) == 10
    if bool(good_length.all()):
        try:
            return array.astype(DAY)
        except ValueError:
            pass
    for text, line in zip(texts, lines, strict=True):
        try:
            if len(text) != 10:
                raise ValueError("expected YYYY-MM-DD")
            date.fromisoformat(text)
        except ValueError as exc:
            raise InputError(
                f"{file}, {unit} {line}, field 'acq_date': must be a date YYYY-MM-DD ({exc}) "
                f"(got {text!r})",
                field="acq_date",
            ) from None
    raise InputError(f"{file}: dates could not be read", field="acq_date")  # pragma: no cover


def _numbers(
    texts: list[str], file: str, lines: list[int], name: str, limit: float
) -> NDArray[np.float64]:
    """Finite numbers within ±limit; the first bad one is refused with its line."""
    try:
        values = np.array(texts, dtype=np.float64)
    except ValueError:
        values = None
    if values is not None:
        bad = ~(np.isfinite(values) & (np.abs(values) <= limit))
        if not bad.any():
            return values
    for text, line in zip(texts, lines, strict=True):
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and abs(value) <= limit):
            raise InputError(
                f"{file}, line {line}, field '{name}': must be a number between {-limit:g} and "
                f"{limit:g} (got {text!r})",
                field=name,
            )
    raise InputError(f"{file}: column {name} could not be read", field=name)  # pragma: no cover


def _minutes(texts: list[str], file: str, lines: list[int]) -> NDArray[np.int16]:
    """FIRMS acq_time (HHMM, or HH:MM[:SS]) as the minute of the day; -1 when empty."""
    out = np.full(len(texts), -1, dtype=np.int16)
    for i, (text, line) in enumerate(zip(texts, lines, strict=True)):
        text = text.strip()
        if not text:
            continue
        try:
            if ":" in text:
                parts = text.split(":")
                if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
                    raise ValueError
                hour, minute = int(parts[0]), int(parts[1])
            else:
                if not text.isdigit() or len(text) > 4:
                    raise ValueError
                hour, minute = divmod(int(text), 100)
            if hour > 23 or minute > 59:
                raise ValueError
        except ValueError:
            raise InputError(
                f"{file}, line {line}, field 'acq_time': must be a UTC time HHMM or HH:MM:SS "
                f"(got {text!r})",
                field="acq_time",
            ) from None
        out[i] = hour * 60 + minute
    return out


def read_detections(path: Path) -> Detections:
    """Every detection of one FIRMS CSV file, as columns.

    Column names are matched in any case; ``latitude``, ``longitude`` and ``acq_date`` are
    required; ``frp``, ``daynight`` and ``acq_time`` are read when present. Raises
    `InputError` naming the file, line and column for a missing column or a bad value.
    """
    file = str(path)
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InputError(
            f"{file}: cannot be read ({exc.strerror or exc}); check the path"
        ) from None
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise InputError(
                f"{file}: the file is empty; a FIRMS file starts with a header naming "
                "LATITUDE, LONGITUDE and ACQ_DATE",
                field="latitude",
            ) from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise InputError(f"{file}, line 1: cannot be read as CSV ({exc})") from None
        names = [name.strip().lower() for name in header]
        missing = [name for name in REQUIRED if name not in names]
        if missing:
            raise InputError(
                f"{file}, line 1: missing FIRMS column(s) {', '.join(missing)}; a FIRMS file "
                f"needs at least LATITUDE, LONGITUDE and ACQ_DATE (found: {', '.join(names)})",
                field=missing[0],
            )
        index = {name: i for i, name in reversed(list(enumerate(names)))}
        wanted = [n for n in (*REQUIRED, "frp", "daynight", "acq_time") if n in index]
        columns: dict[str, list[str]] = {n: [] for n in wanted}
        positions = [(columns[n], index[n]) for n in wanted]
        lines: list[int] = []
        width = len(names)
        try:
            for row in reader:
                line = reader.line_num
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if len(row) != width:
                    raise InputError(
                        f"{file}, line {line}: {len(row)} fields where the header has {width}",
                        field=None,
                    )
                for column, i in positions:
                    column.append(row[i].strip())
                lines.append(line)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise InputError(
                f"{file}, line {reader.line_num}: cannot be read as CSV ({exc})"
            ) from None
    lat = _numbers(columns["latitude"], file, lines, "latitude", 90.0)
    lon = _numbers(columns["longitude"], file, lines, "longitude", 180.0)
    day = _parse_days(columns["acq_date"], file, lines)
    frp = None
    if "frp" in columns:
        texts = [t if t else "nan" for t in columns["frp"]]
        try:
            frp = np.array(texts, dtype=np.float64)
        except ValueError:
            for text, line in zip(texts, lines, strict=True):
                try:
                    float(text)
                except ValueError:
                    raise InputError(
                        f"{file}, line {line}, field 'frp': must be a number (got {text!r})",
                        field="frp",
                    ) from None
    night = None
    if "daynight" in columns:
        flags = np.array([t.upper() for t in columns["daynight"]], dtype="U1")
        bad = ~np.isin(flags, ["D", "N", ""])
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{file}, line {lines[i]}, field 'daynight': must be D or N "
                f"(got {columns['daynight'][i]!r})",
                field="daynight",
            )
        night = flags == "N"
    minute = _minutes(columns["acq_time"], file, lines) if "acq_time" in columns else None
    return Detections(lat=lat, lon=lon, day=day, frp=frp, night=night, minute=minute)


def read_many(paths: Sequence[Path]) -> Detections:
    """The detections of several files, in the order of the files."""
    return Detections.concatenate(read_detections(p) for p in paths)
