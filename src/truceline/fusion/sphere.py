"""Distances and means on a spherical Earth, vectorised (good to ~0.5 % for linking)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG), metres."""

FloatArray = npt.NDArray[np.float64]


def haversine_m(
    lon1: FloatArray, lat1: FloatArray, lon2: FloatArray, lat2: FloatArray
) -> FloatArray:
    """Great-circle distance in metres; symmetric in its two points to the last bit."""
    phi1 = np.radians(lat1)
    phi2 = np.radians(lat2)
    half_dphi = np.sin((phi2 - phi1) / 2.0)
    half_dlam = np.sin(np.radians(lon2 - lon1) / 2.0)
    a = half_dphi * half_dphi + np.cos(phi1) * np.cos(phi2) * (half_dlam * half_dlam)
    result: FloatArray = 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return result


def unit_vectors(lon: FloatArray, lat: FloatArray) -> FloatArray:
    """Points as unit vectors of shape (n, 3), x towards (0, 0), z towards the north pole."""
    lam = np.radians(lon)
    phi = np.radians(lat)
    cos_phi = np.cos(phi)
    return np.column_stack((cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)))


def lon_lat(vectors: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Longitude and latitude in degrees of (not necessarily unit) vectors of shape (n, 3)."""
    x, y, z = vectors[:, 0], vectors[:, 1], vectors[:, 2]
    lon: FloatArray = np.degrees(np.arctan2(y, x))
    lat: FloatArray = np.degrees(np.arctan2(z, np.hypot(x, y)))
    return lon, lat
