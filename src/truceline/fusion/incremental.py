"""Incremental fusion: fold new observations into the incidents a store already holds.

`refuse` loads from the store every observation within linking reach of the new ones
(at most `max_link_distance_m` and `max_link_time_s` away), fuses them, and repeats around
the members of the affected incidents whose own reach was not loaded yet, until the
incidents that hold a new observation are closed. A new observation can also take vague
members from stored incidents it does not join; those incidents are rebuilt too (their
members read by id). Only these incidents are rebuilt. After
the new observations are stored and the update applied (removals first, then additions),
the store holds exactly what batch `fuse` of all its observations gives, provided its
incidents came from fusion with the same parameters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import numpy as np
import numpy.typing as npt

from truceline.fusion.aggregate import fuse_table
from truceline.fusion.build import build_incidents
from truceline.fusion.incident import Incident
from truceline.fusion.parameters import DEFAULT, FusionParameters
from truceline.fusion.sphere import EARTH_RADIUS_M
from truceline.observations.model import Observation
from truceline.observations.table import ObservationTable, unique_by_id
from truceline.sources.registry import SourceRegistry
from truceline.store.base import BBox, TimeWindow

FloatArray = npt.NDArray[np.float64]

_TIME_MARGIN_S = 1.0
_ANGLE_MARGIN = 1e-6
"""Relative widening of the boxes searched, against rounding."""


class FusionStore(Protocol):
    """What incremental fusion reads from a store."""

    def observations(
        self,
        *,
        window: TimeWindow | None = None,
        bbox: BBox | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[Observation]:
        """Observations whose time window overlaps `window`, that lie in `bbox` and whose id
        is one of `ids` (each filter only when given)."""
        ...

    def incidents_containing(self, observation_ids: Sequence[str]) -> list[Incident]:
        """Incidents holding any of these observations."""
        ...


@dataclass(frozen=True)
class FusionUpdate:
    """Incidents to delete (by id), then incidents to add; both sorted by id.

    An incident that grew but kept its id is in both lists; an unchanged one in neither.
    """

    removed_ids: list[str]
    added: list[Incident]


@dataclass(frozen=True)
class _Boxes:
    """Per point, the box of time and place any link of it can reach; clamped to the globe."""

    t0: FloatArray
    t1: FloatArray
    lon0: FloatArray
    lon1: FloatArray
    lat0: FloatArray
    lat1: FloatArray

    @classmethod
    def around(
        cls, t: FloatArray, lon: FloatArray, lat: FloatArray, params: FusionParameters
    ) -> _Boxes:
        reach_t = params.max_link_time_s + _TIME_MARGIN_S
        delta = params.max_link_distance_m / EARTH_RADIUS_M * (1.0 + _ANGLE_MARGIN) + 1e-9
        dlat = np.degrees(delta)
        cos_lat = np.cos(np.radians(lat))
        sin_delta = math.sin(min(delta, math.pi / 2))
        polar = (sin_delta >= cos_lat) | (delta >= math.pi / 2)
        ratio = sin_delta / np.where(polar, 1.0, cos_lat)
        dlon = np.degrees(np.arcsin(np.minimum(ratio, 1.0))) * (1.0 + _ANGLE_MARGIN)
        lon0 = lon - dlon
        lon1 = lon + dlon
        whole = polar | (lon0 < -180.0) | (lon1 > 180.0)
        return cls(
            t0=t - reach_t,
            t1=t + reach_t,
            lon0=np.where(whole, -180.0, lon0),
            lon1=np.where(whole, 180.0, lon1),
            lat0=np.maximum(lat - dlat, -90.0),
            lat1=np.minimum(lat + dlat, 90.0),
        )

    def envelope(self) -> tuple[float, float, float, float, float, float]:
        """The smallest single box holding every box."""
        return (
            float(self.t0.min()),
            float(self.t1.max()),
            float(self.lon0.min()),
            float(self.lon1.max()),
            float(self.lat0.min()),
            float(self.lat1.max()),
        )

    def inside(
        self, region: tuple[float, float, float, float, float, float]
    ) -> npt.NDArray[np.bool_]:
        """Which boxes lie wholly inside the region."""
        t0, t1, lon0, lon1, lat0, lat1 = region
        result: npt.NDArray[np.bool_] = (
            (self.t0 >= t0)
            & (self.t1 <= t1)
            & (self.lon0 >= lon0)
            & (self.lon1 <= lon1)
            & (self.lat0 >= lat0)
            & (self.lat1 <= lat1)
        )
        return result


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def refuse(
    new: Sequence[Observation],
    store: FusionStore,
    registry: SourceRegistry,
    params: FusionParameters = DEFAULT,
) -> FusionUpdate:
    """The change to the store's incidents that folds in the new observations.

    The new observations may already be in the store or not; where the store holds an
    observation of the same id, the stored one is used (a report is stored once).
    Raises InputError when an observation names a source the registry does not know.
    """
    if not new:
        return FusionUpdate(removed_ids=[], added=[])
    given = unique_by_id(new)
    new_ids = sorted(given)
    known: dict[str, Observation] = {o.id: o for o in store.observations(ids=new_ids)}
    for obs_id in new_ids:
        known.setdefault(obs_id, given[obs_id])
    first = [known[obs_id] for obs_id in new_ids]
    frontier: _Boxes | None = _Boxes.around(
        np.array([o.observed_at.timestamp() for o in first]),
        np.array([o.lon for o in first]),
        np.array([o.lat for o in first]),
        params,
    )
    old: dict[str, Incident] = {}
    asked: set[str] = set()
    fetched: set[str] = set()
    regions: list[tuple[float, float, float, float, float, float]] = []
    while True:
        if frontier is not None:
            region = frontier.envelope()
            t0, t1, lon0, lon1, lat0, lat1 = region
            window = TimeWindow(start=_utc(t0), end=_utc(t1))
            bbox = BBox(min_lon=lon0, min_lat=lat0, max_lon=lon1, max_lat=lat1)
            for obs in store.observations(window=window, bbox=bbox):
                known.setdefault(obs.id, obs)
            regions.append(region)
        table = ObservationTable.from_observations(known.values(), registry)
        result = fuse_table(table, params)
        affected, missing = _affected(table, result.labels, new_ids, store, old, asked, fetched)
        if missing:
            for obs in store.observations(ids=missing):
                known.setdefault(obs.id, obs)
            frontier = None
            continue
        members = np.flatnonzero(np.isin(result.labels, affected))
        boxes = _Boxes.around(table.t[members], table.lon[members], table.lat[members], params)
        covered = np.zeros(len(members), dtype=np.bool_)
        for seen in regions:
            covered |= boxes.inside(seen)
        if covered.all():
            break
        open_rows = members[~covered]
        frontier = _Boxes.around(
            table.t[open_rows], table.lon[open_rows], table.lat[open_rows], params
        )
    added = build_incidents(table, result, affected.tolist())
    fresh = {inc.id: inc for inc in added}
    return FusionUpdate(
        removed_ids=sorted(key for key, inc in old.items() if fresh.get(key) != inc),
        added=[inc for inc in added if old.get(inc.id) != inc],
    )


def _affected(
    table: ObservationTable,
    labels: npt.NDArray[np.int64],
    new_ids: list[str],
    store: FusionStore,
    old: dict[str, Incident],
    asked: set[str],
    fetched: set[str],
) -> tuple[npt.NDArray[np.int64], list[str]]:
    """The groups that hold a new observation, and the groups of every member of a stored
    incident they touch (a vague report that moves, or one that now fits a precise group,
    leaves the rest of its former incident to be rebuilt), repeated until closed; and the
    members of those stored incidents that are not loaded yet.

    `old` collects the stored incidents touched, `asked` the ids whose incidents were
    looked up, `fetched` the ids already asked from the store (one the store does not hold
    is asked once).
    """
    affected = np.unique(labels[np.searchsorted(table.ids, new_ids)])
    while True:
        members = table.ids[np.isin(labels, affected)].tolist()
        ask = [obs_id for obs_id in members if obs_id not in asked]
        asked.update(ask)
        if ask:
            for incident in store.incidents_containing(ask):
                old[incident.id] = incident
        held = sorted({obs_id for inc in old.values() for obs_id in inc.observation_ids})
        rows = np.searchsorted(table.ids, held)
        found = rows < len(table.ids)
        found[found] = table.ids[rows[found]] == np.asarray(held, dtype=str)[found]
        missing = [
            obs_id
            for obs_id, ok in zip(held, found.tolist(), strict=True)
            if not ok and obs_id not in fetched
        ]
        if missing:
            fetched.update(missing)
            return affected, missing
        grown = np.union1d(affected, labels[rows[found]])
        if len(grown) == len(affected) and not ask:
            return affected, []
        affected = grown
