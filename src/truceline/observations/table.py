"""Observations as columns of numpy arrays: the form the hot paths work on.

A table holds one row per observation, sorted by observation id with no id twice, so that
the same observations always give the same table whatever order they came in. Categorical
fields are small integer codes: kinds, domains and grades index the module's constant
tuples; sources, independence groups, parties and weapon classes index the table's own
sorted vocabularies, so that code order is name order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt

from truceline.errors import InputError
from truceline.observations.model import (
    AttributeValue,
    Credibility,
    Domain,
    Kind,
    Observation,
    Reliability,
)
from truceline.sources.registry import SourceRegistry

KINDS: tuple[Kind, ...] = tuple(Kind)
"""Kind codes: `KINDS[code]`."""
DOMAINS: tuple[Domain, ...] = tuple(Domain)
"""Domain codes: `DOMAINS[code]`."""
GRADES: tuple[str, ...] = tuple(f"{r.value}{c.value}" for r in Reliability for c in Credibility)
"""Admiralty grade codes, 'A1' (0) to 'F6' (35): code = 6 x reliability index + credibility - 1."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]
CodeArray = npt.NDArray[np.int8]
BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.str_]

_KIND_CODE = {kind: code for code, kind in enumerate(KINDS)}
_DOMAIN_CODE = {domain: code for code, domain in enumerate(DOMAINS)}
_RELIABILITY_INDEX = {r: i for i, r in enumerate(Reliability)}


_RANGES: dict[str, tuple[float, float]] = {
    "lon": (-180.0, 180.0),
    "lat": (-90.0, 90.0),
    "t": (-math.inf, math.inf),
    "time_unc": (0.0, math.inf),
    "loc_unc": (0.0, math.inf),
}
"""Allowed range of each numeric column that must be given (finite, within the range)."""


def grade_code(reliability: Reliability, credibility: Credibility) -> int:
    """The code of an Admiralty grade in `GRADES`."""
    return _RELIABILITY_INDEX[reliability] * len(Credibility) + int(credibility) - 1


