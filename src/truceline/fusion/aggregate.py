"""Columnar fusion: link the rows of an ObservationTable, group them, aggregate each group.

Every per-incident sum runs over the incident's rows in id order (np.bincount adds in input
order), so the same observations give the same numbers to the last bit, whatever else is
in the table: batch and incremental fusion agree exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from truceline.fusion.grades import GRADE_PROBABILITY
from truceline.fusion.linking import group_labels, link_pairs
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
    """Weapon class code from the non-party observations, -1 when none states one."""
    calibre: FloatArray
    """Calibre from the non-party observations that state the chosen class (or any, when
    none states a class)."""
    independent_sources: IndexArray
    confidence: FloatArray
    origin_lon: FloatArray
    """Reported origin of fire, from the non-party observations only."""
    origin_lat: FloatArray
    bearing: FloatArray
    """Bearing towards the origin of fire, from the non-party observations only."""
    party_weapon: IndexArray
    """Weapon class claimed by party reports, only where no non-party observation states a
    class or calibre."""
    party_calibre: FloatArray
    party_origin_lon: FloatArray
    """Origin claimed by party reports, only where no non-party observation gives one."""
    party_origin_lat: FloatArray
    party_bearing: FloatArray
    """Bearing claimed by party reports, only where no non-party observation gives one."""
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
    """Link the observations of the table, group them (see `group_labels`) and aggregate
    every group.

    `workers` threads search for links (default: one per CPU); the result does not depend
    on it.
    """
    n = len(table)
    labels = group_labels(table, params, *link_pairs(table, params, workers=workers))
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
    independent_rows = ~table.is_party
    weapon, calibre = _weapon(table, labels, p, independent_rows, k)
    party_weapon, party_calibre = _weapon(table, labels, p, table.is_party, k)
    stated = (weapon >= 0) | np.isfinite(calibre)
    party_weapon[stated] = -1
    party_calibre[stated] = np.nan
    origin_lon, origin_lat = _origin(table, labels, p, independent_rows, k)
    party_origin_lon, party_origin_lat = _origin(table, labels, p, table.is_party, k)
    party_origin_lon[np.isfinite(origin_lon)] = np.nan
    party_origin_lat[np.isfinite(origin_lon)] = np.nan
    bearing = _bearing(table, labels, p, independent_rows, k)
    party_bearing = _bearing(table, labels, p, table.is_party, k)
    party_bearing[np.isfinite(bearing)] = np.nan
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
        weapon=weapon,
        calibre=calibre,
        independent_sources=independent,
        confidence=confidence,
        origin_lon=origin_lon,
        origin_lat=origin_lat,
        bearing=bearing,
        party_weapon=party_weapon,
        party_calibre=party_calibre,
        party_origin_lon=party_origin_lon,
        party_origin_lat=party_origin_lat,
        party_bearing=party_bearing,
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
    labels: IndexArray, values: FloatArray, weights: FloatArray, rows: IndexArray, k: int
) -> FloatArray:
    """Per incident, the value of the given rows with the largest summed weight; ties go to
    the smallest value; NaN where none. Sums run in id order."""
    result = np.full(k, np.nan, dtype=np.float64)
    if len(rows) == 0:
        return result
    rows = rows[np.lexsort((rows, values[rows], labels[rows]))]
    lab = labels[rows]
    val = values[rows]
    run_start = np.flatnonzero(
        np.concatenate(([True], (lab[1:] != lab[:-1]) | (val[1:] != val[:-1])))
    )
    totals = np.add.reduceat(weights[rows], run_start)
    run_lab = lab[run_start]
    run_val = val[run_start]
    best = np.lexsort((run_val, -totals, run_lab))
    first_of_label = np.concatenate(([True], run_lab[best][1:] != run_lab[best][:-1]))
    chosen = best[first_of_label]
    result[run_lab[chosen]] = run_val[chosen]
    return result


def _weapon(
    table: ObservationTable, labels: IndexArray, p: FloatArray, allowed: BoolArray, k: int
) -> tuple[IndexArray, FloatArray]:
    """Weapon class and calibre per incident from the allowed rows, weighted by grade.

    The class is the one with the largest summed probability; the calibre comes from the
    rows that state that class, or from any allowed row when no class is stated.
    """
    classes = table.weapon.astype(np.float64)
    weapon = _mode(labels, classes, p, np.flatnonzero(allowed & (table.weapon >= 0)), k)
    chosen = weapon[labels]
    agrees = np.isnan(chosen) | (classes == chosen)
    rows = np.flatnonzero(allowed & np.isfinite(table.calibre) & agrees)
    calibre = _mode(labels, table.calibre, p, rows, k)
    return np.where(np.isnan(weapon), -1, weapon).astype(np.int64), calibre


def _origin(
    table: ObservationTable, labels: IndexArray, p: FloatArray, allowed: BoolArray, k: int
) -> tuple[FloatArray, FloatArray]:
    """Grade-weighted mean reported origin of fire of the allowed rows, NaN where none."""
    rows = np.flatnonzero(allowed & np.isfinite(table.origin_lon) & np.isfinite(table.origin_lat))
    if len(rows) == 0:
        return np.full(k, np.nan), np.full(k, np.nan)
    lon, lat, _ = _mean_position(table.origin_lon, table.origin_lat, p[rows], labels, rows, k)
    return lon, lat


def _bearing(
    table: ObservationTable, labels: IndexArray, p: FloatArray, allowed: BoolArray, k: int
) -> FloatArray:
    """Grade-weighted circular mean of fire_from_bearing_deg of the allowed rows per
    incident, NaN where none or where they cancel."""
    rows = np.flatnonzero(allowed & np.isfinite(table.bearing))
    if len(rows) == 0:
        return np.full(k, np.nan)
    lab = labels[rows]
    theta = np.radians(table.bearing[rows])
    weight = p[rows]
    sin_sum = np.bincount(lab, weights=weight * np.sin(theta), minlength=k)
    cos_sum = np.bincount(lab, weights=weight * np.cos(theta), minlength=k)
    count = np.bincount(lab, minlength=k)
    total = np.bincount(lab, weights=weight, minlength=k)
    mean = np.degrees(np.arctan2(sin_sum, cos_sum)) % 360.0
    mean = np.where(mean >= 360.0, 0.0, mean)
    single = count == 1
    only = np.bincount(lab, weights=rows.astype(np.float64), minlength=k)[single].astype(np.int64)
    mean[single] = table.bearing[only]
    weak = np.hypot(sin_sum, cos_sum) < _MIN_RESULTANT * np.maximum(total, 1e-300)
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
