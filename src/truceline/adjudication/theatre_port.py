"""What adjudication needs from the geometry of a theatre (`truceline.geometry.theatre`)."""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


class ZoneMatrix(Protocol):
    """Which zones each point lies in: one row per point, one column per zone id."""

    @property
    def zone_ids(self) -> tuple[str, ...]: ...

    @property
    def matrix(self) -> NDArray[np.bool_]: ...


class Measured(Protocol):
    """What `measure` returns (`truceline.geometry.theatre.Measurement` provides it)."""

    @property
    def side(self) -> NDArray[np.int8]: ...

    @property
    def distance_m(self) -> FloatArray: ...

    @property
    def signed_distance_m(self) -> FloatArray: ...

    @property
    def bearing_from_line_deg(self) -> FloatArray: ...


class TheatreGeometry(Protocol):
    """The vectorised geometry of one agreement version; `Theatre` provides it."""

    def sides(self, lon: FloatArray, lat: FloatArray) -> NDArray[np.int8]: ...

    def zone_membership(self, lon: FloatArray, lat: FloatArray) -> ZoneMatrix: ...

    def measure(self, lon: FloatArray, lat: FloatArray) -> Measured:
        """Side, distances and bearing from the line, found in one search."""
        ...
