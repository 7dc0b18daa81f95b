"""Checking longitude/latitude arrays before any geometry is computed on them."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from truceline.errors import GeometryError


def coordinate_arrays(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Longitudes and latitudes as two 1-D float64 arrays of the same length.

    Raises GeometryError, naming the first offending point, for arrays that are not 1-D or
    not of the same length, and for values that are not finite or out of range.
    """
    try:
        lon_a = np.ascontiguousarray(lon, dtype=np.float64)
        lat_a = np.ascontiguousarray(lat, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise GeometryError(
            f"longitudes and latitudes must be numbers in degrees: {exc}; "
            "pass two 1-D arrays of floats"
        ) from None
    if lon_a.ndim != 1 or lat_a.ndim != 1:
        raise GeometryError(
            f"longitudes and latitudes must be 1-D arrays, got shapes {lon_a.shape} and "
            f"{lat_a.shape}; flatten them first"
        )
    if lon_a.shape != lat_a.shape:
        raise GeometryError(
            f"got {lon_a.size} longitudes but {lat_a.size} latitudes; pass one of each per point"
        )
    finite = np.isfinite(lon_a) & np.isfinite(lat_a)
    if not finite.all():
        i = int(np.argmin(finite))
        raise GeometryError(
            f"point {i}: longitude/latitude ({lon_a[i]}, {lat_a[i]}) is not a finite number; "
            "drop or fix that point before locating it"
        )
    in_range = (np.abs(lon_a) <= 180.0) & (np.abs(lat_a) <= 90.0)
    if not in_range.all():
        i = int(np.argmin(in_range))
        raise GeometryError(
            f"point {i}: longitude/latitude ({lon_a[i]}, {lat_a[i]}) is out of range; "
            "expected WGS 84 degrees, longitude in [-180, 180] and latitude in [-90, 90] "
            "(are the columns swapped?)"
        )
    return lon_a, lat_a
