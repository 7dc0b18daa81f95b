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


class TheatreGeometry(Protocol):
    """The vectorised geometry of one agreement version; `Theatre` provides it."""

    def sides(self, lon: FloatArray, lat: FloatArray) -> NDArray[np.int8]: ...

    def distance_to_line_m(self, lon: FloatArray, lat: FloatArray) -> FloatArray: ...

    def signed_distance_m(self, lon: FloatArray, lat: FloatArray) -> FloatArray: ...

    def zone_membership(self, lon: FloatArray, lat: FloatArray) -> ZoneMatrix: ...

    def nearest_on_line(
        self, lon: FloatArray, lat: FloatArray
    ) -> tuple[FloatArray, FloatArray]: ...