@dataclass(frozen=True, eq=False)
class ObservationTable:
    """Observations as numpy columns, one row each, sorted by id (see the module doc).

    Missing values: -1 for codes, NaN for numbers.
    """

    ids: StrArray
    """Observation ids, strictly increasing."""
    lon: FloatArray
    lat: FloatArray
    t: FloatArray
    """observed_at, seconds since 1970-01-01 UTC."""
    time_unc: FloatArray
    """time_uncertainty_s."""
    loc_unc: FloatArray
    """location_uncertainty_m."""
    kind: CodeArray
    domain: CodeArray
    grade: CodeArray
    """The observation's Admiralty grade, a code of `GRADES`."""
    source: IntArray
    """Code of the source in `sources`."""
    group: IntArray
    """Code of the source's independence group in `groups`."""
    is_party: BoolArray
    """True when the source is a party's own channel (a party report or a party code)."""
    party: IntArray
    """Code of the reporting party in `parties`, -1 when none is named."""
    weapon: IntArray
    """Code of the weapon class in `weapon_classes`, -1 when none."""
    calibre: FloatArray
    origin_lon: FloatArray
    """Reported origin of fire (attributes origin_lon/origin_lat), NaN when none."""
    origin_lat: FloatArray
    bearing: FloatArray
    """Attribute fire_from_bearing_deg, NaN when none."""
    sources: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    parties: tuple[str, ...] = ()
    weapon_classes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        n = len(self.ids)
        vocabularies = {
            "source": self.sources,
            "group": self.groups,
            "party": self.parties,
            "weapon": self.weapon_classes,
        }
        limits = {"kind": len(KINDS), "domain": len(DOMAINS), "grade": len(GRADES)}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                if list(value) != sorted(set(value)):
                    raise InputError(
                        f"observation table: vocabulary {f.name!r} must be sorted and unique",
                        field=f.name,
                    )
                continue
            if not isinstance(value, np.ndarray) or value.ndim != 1 or len(value) != n:
                raise InputError(
                    f"observation table: column {f.name!r} must be a 1-d array of {n} values "
                    "(one per id)",
                    field=f.name,
                )
        if n > 1 and not bool(np.all(self.ids[1:] > self.ids[:-1])):
            raise InputError(
                "observation table: ids must be strictly increasing (sorted, no duplicates); "
                "build it with ObservationTable.from_observations",
                field="ids",
            )
        if n == 0:
            return
        for name, (low, high) in _RANGES.items():
            column = getattr(self, name)
            bad = ~(np.isfinite(column) & (column >= low) & (column <= high))
            if bool(bad.any()):
                row = int(np.argmax(bad))
                raise InputError(
                    f"observation table: column {name!r} must hold finite numbers in "
                    f"[{low:g}, {high:g}]; row {row} (id {self.ids[row]!r}) holds "
                    f"{float(column[row])!r}",
                    field=name,
                )
        for name, vocabulary in vocabularies.items():
            limits[name] = len(vocabulary)
        for name, limit in limits.items():
            column = getattr(self, name)
            low = 0 if name in ("kind", "domain", "grade", "source", "group") else -1
            if int(column.min()) < low or int(column.max()) >= limit:
                raise InputError(
                    f"observation table: codes of column {name!r} must lie in [{low}, {limit - 1}]",
                    field=name,
                )

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_observations(
        cls, observations: Iterable[Observation], registry: SourceRegistry
    ) -> ObservationTable:
        """Build the table; raises InputError for an observation of an unknown source.

        An id given twice is kept once: the copy received first (then the one whose JSON
        sorts first), so the result does not depend on the order of the input.
        """
        unique = unique_by_id(observations)
        rows = [unique[key] for key in sorted(unique)]
        source_ids = sorted({o.source_id for o in rows})
        registered = {}
        for source_id in source_ids:
            try:
                registered[source_id] = registry.get(source_id)
            except InputError as exc:
                first = next(o for o in rows if o.source_id == source_id)
                raise InputError(f"observation {first.id}: {exc}", field="source_id") from None
        groups = sorted({s.independence_group for s in registered.values()})
        parties = sorted({s.party for s in registered.values() if s.party is not None})
        weapons = sorted({o.weapon_class for o in rows if o.weapon_class is not None})
        source_code = {s: i for i, s in enumerate(source_ids)}
        group_code = {g: i for i, g in enumerate(groups)}
        party_code = {p: i for i, p in enumerate(parties)}
        weapon_code = {w: i for i, w in enumerate(weapons)}
        src = [registered[o.source_id] for o in rows]
        origins = [_origin(o.attributes) for o in rows]
        return cls(
            ids=np.array([o.id for o in rows], dtype=str),
            lon=_floats([o.lon for o in rows]),
            lat=_floats([o.lat for o in rows]),
            t=_floats([o.observed_at.timestamp() for o in rows]),
            time_unc=_floats([o.time_uncertainty_s for o in rows]),
            loc_unc=_floats([o.location_uncertainty_m for o in rows]),
            kind=np.array([_KIND_CODE[o.kind] for o in rows], dtype=np.int8),
            domain=np.array([_DOMAIN_CODE[o.domain] for o in rows], dtype=np.int8),
            grade=np.array([grade_code(o.reliability, o.credibility) for o in rows], dtype=np.int8),
            source=_codes([source_code[o.source_id] for o in rows]),
            group=_codes([group_code[s.independence_group] for s in src]),
            is_party=np.array(
                [s.is_party_channel for s in src],
                dtype=np.bool_,
            ),
            party=_codes([-1 if s.party is None else party_code[s.party] for s in src]),
            weapon=_codes(
                [-1 if o.weapon_class is None else weapon_code[o.weapon_class] for o in rows]
            ),
            calibre=_floats([math.nan if o.calibre_mm is None else o.calibre_mm for o in rows]),
            origin_lon=_floats([lon for lon, _ in origins]),
            origin_lat=_floats([lat for _, lat in origins]),
            bearing=_floats([_bearing(o.attributes) for o in rows]),
            sources=tuple(source_ids),
            groups=tuple(groups),
            parties=tuple(parties),
            weapon_classes=tuple(weapons),
        )


def unique_by_id(observations: Iterable[Observation]) -> dict[str, Observation]:
    """One observation per id: the copy received first, then the one whose JSON sorts first."""
    unique: dict[str, Observation] = {}
    for obs in observations:
        kept = unique.setdefault(obs.id, obs)
        if kept is not obs and _precedence(obs) < _precedence(kept):
            unique[obs.id] = obs
    return unique


def _precedence(obs: Observation) -> tuple[Any, ...]:
    return (obs.received_at, obs.model_dump_json())


def _floats(values: list[float]) -> FloatArray:
    return np.array(values, dtype=np.float64)


def _codes(values: list[int]) -> IntArray:
    return np.array(values, dtype=np.int32)


def _number(value: AttributeValue, low: float, high: float) -> float:
    """The attribute as a finite number in [low, high], else NaN (free-form values)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    number = float(value)
    return number if math.isfinite(number) and low <= number <= high else math.nan


def _origin(attributes: dict[str, AttributeValue]) -> tuple[float, float]:
    lon = _number(attributes.get("origin_lon"), -180.0, 180.0)
    lat = _number(attributes.get("origin_lat"), -90.0, 90.0)
    if math.isnan(lon) or math.isnan(lat):
        return math.nan, math.nan
    return lon, lat


def _bearing(attributes: dict[str, AttributeValue]) -> float:
    return _number(attributes.get("fire_from_bearing_deg"), -360.0, 360.0) % 360.0
