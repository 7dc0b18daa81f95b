"""WGS 84 geodesic distances and bearings over numpy arrays, and compass words."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import Geod

from truceline.errors import GeometryError

WGS84 = Geod(ellps="WGS84")
"""The WGS 84 ellipsoid; its `inv` and `fwd` solve geodesics exactly (Karney's algorithm)."""

COMPASS_POINTS = (
    "north",
    "north-east",
    "east",
    "south-east",
    "south",
    "south-west",
    "west",
    "north-west",
)
"""The eight compass points, clockwise from north."""


def _paired(*values: ArrayLike) -> list[NDArray[np.float64]]:
    arrays = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in values))
    return [np.ascontiguousarray(a, dtype=np.float64).ravel() for a in arrays]


def geodesic_inverse(
    lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Distance in metres and bearing in degrees [0, 360) from point 1 to point 2, pairwise.

    The inputs broadcast against each other; the results are flat arrays.
    """
    a_lon, a_lat, b_lon, b_lat = _paired(lon1, lat1, lon2, lat2)
    if a_lon.size == 0:
        return np.zeros(0), np.zeros(0)
    azimuth, _, distance = WGS84.inv(a_lon, a_lat, b_lon, b_lat)
    bearing = np.mod(np.asarray(azimuth, dtype=np.float64), 360.0)
    return np.asarray(distance, dtype=np.float64), bearing


def geodesic_distance_m(
    lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike
) -> NDArray[np.float64]:
    """Geodesic distance in metres between paired points on WGS 84."""
    return geodesic_inverse(lon1, lat1, lon2, lat2)[0]


def bearing_deg(
    lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike
) -> NDArray[np.float64]:
    """Initial bearing in degrees clockwise from true north, [0, 360), from point 1 to 2."""
    return geodesic_inverse(lon1, lat1, lon2, lat2)[1]


def destination(
    lon: ArrayLike, lat: ArrayLike, bearing: ArrayLike, distance_m: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The points reached by going `distance_m` metres along `bearing` from each point."""
    a_lon, a_lat, a_bearing, a_distance = _paired(lon, lat, bearing, distance_m)
    if a_lon.size == 0:
        return np.zeros(0), np.zeros(0)
    out_lon, out_lat, _ = WGS84.fwd(a_lon, a_lat, a_bearing, a_distance)
    return np.asarray(out_lon, dtype=np.float64), np.asarray(out_lat, dtype=np.float64)


def compass_direction(bearing_deg: float) -> str:
    """The nearest of the eight compass points to a bearing: 'north', 'north-east', ..."""
    if not math.isfinite(bearing_deg):
        raise GeometryError(
            f"bearing {bearing_deg!r} is not a finite number of degrees; "
            "pass a bearing clockwise from true north"
        )
    sector = math.floor((bearing_deg % 360.0 + 22.5) / 45.0) % 8
    return COMPASS_POINTS[sector]
