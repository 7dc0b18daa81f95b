"""A local azimuthal equidistant projection, used to find nearest points quickly."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from pyproj import CRS, Transformer

SMALLEST_CURVATURE_RADIUS_M = 6_335_000.0
"""Less than 1/sqrt(Gaussian curvature) anywhere on WGS 84 (6,356.8 km at the equator)."""


class LocalProjection:
    """Azimuthal equidistant projection on WGS 84, centred on a point, in metres.

    Distances from the centre are exact geodesic distances; across, the scale grows
    slowly with the distance from the centre (see `max_scale`). Every scale factor is at
    least 1, so a projected distance is never shorter than the geodesic distance.
    """

    def __init__(self, lon0: float, lat0: float) -> None:
        self.lon0 = lon0
        self.lat0 = lat0
        crs = CRS.from_dict(
            {"proj": "aeqd", "lat_0": lat0, "lon_0": lon0, "datum": "WGS84", "units": "m"}
        )
        self._forward = Transformer.from_crs(CRS.from_epsg(4326), crs, always_xy=True)

    def forward(
        self, lon: NDArray[np.float64], lat: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Projected x and y in metres of WGS 84 longitudes and latitudes."""
        if lon.size == 0:
            return np.zeros(0), np.zeros(0)
        x, y = self._forward.transform(lon, lat)
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)

    @staticmethod
    def max_scale(radius_m: float) -> float:
        """An upper bound of the scale factor at points within `radius_m` of the centre.

        The across scale is rho / m (m the reduced length of the geodesic from the centre),
        at most (rho/R) / sin(rho/R) for R below every radius of curvature of the ellipsoid.
        """
        angle = radius_m / SMALLEST_CURVATURE_RADIUS_M
        if angle <= 0.0:
            return 1.0
        if angle >= 0.9 * math.pi:
            return math.inf
        return angle / math.sin(angle)
