"""What really happens in a simulated theatre: a table of events, one column per field.

Events are kept as columns (numpy arrays) so that the bulk of them (harvest fires) is
generated and shown to the sensors without a Python loop per event.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from truceline.errors import InputError
from truceline.simulation.placement import FloatArray, ObjectArray, TheatreFrame

DAY_S = 86_400.0
HOUR_S = 3_600.0


@dataclass(frozen=True)
class Window:
    """The simulated period: `days` whole days from `start` (timezone-aware, UTC)."""

    start: datetime
    days: int

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.start.utcoffset() is None:
            raise InputError(
                f"start {self.start.isoformat()} has no time zone; give a timezone-aware "
                "time, e.g. 2025-09-01T00:00:00+00:00",
                field="start",
            )
        if not 1 <= self.days <= 366:
            raise InputError(f"days must be between 1 and 366, got {self.days}", field="days")
        object.__setattr__(self, "start", self.start.astimezone(UTC))

    @property
    def t0(self) -> float:
        """Start, seconds since the epoch."""
        return self.start.timestamp()

    @property
    def t1(self) -> float:
        """End, seconds since the epoch."""
        return self.t0 + self.days * DAY_S

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=self.days)


def to_datetime(seconds: float) -> datetime:
    """Seconds since the epoch, rounded to the second, as an aware UTC datetime."""
    return datetime.fromtimestamp(round(seconds), tz=UTC)


@dataclass(frozen=True)
class EventTable:
    """Events as columns. Positions are in the frame's metres; `locate` adds the rest."""

    category: ObjectArray
    kind: ObjectArray
    domain: ObjectArray
    t: FloatArray
    """When it happened, seconds since the epoch."""
    x: FloatArray
    y: FloatArray
    rule: ObjectArray
    party: ObjectArray
    """Who did it (the perpetrator, the notifying party, the reporting party of a false
    report), or None."""
    victim: ObjectArray
    """The party it was aimed at, or None."""
    ox: FloatArray
    """Where the fire came from (m), NaN when there is no separate origin."""
    oy: FloatArray
    weapon_class: ObjectArray
    calibre_mm: FloatArray
    burn_until: FloatArray
    """Until when it burns (seconds since the epoch), NaN when it leaves no fire."""
    frp_mw: FloatArray
    """Fire radiative power of what burns (MW), NaN when it leaves no fire."""
    forced_source: ObjectArray
    """None: sensors decide; "": no sensor sees it; a source id: only that source reports it,
    once (noise, false reports)."""
    prenotification_id: ObjectArray
    note: ObjectArray
    id: ObjectArray
    lon: FloatArray
    lat: FloatArray
    origin_lon: FloatArray
    origin_lat: FloatArray
    distance_m: FloatArray
    """Distance to the line of contact, metres."""
    along_m: FloatArray
    """Position along the line of contact of the nearest line point, metres."""

    def __len__(self) -> int:
        return int(self.t.size)

    @classmethod
    def make(cls, n: int, **columns: Any) -> EventTable:
        """A table of n events; scalar values are repeated, missing columns get defaults."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            value = columns.pop(f.name, _DEFAULTS.get(f.name))
            if f.name in _FLOAT_COLUMNS:
                values[f.name] = np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)).copy()
            else:
                values[f.name] = _objects(value, n)
        if columns:
            raise TypeError(f"unknown event columns: {sorted(columns)}")
        return cls(**values)

    @classmethod
    def empty(cls) -> EventTable:
        return cls.make(0, category="", kind="", t=0.0, x=0.0, y=0.0)

    @classmethod
    def concat(cls, tables: list[EventTable]) -> EventTable:
        if not tables:
            return cls.empty()
        return cls(
            **{f.name: np.concatenate([getattr(t, f.name) for t in tables]) for f in fields(cls)}
        )

    def take(self, index: np.ndarray) -> EventTable:
        return EventTable(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    def locate(self, frame: TheatreFrame) -> EventTable:
        """The table with longitude/latitude, distance and position along the line, and ids."""
        lon, lat = frame.to_lonlat(self.x, self.y)
        has_origin = np.isfinite(self.ox)
        olon = np.full(len(self), np.nan)
        olat = np.full(len(self), np.nan)
        if has_origin.any():
            olon[has_origin], olat[has_origin] = frame.to_lonlat(
                self.ox[has_origin], self.oy[has_origin]
            )
        lon, lat = np.round(lon, 6), np.round(lat, 6)
        distance, along = frame.measure(self.x, self.y)
        located = replace(
            self,
            t=np.round(self.t),
            lon=lon,
            lat=lat,
            origin_lon=np.round(olon, 6),
            origin_lat=np.round(olat, 6),
            distance_m=distance,
            along_m=along,
        )
        return replace(located, id=_event_ids(located))


_FLOAT_COLUMNS = frozenset(
    {
        "t",
        "x",
        "y",
        "ox",
        "oy",
        "calibre_mm",
        "burn_until",
        "frp_mw",
        "lon",
        "lat",
        "origin_lon",
        "origin_lat",
        "distance_m",
        "along_m",
    }
)
_DEFAULTS: dict[str, Any] = {
    "domain": "land",
    "ox": np.nan,
    "oy": np.nan,
    "calibre_mm": np.nan,
    "burn_until": np.nan,
    "frp_mw": np.nan,
    "note": "",
    "id": "",
    "lon": np.nan,
    "lat": np.nan,
    "origin_lon": np.nan,
    "origin_lat": np.nan,
    "distance_m": np.nan,
    "along_m": np.nan,
}


def _objects(value: Any, n: int) -> ObjectArray:
    if isinstance(value, np.ndarray | list | tuple):
        out = np.empty(n, dtype=object)
        out[:] = list(value)
        return out
    return np.full(n, value, dtype=object)


def _event_ids(events: EventTable) -> ObjectArray:
    """Ids derived from each event's content; a rare exact duplicate gets a suffix."""
    ids = np.empty(len(events), dtype=object)
    seen: set[str] = set()
    for i, (category, rule, party, kind, t, lon, lat) in enumerate(
        zip(
            events.category.tolist(),
            events.rule.tolist(),
            events.party.tolist(),
            events.kind.tolist(),
            events.t.tolist(),
            events.lon.tolist(),
            events.lat.tolist(),
            strict=True,
        )
    ):
        text = f"{category}|{rule}|{party}|{kind}|{t:.0f}|{lon:.6f}|{lat:.6f}"
        base = "ev-" + hashlib.sha256(text.encode()).hexdigest()[:16]
        candidate, k = base, 1
        while candidate in seen:
            candidate, k = f"{base}-{k}", k + 1
        seen.add(candidate)
        ids[i] = candidate
    return ids
