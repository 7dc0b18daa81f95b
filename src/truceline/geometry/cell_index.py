"""What a grid cell can tell about all the points in it, worked out once per theatre.

For each cell of a longitude/latitude grid: the side of the line it lies on (or "mixed"
when a held area's boundary may cross it), and for each zone whether every point of the
cell is in the zone, none is, or it depends on the point. Distances are bounded with
proven margins (cell size, line resolution, scale of the projection), so a decided cell
agrees with the exact distance of every point in it. Cells that stay undecided for a band
also get the short list of line segments that can be nearest to any point in them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import MultiPolygon

from truceline.errors import GeometryError
from truceline.geometry.geodesic import geodesic_distance_m
from truceline.geometry.grid import Grid
from truceline.geometry.line_index import CandidateLists, LineIndex
from truceline.geometry.zones import Band

OUT, IN, UNDECIDED = 0, 1, 2
"""States of a cell for a zone."""

MIXED = -1
"""Side of a cell that a held area's boundary may cross."""

BLOCK = 4
"""Cells per side of the blocks whose candidate lists seed those of their cells."""

LISTED_REACH_M = 20_000.0
"""Cells within this distance of the line (or of the widest band, if wider) get candidate
lists, so that exact distances there need no tree search."""


@dataclass(frozen=True)
class Areas:
    """The held areas (party index, area) in the agreement's order of parties, the party
    holding the rest, and the exclusion areas (zone column, area)."""

    held: tuple[tuple[int, MultiPolygon], ...]
    rest: int
    exclusions: tuple[tuple[int, MultiPolygon], ...]

    def sides(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.int8]:
        """Exact side of each point: the first party whose held area contains it, else the
        party holding the rest."""
        side = np.full(lon.size, self.rest, dtype=np.int8)
        if lon.size == 0:
            return side
        assigned = np.zeros(lon.size, dtype=bool)
        for party, area in self.held:
            inside = ~assigned & shapely.contains_xy(area, lon, lat)
            side[inside] = party
            assigned |= inside
        return side


def expand_bounds(
    bounds: tuple[float, float, float, float], reach_m: float
) -> tuple[float, float, float, float]:
    """Bounds grown so that every point outside is more than `reach_m` (geodesic) away
    from every point inside."""
    min_lon, min_lat, max_lon, max_lat = bounds
    dlat = reach_m / 110_000.0
    top = min(max(abs(min_lat), abs(max_lat)) + dlat + 1.0, 89.0)
    dlon = min(reach_m / (111_000.0 * math.cos(math.radians(top))), 360.0)
    return (min_lon - dlon, min_lat - dlat, max_lon + dlon, max_lat + dlat)


