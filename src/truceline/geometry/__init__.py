"""Geometry of an agreement: sides of the line, geodesic distances to it, and zones."""

from truceline.geometry.geodesic import (
    bearing_deg,
    compass_direction,
    destination,
    geodesic_distance_m,
    geodesic_inverse,
)
from truceline.geometry.theatre import Location, Measurement, Theatre
from truceline.geometry.zones import ZoneMembership

__all__ = [
    "Location",
    "Measurement",
    "Theatre",
    "ZoneMembership",
    "bearing_deg",
    "compass_direction",
    "destination",
    "geodesic_distance_m",
    "geodesic_inverse",
]
