"""NASA FIRMS active-fire CSV: VIIRS 375 m, MODIS 1 km and the reduced archive files.

Column names are matched in any case. Only ``latitude``, ``longitude`` and ``acq_date`` are
required; every other FIRMS column is used when present and unknown columns are ignored.
The rules (times, source ids, uncertainties, grades) are documented in docs/formats.md.
"""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import ClassVar

from pydantic import ValidationError

from truceline.errors import InputError
from truceline.observations.model import (
    AttributeValue,
    Credibility,
    Domain,
    Kind,
    Observation,
)
from truceline.sources.base import Adapter, Rejection, aware_utc, excerpt
from truceline.sources.delimited import Row, header_columns, read_rows
from truceline.sources.fields import FieldError, check_observed, finite_number
from truceline.sources.readable import rejection_from, shown
from truceline.sources.registry import Source

VIIRS_PIXEL_KM = 0.375
MODIS_PIXEL_KM = 1.0
TIME_UNCERTAINTY_S = 300.0
"""Half-width of the time window when the time of day is known: FIRMS gives the start
minute of the granule, and a MODIS granule lasts 5 minutes (a VIIRS one 86 seconds)."""
DAY_UNCERTAINTY_S = 43_200.0
"""Half-width of the time window when only the date is known: the whole UTC day."""
MAX_PIXEL_KM = 10.0
_FIVE_DECIMALS = Decimal("1e-5")
_HALF = Decimal("0.5")

REQUIRED = ("latitude", "longitude", "acq_date")
_NUMERIC = ("bright_ti4", "bright_ti5", "brightness", "bright_t31", "frp", "scan", "track")
_TEXT = ("satellite", "instrument", "version", "daynight")

VIIRS_NOAA20 = "firms-viirs-noaa20"
VIIRS_SNPP = "firms-viirs-snpp"
VIIRS_NOAA21 = "firms-viirs-noaa21"
MODIS = "firms-modis"
ARCHIVE = "firms-archive"

SATELLITES: dict[str, str] = {
    "N20": VIIRS_NOAA20,
    "J1": VIIRS_NOAA20,
    "NOAA20": VIIRS_NOAA20,
    "N": VIIRS_SNPP,
    "NPP": VIIRS_SNPP,
    "SNPP": VIIRS_SNPP,
    "SUOMINPP": VIIRS_SNPP,
    "N21": VIIRS_NOAA21,
    "J2": VIIRS_NOAA21,
    "NOAA21": VIIRS_NOAA21,
    "TERRA": MODIS,
    "T": MODIS,
    "AQUA": MODIS,
    "A": MODIS,
}
"""FIRMS satellite codes (upper case, without spaces and dashes) to source ids."""

CONFIDENCE_WORDS: dict[str, Credibility] = {
    "h": Credibility.PROBABLY_TRUE,
    "high": Credibility.PROBABLY_TRUE,
    "n": Credibility.POSSIBLY_TRUE,
    "nominal": Credibility.POSSIBLY_TRUE,
    "l": Credibility.DOUBTFUL,
    "low": Credibility.DOUBTFUL,
}


def credibility_of_percent(percent: int) -> Credibility:
    """MODIS confidence (0-100) to credibility, by the FIRMS classes 0-29, 30-79, 80-100."""
    if percent >= 80:
        return Credibility.PROBABLY_TRUE
    if percent >= 30:
        return Credibility.POSSIBLY_TRUE
    return Credibility.DOUBTFUL


def pixel_radius_m(scan_km: float, track_km: float) -> float:
    """Radius of the circle around a pixel's centre that covers the whole pixel, metres."""
    return 500.0 * math.hypot(scan_km, track_km)


