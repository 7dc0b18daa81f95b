"""The line's segments, in degrees and in a local projection, for nearest-point search.

A segment of the line is straight in longitude/latitude, as GeoJSON says. The line is
first cut into short segments (at most `max_segment_deg`), so that each one is also straight
in the projection to within centimetres. The nearest segment of a point is found in the
projection; the nearest point is then taken on the segment in longitude/latitude, and its
distance is measured on the ellipsoid, so it is always a true distance to a point of the line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import MultiLineString

from truceline.geometry.projection import LocalProjection

MAX_SEGMENT_DEG = 0.01
"""Longest segment, in degrees, the line is cut into (about 1 km)."""

PAIR_CHUNK = 4_000_000
"""Most point-segment pairs evaluated at once, to bound memory."""


@dataclass(frozen=True)
class CandidateLists:
    """For each of a set of cells, the segments that can be nearest to a point in it.

    The lists are stored one after the other: cell row r owns
    `segments[offsets[r]:offsets[r + 1]]`, sorted by segment index, never empty.
    """

    offsets: NDArray[np.int64]
    segments: NDArray[np.int64]


class LineIndex:
    """The segments of a line, with an R-tree of their projected images."""

    def __init__(
        self,
        line: MultiLineString,
        projection: LocalProjection,
        max_segment_deg: float = MAX_SEGMENT_DEG,
    ) -> None:
        dense = shapely.segmentize(line, max_segment_deg)
        coords, part = shapely.get_coordinates(shapely.get_parts(dense), return_index=True)
        same_part = part[1:] == part[:-1]
        start = coords[:-1][same_part]
        end = coords[1:][same_part]
        keep = np.any(start != end, axis=1)
        start, end = start[keep], end[keep]
        self.a_lon = np.ascontiguousarray(start[:, 0])
        self.a_lat = np.ascontiguousarray(start[:, 1])
        self.b_lon = np.ascontiguousarray(end[:, 0])
        self.b_lat = np.ascontiguousarray(end[:, 1])
        n = len(start)
        x, y = projection.forward(
            np.concatenate([self.a_lon, self.b_lon, (self.a_lon + self.b_lon) / 2]),
            np.concatenate([self.a_lat, self.b_lat, (self.a_lat + self.b_lat) / 2]),
        )
        self.ax, self.bx, mid_x = x[:n], x[n : 2 * n], x[2 * n :]
        self.ay, self.by, mid_y = y[:n], y[n : 2 * n], y[2 * n :]
        self.dx = self.bx - self.ax
        self.dy = self.by - self.ay
        self.length2 = self.dx * self.dx + self.dy * self.dy
        self.projection = projection
        bend = np.hypot(mid_x - (self.ax + self.bx) / 2, mid_y - (self.ay + self.by) / 2)
        self.max_bend_m = float(bend.max(initial=0.0)) * 1.5 + 0.01
        """How far a projected segment can be from the image of its lon/lat segment."""
        pairs = np.stack([np.stack([self.ax, self.ay], 1), np.stack([self.bx, self.by], 1)], 1)
        self.tree = shapely.STRtree(shapely.linestrings(pairs))

    def __len__(self) -> int:
        return len(self.ax)

    def foot(
        self, segment: NDArray[np.int64], x: NDArray[np.float64], y: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Parameter (0 to 1) of the nearest point of each segment, and its squared distance."""
        ax, ay = self.ax[segment], self.ay[segment]
        dx, dy = self.dx[segment], self.dy[segment]
        length2 = self.length2[segment]
        along = (x - ax) * dx + (y - ay) * dy
        # A segment of zero length (two equal vertices) has its only point at t = 0.
        t = np.divide(along, length2, out=np.zeros_like(along), where=length2 > 0)
        np.clip(t, 0.0, 1.0, out=t)
        ex = x - (ax + t * dx)
        ey = y - (ay + t * dy)
        return t, ex * ex + ey * ey

    def lonlat_at(
        self, segment: NDArray[np.int64], t: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The point at parameter t of each segment, in longitude/latitude."""
        a_lon, a_lat = self.a_lon[segment], self.a_lat[segment]
        lon = a_lon + t * (self.b_lon[segment] - a_lon)
        lat = a_lat + t * (self.b_lat[segment] - a_lat)
        return lon, lat

    def nearest_by_tree(
        self, x: NDArray[np.float64], y: NDArray[np.float64], max_distance: float | None = None
    ) -> NDArray[np.int64]:
        """Index of the nearest projected segment of each point (lowest index on ties), or
        -1 where none is within `max_distance`."""
        nearest = np.full(x.size, -1, dtype=np.int64)
        if x.size == 0:
            return nearest
        hits = self.tree.query_nearest(
            shapely.points(x, y), max_distance=max_distance, all_matches=True
        )
        order = np.lexsort((hits[1], hits[0]))
        point, segment = hits[0][order], hits[1][order]
        first = np.ones(len(point), dtype=bool)
        first[1:] = point[1:] != point[:-1]
        nearest[point[first]] = segment[first]
        return nearest

    def candidates_within(
        self, x: NDArray[np.float64], y: NDArray[np.float64], radius: NDArray[np.float64]
    ) -> CandidateLists:
        """The segments within `radius` of each point; each list must come out non-empty."""
        hits = self.tree.query(shapely.points(x, y), predicate="dwithin", distance=radius)
        order = np.lexsort((hits[1], hits[0]))
        owner, segment = hits[0][order], hits[1][order]
        counts = np.bincount(owner, minlength=x.size)
        offsets = np.zeros(x.size + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        return CandidateLists(offsets=offsets, segments=segment.astype(np.int64))

    def nearest_among(
        self,
        lists: CandidateLists,
        row: NDArray[np.int64],
        x: NDArray[np.float64],
        y: NDArray[np.float64],
    ) -> NDArray[np.int64]:
        """Nearest segment of each point among the candidates of its list `row`.

        Ties go to the lowest segment index, as in `nearest_by_tree`.
        """
        nearest = np.empty(x.size, dtype=np.int64)
        for part, owner, segment, d2 in self._pairs(lists, row, x, y):
            group_start = np.flatnonzero(np.diff(owner, prepend=-1))
            best = np.minimum.reduceat(d2, group_start)
            hit = np.flatnonzero(d2 == np.repeat(best, np.diff(group_start, append=owner.size)))
            first = np.ones(hit.size, dtype=bool)
            first[1:] = owner[hit[1:]] != owner[hit[:-1]]
            nearest[part] = segment[hit[first]]
        return nearest

    def narrowed(
        self,
        lists: CandidateLists,
        row: NDArray[np.int64],
        x: NDArray[np.float64],
        y: NDArray[np.float64],
        radius: NDArray[np.float64],
    ) -> CandidateLists:
        """For each point, the candidates of its list `row` within `radius` of it."""
        kept: list[NDArray[np.int64]] = []
        counts = np.zeros(x.size, dtype=np.int64)
        for part, owner, segment, d2 in self._pairs(lists, row, x, y):
            keep = d2 <= (radius[part][owner] ** 2)
            kept.append(segment[keep])
            counts[part] = np.bincount(owner[keep], minlength=part.stop - part.start)
        offsets = np.zeros(x.size + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        segments = np.concatenate(kept) if kept else np.zeros(0, dtype=np.int64)
        return CandidateLists(offsets=offsets, segments=segments)

    def _pairs(
        self,
        lists: CandidateLists,
        row: NDArray[np.int64],
        x: NDArray[np.float64],
        y: NDArray[np.float64],
    ) -> Iterator[tuple[slice, NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]]:
        """Every (point, candidate segment) pair, in chunks of points: the chunk, the owner
        of each pair within the chunk, its segment and the squared projected distance."""
        counts = lists.offsets[row + 1] - lists.offsets[row]
        ends = np.cumsum(counts)
        start = 0
        while start < x.size:
            stop = int(np.searchsorted(ends, ends[start] - counts[start] + PAIR_CHUNK, "right"))
            part = slice(start, max(stop, start + 1))
            n = part.stop - part.start
            owner = np.repeat(np.arange(n), counts[part])
            group_start = np.cumsum(counts[part]) - counts[part]
            base = lists.offsets[row[part]]
            segment = lists.segments[np.arange(owner.size) - group_start[owner] + base[owner]]
            _, d2 = self.foot(segment, x[part][owner], y[part][owner])
            yield part, owner, segment, d2
            start = part.stop
