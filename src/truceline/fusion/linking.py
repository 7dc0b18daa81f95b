"""Which observations are linked, and how the links group them into incidents.

Candidates come from k-d trees over 4-d points: the position on a sphere of Earth's radius
(x, y, z, metres; the chord is never longer than the great-circle distance) and a time
coordinate (seconds times a scale, plus a large offset per domain and kind group so that
incompatible observations are never close). A linked pair lies within
hypot(distance tolerance, scale * time tolerance) of each other; the tolerances grow with
the uncertainties, so points are binned by reach (powers of two) and each pair of bins is
searched at the tolerance of the largest uncertainties in the two bins. Every candidate is
then tested exactly with the rule of `FusionParameters`. Cost: O(n log n) for the trees
plus the number of candidates. `group_labels` turns the links into incidents in two tiers:
single linkage among precise observations, one group at most for each vague one.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from truceline.fusion.parameters import FusionParameters
from truceline.fusion.sphere import EARTH_RADIUS_M, haversine_m, unit_vectors
from truceline.observations.table import ObservationTable

IndexArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_SQRT2 = math.sqrt(2.0)
FIT_CHUNK = 1 << 20
"""Candidate pairs tested at once with the exact rule (bounds the temporaries)."""
MIN_SLAB_ROWS = 100_000
"""Tables smaller than two slabs of this many rows are searched in one thread."""


def categories(table: ObservationTable, params: FusionParameters) -> IndexArray:
    """Per observation, one code for its (domain, kind group): links stay within a code."""
    group_of_kind = np.asarray(params.group_of_kind(), dtype=np.int64)
    domain = table.domain.astype(np.int64)
    result: IndexArray = domain * len(params.kind_groups) + group_of_kind[table.kind]
    return result


def reach(table: ObservationTable, params: FusionParameters) -> tuple[FloatArray, FloatArray]:
    """Per observation, the longest distance (m) and time (s) any of its links can span
    with a partner of no larger uncertainty."""
    rho = np.minimum(
        params.k_space * _SQRT2 * table.loc_unc + params.base_distance_m,
        params.max_link_distance_m,
    )
    tau = np.minimum(
        2.0 * params.k_time * table.time_unc + params.base_time_s, params.max_link_time_s
    )
    return rho, tau


def is_vague(table: ObservationTable, params: FusionParameters) -> npt.NDArray[np.bool_]:
    """Observations whose place or time is too uncertain to join two groups."""
    result: npt.NDArray[np.bool_] = (table.loc_unc > params.vague_location_m) | (
        table.time_unc > params.vague_time_s
    )
    return result


def link_fit(
    table: ObservationTable, params: FusionParameters, i: IndexArray, j: IndexArray
) -> FloatArray:
    """The exact linking rule for pairs (i[k], j[k]), symmetric in i and j: how well each
    pair fits, hypot(distance / its tolerance, time gap / its tolerance), or inf when the
    pair is not linked. A linked pair fits at most sqrt(2)."""
    group_of_kind = np.asarray(params.group_of_kind(), dtype=np.int64)
    same = (table.domain[i] == table.domain[j]) & (
        group_of_kind[table.kind[i]] == group_of_kind[table.kind[j]]
    )
    u = table.time_unc
    time_tol = params.k_time * (u[i] + u[j]) + params.base_time_s
    gap = np.abs(table.t[i] - table.t[j])
    r = table.loc_unc
    dist_tol = params.k_space * np.hypot(r[i], r[j]) + params.base_distance_m
    dist = haversine_m(table.lon[i], table.lat[i], table.lon[j], table.lat[j])
    linked = (
        same
        & (gap <= time_tol)
        & (gap < params.max_link_time_s)
        & (dist <= dist_tol)
        & (dist < params.max_link_distance_m)
    )
    time_tol = np.minimum(time_tol, params.max_link_time_s)
    dist_tol = np.minimum(dist_tol, params.max_link_distance_m)
    with np.errstate(divide="ignore", invalid="ignore"):
        fit = np.hypot(
            np.where(time_tol > 0, gap / time_tol, 0.0),
            np.where(dist_tol > 0, dist / dist_tol, 0.0),
        )
    result: FloatArray = np.where(linked, fit, np.inf)
    return result


def is_linked(
    table: ObservationTable, params: FusionParameters, i: IndexArray, j: IndexArray
) -> npt.NDArray[np.bool_]:
    """The exact linking rule for pairs (i[k], j[k]); symmetric in i and j."""
    result: npt.NDArray[np.bool_] = np.isfinite(link_fit(table, params, i, j))
    return result


@dataclass(frozen=True, eq=False)
class _Space:
    """The 4-d points of a table, ready for neighbour search."""

    table: ObservationTable
    params: FusionParameters
    points: FloatArray
    scale: float
    """Metres per second on the time axis."""
    level: IndexArray
    """Bin of each point: log2 of its reach, rounded up."""
    slack: float

    @classmethod
    def of(cls, table: ObservationTable, params: FusionParameters) -> _Space:
        rho, tau = reach(table, params)
        median_tau = float(np.median(tau))
        scale = float(np.median(rho)) / median_tau if median_tau > 0 else 1.0
        if not math.isfinite(scale) or scale <= 0:
            scale = 1.0
        radius = np.maximum(rho, scale * tau)
        time_axis = (table.t - table.t.min()) * scale
        gap = float(time_axis.max()) + 4.0 * float(radius.max()) + 1.0
        time_axis = time_axis + categories(table, params).astype(np.float64) * gap
        points = np.column_stack((EARTH_RADIUS_M * unit_vectors(table.lon, table.lat), time_axis))
        return cls(
            table=table,
            params=params,
            points=points,
            scale=scale,
            level=np.ceil(np.log2(np.maximum(radius, 1.0))).astype(np.int64),
            slack=1e-3 + 1e-12 * float(np.abs(points).max()),
        )

    @property
    def time_axis(self) -> FloatArray:
        column: FloatArray = self.points[:, 3]
        return column

    def radius(self, r_a: float, u_a: float, r_b: float, u_b: float) -> float:
        """Euclidean radius, in the 4-d points, that holds every linked pair of two points
        with location and time uncertainties at most (r_a, u_a) and (r_b, u_b)."""
        p = self.params
        space = min(p.k_space * math.hypot(r_a, r_b) + p.base_distance_m, p.max_link_distance_m)
        time = min(p.k_time * (u_a + u_b) + p.base_time_s, p.max_link_time_s)
        return math.hypot(space, self.scale * time) * (1.0 + 1e-9) + self.slack

    def max_radius(self) -> float:
        """A search radius no pair of the whole table needs more than."""
        r = float(self.table.loc_unc.max())
        u = float(self.table.time_unc.max())
        return self.radius(r, u, r, u)

    def candidate_blocks(self, rows: IndexArray) -> Iterator[tuple[IndexArray, IndexArray]]:
        """Candidate pairs among the given rows, as row numbers of the table (i < j), one
        block per pair of bins."""
        if len(rows) < 2:
            return
        level = self.level[rows]
        bins = [rows[level == lv] for lv in np.unique(level)]
        r_max = [float(self.table.loc_unc[members].max()) for members in bins]
        u_max = [float(self.table.time_unc[members].max()) for members in bins]
        trees = [cKDTree(self.points[members], balanced_tree=False) for members in bins]
        for a, members in enumerate(bins):
            radius = self.radius(r_max[a], u_max[a], r_max[a], u_max[a])
            within = trees[a].query_pairs(radius, output_type="ndarray")
            yield _ordered(members[within[:, 0]], members[within[:, 1]])
            for b in range(a):
                radius = self.radius(r_max[a], u_max[a], r_max[b], u_max[b])
                cross = trees[a].sparse_distance_matrix(trees[b], radius, output_type="ndarray")
                yield _ordered(members[cross["i"]], bins[b][cross["j"]])

    def candidates(self, rows: IndexArray) -> tuple[IndexArray, IndexArray]:
        """Candidate pairs among the given rows, as row numbers of the table (i < j)."""
        blocks = list(self.candidate_blocks(rows))
        if not blocks:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        return (
            np.concatenate([i for i, _ in blocks]),
            np.concatenate([j for _, j in blocks]),
        )


def _ordered(first: IndexArray, second: IndexArray) -> tuple[IndexArray, IndexArray]:
    first = first.astype(np.int64, copy=False)
    second = second.astype(np.int64, copy=False)
    return np.minimum(first, second), np.maximum(first, second)


def candidate_pairs(
    table: ObservationTable, params: FusionParameters
) -> tuple[IndexArray, IndexArray]:
    """Pairs (i < j) that may be linked: a superset of the linked pairs, without repeats."""
    if len(table) < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return _Space.of(table, params).candidates(np.arange(len(table), dtype=np.int64))


def link_pairs(
    table: ObservationTable,
    params: FusionParameters,
    *,
    workers: int | None = None,
    min_slab_rows: int = MIN_SLAB_ROWS,
) -> tuple[IndexArray, IndexArray, FloatArray]:
    """Every linked pair (i < j) of rows of the table, each once, and how well it fits
    (see `link_fit`).

    With several workers, the rows are cut into slabs of the time axis, each searched in
    its own thread together with a halo of earlier rows as wide as the largest search
    radius; a pair belongs to the slab of its later row. The pairs do not depend on it.
    """
    n = len(table)
    if n < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
    space = _Space.of(table, params)
    workers = max(1, os.cpu_count() or 1) if workers is None else max(1, workers)
    slabs = max(1, min(workers, n // max(1, min_slab_rows)))
    w = space.time_axis
    halo = space.max_radius()
    edges = [-math.inf, *np.quantile(w, np.arange(1, slabs) / slabs).tolist(), math.inf]

    def slab(k: int) -> tuple[IndexArray, IndexArray, FloatArray]:
        low, high = edges[k], edges[k + 1]
        rows = np.flatnonzero((w >= low - halo) & (w < high))
        parts: list[tuple[IndexArray, IndexArray, FloatArray]] = []
        # Block by block, so that only one block of candidates is held at a time.
        for i, j in space.candidate_blocks(rows):
            later = np.where((w[j] > w[i]) | ((w[j] == w[i]) & (j > i)), j, i)
            mine = (w[later] >= low) & (w[later] < high)
            parts.append(_linked(table, params, i[mine], j[mine]))
        if not parts:
            return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
        return (
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]),
        )

    if slabs == 1:
        return slab(0)
    with ThreadPoolExecutor(max_workers=min(workers, slabs)) as pool:
        parts = list(pool.map(slab, range(slabs)))
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
    )


def _linked(
    table: ObservationTable, params: FusionParameters, i: IndexArray, j: IndexArray
) -> tuple[IndexArray, IndexArray, FloatArray]:
    """The candidate pairs that are linked, and their fit; tested in chunks so that the
    temporaries of the exact rule stay small."""
    firsts: list[IndexArray] = []
    seconds: list[IndexArray] = []
    fits: list[FloatArray] = []
    for lo in range(0, len(i), FIT_CHUNK):
        a, b = i[lo : lo + FIT_CHUNK], j[lo : lo + FIT_CHUNK]
        fit = link_fit(table, params, a, b)
        keep = np.isfinite(fit)
        firsts.append(a[keep])
        seconds.append(b[keep])
        fits.append(fit[keep])
    if not firsts:
        return i[:0], j[:0], np.empty(0)
    return np.concatenate(firsts), np.concatenate(seconds), np.concatenate(fits)


def group_labels(
    table: ObservationTable,
    params: FusionParameters,
    i: IndexArray,
    j: IndexArray,
    fit: FloatArray,
) -> IndexArray:
    """Incident label of each row, numbered by smallest member, from the linked pairs.

    Precise rows: connected components of their links to each other (single linkage).
    A vague row joins the group of the precise row it fits best (smallest fit, then the
    smallest id), never two groups; vague rows linked to no precise row: connected
    components of their links to each other.
    """
    n = len(table)
    vague = is_vague(table, params)
    vi, vj = vague[i], vague[j]
    precise = ~vi & ~vj
    mixed = vi != vj
    v = np.where(vi, i, j)[mixed]
    p = np.where(vi, j, i)[mixed]
    best = np.lexsort((p, fit[mixed], v))
    v, p = v[best], p[best]
    head = np.concatenate(([True], v[1:] != v[:-1])) if len(v) else np.zeros(0, np.bool_)
    v, p = v[head], p[head]
    attached = np.zeros(n, dtype=np.bool_)
    attached[v] = True
    loose = vi & vj & ~attached[i] & ~attached[j]
    return components(
        n,
        np.concatenate((i[precise], v, i[loose])),
        np.concatenate((j[precise], p, j[loose])),
    )


def components(n: int, i: IndexArray, j: IndexArray) -> IndexArray:
    """Component label of each of n nodes given edges (i, j), numbered by smallest member."""
    if n == 0:
        return np.empty(0, np.int64)
    graph = coo_array((np.ones(len(i), dtype=np.int8), (i, j)), shape=(n, n)).tocsr()
    count, raw = connected_components(graph, directed=False)
    _, first = np.unique(raw, return_index=True)
    renumber = np.empty(count, dtype=np.int64)
    renumber[np.argsort(first)] = np.arange(count, dtype=np.int64)
    labels: IndexArray = renumber[raw]
    return labels
