"""Columnar fusion: link the rows of an ObservationTable and aggregate each component.

Every per-incident sum runs over the incident's rows in id order (np.bincount adds in input
order), so the same observations give the same numbers to the last bit, whatever else is
in the table: batch and incremental fusion agree exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from truceline.fusion.grades import GRADE_PROBABILITY
from truceline.fusion.linking import components, link_pairs
from truceline.fusion.parameters import DEFAULT, KIND_PRIORITY, FusionParameters
from truceline.fusion.sphere import haversine_m, lon_lat, unit_vectors
from truceline.observations.table import GRADES, KINDS, ObservationTable

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_RANK_OF_KIND = np.array([KIND_PRIORITY.index(kind) for kind in KINDS], dtype=np.int64)
_KIND_OF_RANK = np.array([KINDS.index(kind) for kind in KIND_PRIORITY], dtype=np.int64)
_GRADE_OF_RANK = np.lexsort((np.arange(len(GRADES)), -GRADE_PROBABILITY)).astype(np.int64)
"""Grade codes from best to worst: highest probability first, then the first code."""
_RANK_OF_GRADE = np.argsort(_GRADE_OF_RANK).astype(np.int64)
_MIN_RESULTANT = 1e-9
"""Below this mean resultant length, bearings cancel out and have no mean."""


@dataclass(frozen=True, eq=False)
class FusionResult:
    """Incidents as columns: row k of each (k,) array is incident k.

    Incidents are numbered in the order of their smallest observation id. Codes refer to the
    table that was fused; NaN or -1 mark a value no observation gave.
    """

    labels: IndexArray
    """Incident of each observation (table row)."""
    order: IndexArray
    """Table rows grouped by incident, in id order within each."""
    offsets: IndexArray
    """Incident k holds rows order[offsets[k]:offsets[k + 1]]."""
    lon: FloatArray
    lat: FloatArray
    location_uncertainty_m: FloatArray
    start: FloatArray
    """Seconds since the epoch."""
    end: FloatArray
    domain: IndexArray
    primary_kind: IndexArray
    kind_counts: npt.NDArray[np.int32]
    """Shape (k, len(KINDS)): observations of each kind code."""
    weapon: IndexArray
    calibre: FloatArray
    independent_sources: IndexArray
    confidence: FloatArray
    origin_lon: FloatArray
    origin_lat: FloatArray
    bearing: FloatArray
    source_incident: IndexArray
    """With source_code and source_grade: one row per (incident, source), sorted."""
    source_code: IndexArray
    source_grade: IndexArray
    """Best grade code seen from that source in that incident."""
    party_incident: IndexArray
    """With party_code: one row per (incident, named reporting party), sorted."""
    party_code: IndexArray

    @property
    def n_incidents(self) -> int:
        """How many incidents."""
        return len(self.offsets) - 1

    @property
    def first(self) -> IndexArray:
        """Row of the smallest observation id of each incident."""
        result: IndexArray = self.order[self.offsets[:-1]]
        return result

    @property
    def sizes(self) -> IndexArray:
        """Observations per incident."""
        result: IndexArray = np.diff(self.offsets)
        return result


def fuse_table(
    table: ObservationTable, params: FusionParameters = DEFAULT, *, workers: int | None = None
) -> FusionResult:
    """Link the observations of the table and aggregate every connected component.

    `workers` threads search for links (default: one per CPU); the result does not depend
    on it.
    """
    n = len(table)
    labels = components(n, *link_pairs(table, params, workers=workers))
    k = int(labels.max()) + 1 if n else 0
    order = np.argsort(labels, kind="stable")
    sizes = np.bincount(labels, minlength=k)
    offsets = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    starts = offsets[:-1]
    first = order[starts]
    p = GRADE_PROBABILITY[table.grade]

    lon, lat, unc = _location(table, params, labels, k)
    single = sizes == 1
    unc[single] = np.maximum(table.loc_unc, params.location_floor_m)[first[single]]
    start, end = _window(table, order, starts, k)
    rank = np.minimum.reduceat(_RANK_OF_KIND[table.kind][order], starts) if k else labels
    kind_counts = np.bincount(labels * len(KINDS) + table.kind, minlength=k * len(KINDS)).reshape(
        k, len(KINDS)
    )
    independent, confidence = _confidence(table, labels, p, k)
    origin_lon, origin_lat = _origin(table, labels, k)
    src_inc, src_code, src_grade = _best_grades(table, labels, p)
    named = table.party >= 0
    party_key = np.unique(labels[named] * max(len(table.parties), 1) + table.party[named])
    return FusionResult(
        labels=labels,
        order=order,
        offsets=offsets,
        lon=lon,
        lat=lat,
        location_uncertainty_m=unc,
        start=start,
        end=end,
        domain=table.domain[first].astype(np.int64),
        primary_kind=_KIND_OF_RANK[rank],
        kind_counts=kind_counts.astype(np.int32),
        weapon=_mode(labels, table.weapon.astype(np.float64), table.weapon >= 0, k, -1.0).astype(
            np.int64
        ),
        calibre=_mode(labels, table.calibre, np.isfinite(table.calibre), k, np.nan),
        independent_sources=independent,
        confidence=confidence,
        origin_lon=origin_lon,
        origin_lat=origin_lat,
        bearing=_bearing(table, labels, k),
        source_incident=src_inc,
        source_code=src_code,
        source_grade=src_grade,
        party_incident=party_key // max(len(table.parties), 1),
        party_code=party_key % max(len(table.parties), 1),
    )


def _mean_position(
    lon: FloatArray,
    lat: FloatArray,
    weights: FloatArray,
    labels: IndexArray,
    rows: IndexArray,
    k: int,
) -> tuple[FloatArray, FloatArray, IndexArray]:
    """Weighted mean position of the given rows per incident (NaN where none), and counts.

    An incident with a single row keeps that row's coordinates exactly.
    """
    lab = labels[rows]
    vectors = unit_vectors(lon[rows], lat[rows]) * weights[:, None]
    summed = np.asarray(
        np.column_stack([np.bincount(lab, weights=vectors[:, c], minlength=k) for c in range(3)]),
        dtype=np.float64,
    )
    count = np.bincount(lab, minlength=k)
    mean_lon, mean_lat = lon_lat(summed)
    single = count == 1
    only = np.bincount(lab, weights=rows.astype(np.float64), minlength=k)[single].astype(np.int64)
    mean_lon[single] = lon[only]
    mean_lat[single] = lat[only]
    mean_lon[count == 0] = np.nan
    mean_lat[count == 0] = np.nan
    return mean_lon, mean_lat, count


def _location(
    table: ObservationTable,
    params: FusionParameters,
    labels: IndexArray,
    k: int,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Inverse-variance weighted mean, and max(combined sigma, weighted RMS spread)."""
    sigma = np.maximum(table.loc_unc, params.location_floor_m)
    weight = 1.0 / (sigma * sigma)
    rows = np.arange(len(table), dtype=np.int64)
    lon, lat, _ = _mean_position(table.lon, table.lat, weight, labels, rows, k)
    total = np.bincount(labels, weights=weight, minlength=k)
    dist = haversine_m(table.lon, table.lat, lon[labels], lat[labels])
    spread2 = np.bincount(labels, weights=weight * dist * dist, minlength=k) / total
    unc = np.maximum(1.0 / np.sqrt(total), np.sqrt(spread2))
    return lon, lat, unc


