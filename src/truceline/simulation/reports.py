"""What sensors report, as columns: one row per report, before reports become observations.

Sensors turn detections into a `Reports` batch (numpy columns) rather than into
`Observation` objects one by one, so that millions of reports cost arrays, not objects.
Values are rounded as a feed would give them (whole seconds, 1e-6 degree, 0.1 m).
Attributes are columns too: a float column (NaN where a report has no value) or an object
column of strings ("" where a report has no value).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

from truceline.simulation.placement import FloatArray, ObjectArray

IndexArray = NDArray[np.int64]


@dataclass(frozen=True)
class Reports:
    """A batch of reports, one row each (see the module doc)."""

    event: IndexArray
    """Row, in the event table, of the event each report is about."""
    source: ObjectArray
    """Source id (str)."""
    ref: ObjectArray
    """The report's own reference (`source_ref`, str)."""
    t: FloatArray
    """Observed time, whole seconds since the epoch."""
    time_unc: FloatArray
    received: FloatArray
    """When the report reached the monitor, whole seconds since the epoch (after `t`)."""
    lon: FloatArray
    lat: FloatArray
    loc_unc: FloatArray
    domain: ObjectArray
    kind: ObjectArray
    weapon_class: ObjectArray
    """Weapon class code, "" when none."""
    calibre: FloatArray
    credibility: NDArray[np.int8]
    """Admiralty credibility 1-6 of the report, 0 for the source's own."""
    attrs: dict[str, np.ndarray]
    """Attribute columns, by attribute name (see the module doc)."""

    def __len__(self) -> int:
        return int(self.event.size)

    @classmethod
    def make(
        cls,
        *,
        event: np.ndarray,
        source: Any,
        ref: Any,
        t: FloatArray | float,
        time_unc: FloatArray | float,
        received: FloatArray | float,
        lon: FloatArray | float,
        lat: FloatArray | float,
        loc_unc: FloatArray | float,
        domain: Any,
        kind: Any,
        weapon_class: Any = "",
        calibre: FloatArray | None = None,
        credibility: Any = 0,
        attrs: Mapping[str, np.ndarray] | None = None,
    ) -> Reports:
        """Reports with times in whole seconds and positions to 1e-6 degree (uncertainties
        as given); a report arrives at least 1 s after it was observed. Scalars are
        repeated."""
        n = int(np.asarray(event).size)
        observed = np.round(_floats(t, n))
        arrived = np.maximum(np.round(_floats(received, n)), observed + 1.0)
        return cls(
            event=np.asarray(event, dtype=np.int64),
            source=_objects(source, n),
            ref=_objects(ref, n),
            t=observed,
            time_unc=_floats(time_unc, n),
            received=arrived,
            lon=np.round(_floats(lon, n), 6),
            lat=np.round(_floats(lat, n), 6),
            loc_unc=_floats(loc_unc, n),
            domain=_objects(domain, n),
            kind=_objects(kind, n),
            weapon_class=_objects(weapon_class, n),
            calibre=np.full(n, np.nan) if calibre is None else _floats(calibre, n),
            credibility=np.broadcast_to(np.asarray(credibility, dtype=np.int8), (n,)).copy(),
            attrs={name: _attribute(column, n) for name, column in (attrs or {}).items()},
        )

    @classmethod
    def empty(cls) -> Reports:
        nothing = np.empty(0)
        return cls.make(
            event=np.empty(0, dtype=np.int64),
            source="",
            ref="",
            t=nothing,
            time_unc=nothing,
            received=nothing,
            lon=nothing,
            lat=nothing,
            loc_unc=nothing,
            domain="",
            kind="",
        )

    @classmethod
    def concat(cls, batches: list[Reports]) -> Reports:
        """One batch of all; attributes missing from a batch are missing (NaN or "")."""
        batches = [b for b in batches if len(b)]
        if not batches:
            return cls.empty()
        kinds: dict[str, np.dtype[Any]] = {}
        for batch in batches:
            for name, column in batch.attrs.items():
                kinds.setdefault(name, column.dtype)
        attrs = {
            name: np.concatenate(
                [b.attrs[name] if name in b.attrs else _missing(dtype, len(b)) for b in batches]
            )
            for name, dtype in sorted(kinds.items())
        }
        columns = {
            f.name: np.concatenate([getattr(b, f.name) for b in batches])
            for f in fields(cls)
            if f.name != "attrs"
        }
        return cls(**columns, attrs=attrs)

    def take(self, index: np.ndarray) -> Reports:
        columns = {f.name: getattr(self, f.name)[index] for f in fields(self) if f.name != "attrs"}
        return Reports(**columns, attrs={k: v[index] for k, v in self.attrs.items()})


def missing(column: np.ndarray) -> NDArray[np.bool_]:
    """Where an attribute column has no value."""
    if column.dtype == np.float64:
        return np.asarray(~np.isfinite(column), dtype=bool)
    return np.asarray(column == "", dtype=bool)


def _missing(dtype: np.dtype[Any], n: int) -> np.ndarray:
    if dtype == np.float64:
        return np.full(n, np.nan)
    return np.full(n, "", dtype=object)


def _attribute(column: np.ndarray, n: int) -> np.ndarray:
    if column.dtype.kind == "f":
        return np.broadcast_to(column.astype(np.float64), (n,)).copy()
    out = np.empty(n, dtype=object)
    out[:] = [("" if v is None else str(v)) for v in np.broadcast_to(column, (n,)).tolist()]
    return out


def _floats(value: Any, n: int) -> FloatArray:
    return np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)).copy()


def _objects(value: Any, n: int) -> ObjectArray:
    if isinstance(value, np.ndarray | list | tuple):
        out = np.empty(n, dtype=object)
        out[:] = ["" if v is None else v for v in list(value)]
        return out
    return np.full(n, "" if value is None else value, dtype=object)
