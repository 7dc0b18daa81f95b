"""Cloud over the theatre: what blinds thermal satellites.

The theatre is cut into square cells of `CELL_M` (in the frame's metres) and time into
blocks of `BLOCK_S`. Each cell is clear or cloudy in each block, by a two-state Markov chain
per cell whose long-run cloudy share is the month's `CLOUD_SHARE` and whose cloudy spells
last `MEAN_CLOUDY_BLOCKS` blocks on average. A satellite pass sees nothing in a cell that is
cloudy in the pass's block. Every cloudy spell of a cell is a coverage gap.
"""

from __future__ import annotations

import numpy as np
import shapely

from truceline.simulation.events import Window
from truceline.simulation.gaps import CoverageGap, GapReason, gap
from truceline.simulation.placement import BoolArray, FloatArray, TheatreFrame
from truceline.simulation.planning import HARVEST_MAX_KM

CELL_M = 50_000.0
BLOCK_S = 3 * 3_600.0
CLOUD_SHARE = (0.75, 0.7, 0.65, 0.55, 0.5, 0.45, 0.35, 0.3, 0.4, 0.55, 0.7, 0.75)
"""Long-run share of cloudy cells, by month (January first)."""
MEAN_CLOUDY_BLOCKS = 4.0


class Clouds:
    """Clear or cloudy, per cell and block (see the module doc)."""

    def __init__(self, frame: TheatreFrame, window: Window, rng: np.random.Generator) -> None:
        self.frame = frame
        self.t0 = window.t0
        margin = (HARVEST_MAX_KM + 10.0) * 1000.0
        minx, miny, maxx, maxy = frame.line.bounds
        self.x0 = np.floor((minx - margin) / CELL_M) * CELL_M
        self.y0 = np.floor((miny - margin) / CELL_M) * CELL_M
        self.nx = int(np.ceil((maxx + margin - self.x0) / CELL_M))
        self.ny = int(np.ceil((maxy + margin - self.y0) / CELL_M))
        blocks = int(np.ceil(window.days * 86_400.0 / BLOCK_S))
        share = CLOUD_SHARE[window.start.month - 1]
        leave = 1.0 / MEAN_CLOUDY_BLOCKS
        enter = leave * share / (1.0 - share)
        cells = self.nx * self.ny
        draws = rng.random((blocks, cells))
        cloudy = np.empty((blocks, cells), dtype=bool)
        cloudy[0] = draws[0] < share
        for b in range(1, blocks):
            cloudy[b] = np.where(cloudy[b - 1], draws[b] >= leave, draws[b] < enter)
        self.cloudy_blocks = cloudy

    def cell_of(self, x: FloatArray, y: FloatArray) -> np.ndarray:
        """The cell of each point (-1 outside the grid)."""
        i = np.floor((x - self.x0) / CELL_M).astype(np.int64)
        j = np.floor((y - self.y0) / CELL_M).astype(np.int64)
        inside = (i >= 0) & (i < self.nx) & (j >= 0) & (j < self.ny)
        return np.where(inside, j * self.nx + i, -1)

    def cloudy(self, cell: np.ndarray, t: FloatArray | float) -> BoolArray:
        """Whether each cell is under cloud at time t (cells outside the grid are clear)."""
        block = np.clip(
            ((np.asarray(t) - self.t0) // BLOCK_S).astype(np.int64),
            0,
            self.cloudy_blocks.shape[0] - 1,
        )
        block = np.broadcast_to(block, cell.shape)
        out = np.zeros(cell.shape, dtype=bool)
        inside = cell >= 0
        out[inside] = self.cloudy_blocks[block[inside], cell[inside]]
        return out

    def cell_area(self, cell: int) -> str:
        """The cell as a WKT polygon in longitude/latitude."""
        i, j = cell % self.nx, cell // self.nx
        x0, y0 = self.x0 + i * CELL_M, self.y0 + j * CELL_M
        box = shapely.box(x0, y0, x0 + CELL_M, y0 + CELL_M)
        return str(shapely.to_wkt(self.frame.unproject(box), rounding_precision=5, trim=True))

    def gaps(self, sensor: str) -> list[CoverageGap]:
        """One gap per cloudy spell of each cell near the line (within the theatre)."""
        out: list[CoverageGap] = []
        near = (HARVEST_MAX_KM + 10.0) * 1000.0
        blocks = self.cloudy_blocks.shape[0]
        for cell in range(self.nx * self.ny):
            i, j = cell % self.nx, cell // self.nx
            x0, y0 = self.x0 + i * CELL_M, self.y0 + j * CELL_M
            box = shapely.box(x0, y0, x0 + CELL_M, y0 + CELL_M)
            if shapely.distance(box, self.frame.line) > near:
                continue
            column = self.cloudy_blocks[:, cell].astype(np.int8)
            edges = np.diff(np.concatenate([[0], column, [0]]))
            starts = np.flatnonzero(edges == 1)
            ends = np.flatnonzero(edges == -1)
            if starts.size == 0:
                continue
            area = self.cell_area(cell)
            for b0, b1 in zip(starts.tolist(), ends.tolist(), strict=True):
                out.append(
                    gap(
                        sensor,
                        "",
                        GapReason.CLOUD,
                        self.t0 + b0 * BLOCK_S,
                        self.t0 + min(b1, blocks) * BLOCK_S,
                        f"cloud cell {i},{j}",
                        area,
                    )
                )
        return out