def _window(
    table: ObservationTable, order: IndexArray, starts: IndexArray, k: int
) -> tuple[FloatArray, FloatArray]:
    """Intersection of the observations' time windows, or their span when it is empty."""
    if k == 0:
        return np.empty(0), np.empty(0)
    low = (table.t - table.time_unc)[order]
    high = (table.t + table.time_unc)[order]
    latest_start = np.maximum.reduceat(low, starts)
    earliest_end = np.minimum.reduceat(high, starts)
    overlap = latest_start <= earliest_end
    start = np.where(overlap, latest_start, np.minimum.reduceat(low, starts))
    end = np.where(overlap, earliest_end, np.maximum.reduceat(high, starts))
    return start, end


def _confidence(
    table: ObservationTable, labels: IndexArray, p: FloatArray, k: int
) -> tuple[IndexArray, FloatArray]:
    """Independent groups (party channels excluded), and noisy-OR of each group's best p."""
    rows = np.flatnonzero(~table.is_party)
    width = max(len(table.groups), 1)
    key = labels[rows] * width + table.group[rows]
    order = np.argsort(key)
    key = key[order]
    run_start = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1]))) if len(key) else key
    best = np.maximum.reduceat(p[rows][order], run_start) if len(key) else np.empty(0)
    run_label = key[run_start] // width
    independent = np.bincount(run_label, minlength=k).astype(np.int64)
    log_miss = np.bincount(run_label, weights=np.log1p(-best), minlength=k)
    confidence: FloatArray = 0.0 - np.expm1(log_miss)
    return independent, confidence


