"""A regular longitude/latitude grid that decides most points of a query at once."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy import ndimage
from shapely.geometry.base import BaseGeometry

from truceline.geometry.geodesic import geodesic_distance_m

METRES_PER_DEGREE_LAT = 111_000.0
"""A little more than the length of a degree of latitude anywhere, used to size cells."""


@dataclass(frozen=True)
class Grid:
    """Cells of `dlon` by `dlat` degrees; cell `iy * nx + ix` has its corner at
    (`lon0 + ix * dlon`, `lat0 + iy * dlat`)."""

    lon0: float
    lat0: float
    dlon: float
    dlat: float
    nx: int
    ny: int

    @property
    def n_cells(self) -> int:
        return self.nx * self.ny

    @classmethod
    def covering(
        cls, bounds: tuple[float, float, float, float], cell_m: float, max_cells: int
    ) -> Grid:
        """A grid over `bounds` (min lon, min lat, max lon, max lat) with cells of about
        `cell_m` metres, coarser if it would need more than `max_cells` cells."""
        min_lon, min_lat, max_lon, max_lat = bounds
        min_lon, max_lon = max(min_lon, -180.0), min(max_lon, 180.0)
        min_lat, max_lat = max(min_lat, -90.0), min(max_lat, 90.0)
        width = max(max_lon - min_lon, 1e-9)
        height = max(max_lat - min_lat, 1e-9)
        mid_lat = math.radians((min_lat + max_lat) / 2)
        dlat = cell_m / METRES_PER_DEGREE_LAT
        dlon = dlat / max(math.cos(mid_lat), 0.05)
        cells = math.ceil(width / dlon) * math.ceil(height / dlat)
        if cells > max_cells:
            factor = math.sqrt(cells / max_cells) * 1.001
            dlat, dlon = dlat * factor, dlon * factor
        nx, ny = math.ceil(width / dlon), math.ceil(height / dlat)
        while nx * ny > max_cells:
            dlat, dlon = dlat * 1.01, dlon * 1.01
            nx, ny = math.ceil(width / dlon), math.ceil(height / dlat)
        return cls(min_lon, min_lat, dlon, dlat, nx, ny)

    def cells_of(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.int64]:
        """The cell of each point, or -1 for a point outside the grid."""
        fx = np.floor((lon - self.lon0) * (1.0 / self.dlon))
        fy = np.floor((lat - self.lat0) * (1.0 / self.dlat))
        inside = (fx >= 0) & (fx < self.nx) & (fy >= 0) & (fy < self.ny)
        cell = np.full(lon.size, -1, dtype=np.int64)
        cell[inside] = fy[inside].astype(np.int64) * self.nx + fx[inside].astype(np.int64)
        return cell

    def centres(
        self, cells: NDArray[np.int64] | None = None
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Longitude and latitude of the centre of the given cells (all cells by default)."""
        if cells is None:
            cells = np.arange(self.n_cells, dtype=np.int64)
        iy, ix = np.divmod(cells, self.nx)
        return self.lon0 + (ix + 0.5) * self.dlon, self.lat0 + (iy + 0.5) * self.dlat

    def row_radius_m(self) -> NDArray[np.float64]:
        """For each row, more than the geodesic distance from a cell's centre to any point of
        the cell (or a hair outside it)."""
        lat_c = self.lat0 + (np.arange(self.ny) + 0.5) * self.dlat
        corner_lat = np.concatenate([lat_c - self.dlat / 2, lat_c + self.dlat / 2])
        centre_lat = np.concatenate([lat_c, lat_c])
        corner = geodesic_distance_m(0.0, centre_lat, self.dlon / 2, np.clip(corner_lat, -90, 90))
        radius = np.maximum(corner[: self.ny], corner[self.ny :])
        return radius * 1.001 + 0.01

    def crossed_by(self, geometry: BaseGeometry) -> NDArray[np.bool_]:
        """Cells that a linear geometry may cross (a few more, never fewer)."""
        step = 0.5 * min(self.dlon, self.dlat)
        coords = shapely.get_coordinates(shapely.segmentize(geometry, step))
        ix = np.clip(np.floor((coords[:, 0] - self.lon0) / self.dlon), -1, self.nx)
        iy = np.clip(np.floor((coords[:, 1] - self.lat0) / self.dlat), -1, self.ny)
        touched = np.zeros((self.ny + 2, self.nx + 2), dtype=bool)
        touched[iy.astype(np.int64) + 1, ix.astype(np.int64) + 1] = True
        grown = ndimage.binary_dilation(touched, structure=np.ones((3, 3), dtype=bool))
        return np.asarray(grown[1:-1, 1:-1].ravel(), dtype=np.bool_)