def union_bounds(*bounds: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The bounding box of several bounding boxes."""
    return (
        min(b[0] for b in bounds),
        min(b[1] for b in bounds),
        max(b[2] for b in bounds),
        max(b[3] for b in bounds),
    )


def band_states(
    bands: list[Band],
    side: NDArray[np.int8],
    lower: NDArray[np.float64],
    upper: NDArray[np.float64],
) -> tuple[dict[int, NDArray[np.int8]], NDArray[np.bool_]]:
    """States of cells in each band column, given each cell's side and bounds of the
    distance of its points; and which cells are undecided in some column."""
    states: dict[int, NDArray[np.int8]] = {}
    undecided = np.zeros(side.size, dtype=np.bool_)
    for column in sorted({band.column for band in bands}):
        inside = np.zeros(side.size, dtype=np.bool_)
        unsure = np.zeros(side.size, dtype=np.bool_)
        for band in (b for b in bands if b.column == column):
            beyond = lower > band.width_m
            certain = (side == band.party) & (upper <= band.width_m)
            inside |= certain
            unsure |= ((side == band.party) | (side == MIXED)) & ~beyond & ~certain
        unsure &= ~inside
        states[column] = np.where(inside, IN, np.where(unsure, UNDECIDED, OUT)).astype(np.int8)
        undecided |= unsure
    return states, undecided


class CellIndex:
    """Per-cell sides, zone states and candidate segments of one theatre."""

    def __init__(
        self,
        grid: Grid,
        line: LineIndex,
        areas: Areas,
        bands: list[Band],
        n_columns: int,
        band_bounds: tuple[float, float, float, float],
    ) -> None:
        self.grid = grid
        centres = grid.centres()
        self.side = areas.sides(*centres)
        for _, area in areas.held:
            self.side[grid.crossed_by(area.boundary)] = MIXED
        self.states = np.zeros((grid.n_cells, n_columns), dtype=np.int8)
        for column, area in areas.exclusions:
            crossed = grid.crossed_by(area.boundary)
            inside = shapely.contains_xy(area, *centres)
            self.states[:, column] = np.where(crossed, UNDECIDED, np.where(inside, IN, OUT))
        self.list_row = np.full(grid.n_cells, -1, dtype=np.int64)
        self.lists = CandidateLists(np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64))
        self._bound_distances(line, bands, band_bounds, centres)

    def _bound_distances(
        self,
        line: LineIndex,
        bands: list[Band],
        band_bounds: tuple[float, float, float, float],
        centres: tuple[NDArray[np.float64], NDArray[np.float64]],
    ) -> None:
        """Distance bounds, band states and candidate lists of the cells near the line.

        Blocks of BLOCK x BLOCK cells first get the list of segments that can be nearest
        to any of their points; each cell's exact centre distance is then found among its
        block's candidates, and the cells left undecided get their own, shorter list.
        """
        grid = self.grid
        listed_reach = max(max((band.width_m for band in bands), default=0.0), LISTED_REACH_M)
        near = expand_bounds(band_bounds, LISTED_REACH_M)
        c_lon, c_lat = centres
        cells = np.flatnonzero(
            (c_lon > near[0] - grid.dlon)
            & (c_lon < near[2] + grid.dlon)
            & (c_lat > near[1] - grid.dlat)
            & (c_lat < near[3] + grid.dlat)
        )
        projection = line.projection
        scale = projection.max_scale(
            self._max_radius_m(grid, projection.lon0, projection.lat0) + listed_reach
        )
        if not math.isfinite(scale):
            raise GeometryError(
                "the theatre spans too much of the globe for one local projection; "
                "split the agreement's area or shorten the zone widths"
            )
        slack = line.max_bend_m

        blocks = Grid(
            grid.lon0,
            grid.lat0,
            grid.dlon * BLOCK,
            grid.dlat * BLOCK,
            -(-grid.nx // BLOCK),
            -(-grid.ny // BLOCK),
        )
        iy, ix = np.divmod(cells, grid.nx)
        block_ids, block_of = np.unique(
            (iy // BLOCK) * blocks.nx + ix // BLOCK, return_inverse=True
        )
        bx, by = projection.forward(*blocks.centres(block_ids))
        b_radius = scale * blocks.row_radius_m()[block_ids // blocks.nx]
        horizon = listed_reach * scale + slack + 2 * float(b_radius.max(initial=0.0)) + 1.0
        b_segment = line.nearest_by_tree(bx, by, max_distance=horizon)
        b_near = b_segment >= 0
        _, b_d2 = line.foot(np.maximum(b_segment, 0), bx, by)
        b_reach = np.sqrt(b_d2) + 2 * b_radius + slack + 1.0
        block_lists = line.candidates_within(bx[b_near], by[b_near], b_reach[b_near])
        block_row = np.cumsum(b_near) - 1

        # A block with no segment within the horizon is out of every band.
        keep = b_near[block_of]
        cells, block_of = cells[keep], block_of[keep]
        side = self.side[cells]
        b_side_min = np.full(block_ids.size, 127, dtype=np.int8)
        b_side_max = np.full(block_ids.size, -128, dtype=np.int8)
        np.minimum.at(b_side_min, block_of, side)
        np.maximum.at(b_side_max, block_of, side)
        b_side = np.where(b_side_min == b_side_max, b_side_min, MIXED).astype(np.int8)
        b_distance = np.sqrt(b_d2)
        b_states, b_undecided = band_states(
            bands,
            b_side,
            (b_distance - b_radius - slack) / scale,
            b_distance + b_radius + slack,
        )

        # Cells of a decided block take its states; the others are measured one by one.
        decided = ~b_undecided[block_of]
        for column, states in b_states.items():
            self.states[cells[decided], column] = states[block_of[decided]]
        self.list_row[cells] = block_row[block_of]
        cells, row, side = cells[~decided], block_row[block_of[~decided]], side[~decided]
        cx, cy = projection.forward(*grid.centres(cells))
        _, d2 = line.foot(line.nearest_among(block_lists, row, cx, cy), cx, cy)
        centre = np.sqrt(d2)
        radius = scale * grid.row_radius_m()[cells // grid.nx]
        states_of, undecided = band_states(
            bands, side, (centre - radius - slack) / scale, centre + radius + slack
        )
        for column, states in states_of.items():
            self.states[cells, column] = states

        own = line.narrowed(
            block_lists,
            row[undecided],
            cx[undecided],
            cy[undecided],
            centre[undecided] + 2 * radius[undecided] + slack + 1.0,
        )
        n_blocks = len(block_lists.offsets) - 1
        self.lists = CandidateLists(
            offsets=np.concatenate(
                [block_lists.offsets[:-1], own.offsets + block_lists.offsets[-1]]
            ),
            segments=np.concatenate([block_lists.segments, own.segments]),
        )
        self.list_row[cells[undecided]] = n_blocks + np.arange(int(undecided.sum()))

    @staticmethod
    def _max_radius_m(grid: Grid, lon0: float, lat0: float) -> float:
        """More than the geodesic distance from (lon0, lat0) to any point of the grid."""
        west, east = grid.lon0, grid.lon0 + grid.nx * grid.dlon
        south, north = grid.lat0, min(grid.lat0 + grid.ny * grid.dlat, 90.0)
        steps = np.linspace(0.0, 1.0, 257)[:-1]
        lon = np.concatenate(
            [
                west + steps * (east - west),
                np.full(256, east),
                east - steps * (east - west),
                np.full(256, west),
            ]
        )
        lat = np.concatenate(
            [
                np.full(256, south),
                south + steps * (north - south),
                np.full(256, north),
                north - steps * (north - south),
            ]
        )
        distance = geodesic_distance_m(lon0, lat0, lon, lat)
        gap = geodesic_distance_m(lon, lat, np.roll(lon, -1), np.roll(lat, -1))
        return float(distance.max() + gap.max())