def _mode(
    labels: IndexArray, values: FloatArray, present: BoolArray, k: int, missing: float
) -> FloatArray:
    """Most frequent present value per incident; ties go to the smallest value."""
    result = np.full(k, missing, dtype=np.float64)
    rows = np.flatnonzero(present)
    if len(rows) == 0:
        return result
    rows = rows[np.lexsort((values[rows], labels[rows]))]
    lab = labels[rows]
    val = values[rows]
    run_start = np.flatnonzero(
        np.concatenate(([True], (lab[1:] != lab[:-1]) | (val[1:] != val[:-1])))
    )
    counts = np.diff(np.concatenate((run_start, [len(rows)])))
    run_lab = lab[run_start]
    run_val = val[run_start]
    best = np.lexsort((run_val, -counts, run_lab))
    first_of_label = np.concatenate(([True], run_lab[best][1:] != run_lab[best][:-1]))
    chosen = best[first_of_label]
    result[run_lab[chosen]] = run_val[chosen]
    return result


def _origin(table: ObservationTable, labels: IndexArray, k: int) -> tuple[FloatArray, FloatArray]:
    """Mean reported origin of fire per incident, NaN where none was reported."""
    rows = np.flatnonzero(np.isfinite(table.origin_lon) & np.isfinite(table.origin_lat))
    if len(rows) == 0:
        return np.full(k, np.nan), np.full(k, np.nan)
    ones = np.ones(len(rows))
    lon, lat, _ = _mean_position(table.origin_lon, table.origin_lat, ones, labels, rows, k)
    return lon, lat


def _bearing(table: ObservationTable, labels: IndexArray, k: int) -> FloatArray:
    """Circular mean of fire_from_bearing_deg per incident, NaN where none or they cancel."""
    rows = np.flatnonzero(np.isfinite(table.bearing))
    if len(rows) == 0:
        return np.full(k, np.nan)
    lab = labels[rows]
    theta = np.radians(table.bearing[rows])
    sin_sum = np.bincount(lab, weights=np.sin(theta), minlength=k)
    cos_sum = np.bincount(lab, weights=np.cos(theta), minlength=k)
    count = np.bincount(lab, minlength=k)
    mean = np.degrees(np.arctan2(sin_sum, cos_sum)) % 360.0
    mean = np.where(mean >= 360.0, 0.0, mean)
    single = count == 1
    only = np.bincount(lab, weights=rows.astype(np.float64), minlength=k)[single].astype(np.int64)
    mean[single] = table.bearing[only]
    weak = np.hypot(sin_sum, cos_sum) < _MIN_RESULTANT * np.maximum(count, 1)
    result: FloatArray = np.where((count == 0) | weak, np.nan, mean)
    return result


def _best_grades(
    table: ObservationTable, labels: IndexArray, p: FloatArray
) -> tuple[IndexArray, IndexArray, IndexArray]:
    """One row per (incident, source): the best grade (highest p, then first code)."""
    width = max(len(table.sources), 1)
    key = np.sort((labels * width + table.source) * len(GRADES) + _RANK_OF_GRADE[table.grade])
    pair = key // len(GRADES)
    head = np.concatenate(([True], pair[1:] != pair[:-1])) if len(key) else key.astype(bool)
    return (
        pair[head] // width,
        pair[head] % width,
        _GRADE_OF_RANK[key[head] % len(GRADES)],
    )