def rounded_degrees(text: str) -> str:
    """A coordinate as written, rounded to 5 decimals (about 1 m); '-0.00000' is '0.00000'.

    The decimal text is rounded, not the nearest binary double. FIRMS keeps coordinates as
    32-bit floats and prints them at 5 or 6 decimals, so a 6-decimal value ending in 5 is a
    tie only in print: the 32-bit float it was printed from lies on one side of it and
    decides the direction (as it did when FIRMS printed the same detection at 5 decimals).
    An exact tie rounds away from zero.
    """
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        raise ValueError(f"not a finite decimal number: {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"not a finite decimal number: {text!r}")
    mode = ROUND_HALF_UP
    if abs(value.scaleb(5) % 1) == _HALF:
        single = Decimal(struct.unpack("f", struct.pack("f", float(value)))[0])
        if abs(single) != abs(value):
            mode = ROUND_UP if abs(single) > abs(value) else ROUND_DOWN
    rounded = value.quantize(_FIVE_DECIMALS, mode)
    return f"{rounded + 0:.5f}"  # + 0 turns -0.00000 into 0.00000


def detection_ref(lat: str, lon: str, day: str, hhmm: str, satellite: str) -> str:
    """Content hash of a detection's identifying fields, coordinates rounded to 1e-5 degree.

    `lat` and `lon` are the coordinates as written in the file (see `rounded_degrees`).
    """
    key = f"{rounded_degrees(lat)}|{rounded_degrees(lon)}|{day}|{hhmm}|{satellite}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _parse_time(text: str) -> tuple[int, int]:
    """HHMM as an integer or string (52, "0052") or HH:MM[:SS] to (hour, minute)."""
    if ":" in text:
        parts = text.split(":")
        if len(parts) not in (2, 3) or not all(p.isdigit() and len(p) <= 2 for p in parts):
            raise ValueError
        hour, minute = int(parts[0]), int(parts[1])
        if len(parts) == 3 and int(parts[2]) > 59:
            raise ValueError
    else:
        if not text.isdigit() or len(text) > 4:
            raise ValueError
        hour, minute = divmod(int(text), 100)
    if hour > 23 or minute > 59:
        raise ValueError
    return hour, minute


@dataclass(frozen=True)
class _Columns:
    lat: int
    lon: int
    day: int
    time: int | None
    satellite: int | None
    confidence: int | None
    type: int | None
    scan: int | None
    track: int | None
    numeric: tuple[tuple[str, int], ...]
    text: tuple[tuple[str, int], ...]
    instrument: str | None
    """VIIRS or MODIS when the columns tell it (used for files without a satellite)."""

    @classmethod
    def of(cls, header: list[str], file: str) -> _Columns:
        names = [name.strip().lower() for name in header]
        missing = [name for name in REQUIRED if name not in names]
        if missing:
            raise InputError(
                f"{file}, line 1: missing FIRMS column(s) {', '.join(missing)}; a FIRMS file "
                f"needs at least LATITUDE, LONGITUDE and ACQ_DATE (found: {', '.join(names)})",
                field=missing[0],
            )
        index = {name: i for i, name in reversed(list(enumerate(names)))}
        instrument = None
        if "bright_ti4" in index:
            instrument = "VIIRS"
        elif "brightness" in index:
            instrument = "MODIS"
        return cls(
            lat=index["latitude"],
            lon=index["longitude"],
            day=index["acq_date"],
            time=index.get("acq_time"),
            satellite=index.get("satellite"),
            confidence=index.get("confidence"),
            type=index.get("type"),
            scan=index.get("scan"),
            track=index.get("track"),
            numeric=tuple((n, index[n]) for n in _NUMERIC if n in index),
            text=tuple((n, index[n]) for n in _TEXT if n in index),
            instrument=instrument,
        )


class FirmsAdapter(Adapter):
    """NASA FIRMS active-fire detections (CSV) as thermal-anomaly observations."""

    name: ClassVar[str] = "firms"
    description: ClassVar[str] = "NASA FIRMS active-fire CSV (VIIRS, MODIS, archive)"

    @classmethod
    def can_read(cls, path: Path, head: bytes) -> bool:
        return set(REQUIRED) <= header_columns(head)

    def read(self, path: Path, *, received_at: datetime) -> Iterator[Observation | Rejection]:
        received = aware_utc(received_at)
        file = str(path)
        rows = read_rows(path, on_bytes=self._consumed)
        header = next(rows)
        assert isinstance(header, Row)  # read_rows yields the header first or raises
        columns = _Columns.of(header.fields, file)
        times: dict[tuple[str, str], tuple[datetime, float, str]] = {}
        sources = {s.id: s for s in self.registry}
        for item in rows:
            if isinstance(item, Rejection):
                yield item
                continue
            try:
                yield self._observation(file, item, columns, received, times, sources)
            except FieldError as bad:
                yield Rejection(file, item.line, bad.field, bad.reason, excerpt(item.text))
            except ValidationError as exc:
                yield rejection_from(exc, file=file, line=item.line, text=item.text)

    def _observation(
        self,
        file: str,
        row: Row,
        columns: _Columns,
        received: datetime,
        times: dict[tuple[str, str], tuple[datetime, float, str]],
        sources: dict[str, Source],
    ) -> Observation | Rejection:
        fields = row.fields
        lat_text, lon_text = fields[columns.lat], fields[columns.lon]
        lat = _coordinate(lat_text, "latitude", 90.0)
        lon = _coordinate(lon_text, "longitude", 180.0)
        day = fields[columns.day].strip()
        clock = fields[columns.time].strip() if columns.time is not None else ""
        when = times.get((day, clock))
        if when is None:
            when = _when(day, clock, received)
            if len(times) > 100_000:
                times.clear()
            times[(day, clock)] = when
        observed_at, time_uncertainty, hhmm = when

        satellite = fields[columns.satellite].strip() if columns.satellite is not None else ""
        if satellite:
            source_id = SATELLITES.get(satellite.upper().replace(" ", "").replace("-", ""))
            if source_id is None:
                raise FieldError(
                    "satellite",
                    f"unknown satellite {shown(satellite)}: expected N20 or J1 (NOAA-20), N or "
                    "NPP (Suomi NPP), N21 or J2 (NOAA-21), Terra, Aqua, T or A",
                )
        else:
            source_id = ARCHIVE
        source = sources.get(source_id)
        if source is None:
            return self.unknown_source(file, row.line, source_id, row.text)

        attributes: dict[str, AttributeValue] = {}
        for name, i in columns.numeric:
            text = fields[i].strip()
            if text:
                value = finite_number(text, name)
                attributes[name] = value
        for name, i in columns.text:
            text = fields[i].strip()
            if text:
                if len(text) > 200:
                    raise FieldError(name, f"longer than 200 characters (got {shown(text)})")
                attributes[name] = text
        if columns.type is not None:
            text = fields[columns.type].strip()
            if text:
                if text not in ("0", "1", "2", "3"):
                    raise FieldError("type", f"must be 0, 1, 2 or 3 (got {shown(text)})")
                attributes["type"] = int(text)

        credibility = source.credibility
        if columns.confidence is not None:
            text = fields[columns.confidence].strip()
            if text:
                credibility, attributes["confidence"] = _confidence(text)

        named = attributes.get("instrument")
        instrument = _instrument(source_id, named.upper() if isinstance(named, str) else None)
        instrument = instrument or columns.instrument
        scan = attributes.get("scan")
        track = attributes.get("track")
        if isinstance(scan, float) and isinstance(track, float):
            for name, size in (("scan", scan), ("track", track)):
                if not 0.0 < size <= MAX_PIXEL_KM:
                    raise FieldError(
                        name, f"must be a pixel size in km above 0 and at most 10 (got {size})"
                    )
            radius = pixel_radius_m(scan, track)
        else:
            side = VIIRS_PIXEL_KM if instrument == "VIIRS" else MODIS_PIXEL_KM
            radius = pixel_radius_m(side, side)

        return Observation(
            source_id=source_id,
            source_ref=detection_ref(
                lat_text, lon_text, day, hhmm, _platform(satellite, source_id)
            ),
            observed_at=observed_at,
            time_uncertainty_s=time_uncertainty,
            received_at=received,
            lon=lon,
            lat=lat,
            location_uncertainty_m=radius,
            domain=Domain.LAND,
            kind=Kind.THERMAL_ANOMALY,
            reliability=source.reliability,
            credibility=credibility,
            attributes=attributes,
        )


def _coordinate(text: str, name: str, limit: float) -> float:
    """A coordinate in decimal notation (as FIRMS writes them), within ±limit."""
    try:
        value = float(text)
    except ValueError:
        raise FieldError(name, f"must be a number (got {shown(text)})") from None
    if not -limit <= value <= limit:
        raise FieldError(
            name, f"must be between {-limit:g} and {limit:g} (got {shown(text.strip())})"
        )
    try:
        rounded_degrees(text)  # the source reference is made from the decimal text
    except ValueError:
        raise FieldError(name, f"must be a decimal number (got {shown(text)})") from None
    return value


def _when(day: str, clock: str, received: datetime) -> tuple[datetime, float, str]:
    """Observed time, its uncertainty and the normalised HHMM (empty without a time)."""
    try:
        if len(day) != 10:
            raise ValueError("expected YYYY-MM-DD")
        parsed = date.fromisoformat(day)
    except ValueError as exc:
        raise FieldError(
            "acq_date", f"must be a date YYYY-MM-DD ({exc}) (got {shown(day)})"
        ) from None
    midnight = datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC)
    if not clock:
        noon = midnight + timedelta(hours=12)
        check_observed(noon, "acq_date", received, shown(day))
        return noon, DAY_UNCERTAINTY_S, ""
    try:
        hour, minute = _parse_time(clock)
    except ValueError:
        raise FieldError(
            "acq_time",
            f"must be a UTC time HHMM (e.g. 52 or 0052) or HH:MM:SS (got {shown(clock)})",
        ) from None
    observed = midnight + timedelta(hours=hour, minutes=minute)
    check_observed(observed, "acq_date", received, shown(f"{day} {clock}"))
    return observed, TIME_UNCERTAINTY_S, f"{hour:02d}{minute:02d}"


def _confidence(text: str) -> tuple[Credibility, AttributeValue]:
    word = CONFIDENCE_WORDS.get(text.lower())
    if word is not None:
        return word, text.lower()
    if text.isdigit() and len(text) <= 3 and int(text) <= 100:
        return credibility_of_percent(int(text)), int(text)
    raise FieldError(
        "confidence",
        f"must be low, nominal or high (l, n, h) or a percentage 0-100 (got {shown(text)})",
    )


def _platform(satellite: str, source_id: str) -> str:
    """One name per satellite, whatever code the file uses (J1 and N20 are NOAA-20)."""
    code = satellite.upper()
    if code in ("T", "TERRA"):
        return "TERRA"
    if code in ("A", "AQUA"):
        return "AQUA"
    return source_id if code else ""


def _instrument(source_id: str, from_columns: str | None) -> str | None:
    if source_id == MODIS:
        return "MODIS"
    if source_id in (VIIRS_NOAA20, VIIRS_SNPP, VIIRS_NOAA21):
        return "VIIRS"
    return from_columns
