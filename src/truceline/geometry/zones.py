"""The zones of an agreement as columns: bands measured from the line, and exclusion areas."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from truceline.agreement.model import BUFFER, Agreement, withdrawal_zone_id


@dataclass(frozen=True)
class Band:
    """Points of party `party` (index into the agreement's parties) within `width_m` of the
    line belong to zone column `column`."""

    column: int
    party: int
    width_m: float


@dataclass(frozen=True)
class ZoneMembership:
    """Which zones each point lies in: `matrix[i, j]` is True when point i is in zone
    `zone_ids[j]`; zone ids come in the agreement's order (`Agreement.zone_ids`)."""

    zone_ids: tuple[str, ...]
    matrix: NDArray[np.bool_]

    def zones_of(self, i: int) -> tuple[str, ...]:
        """The ids of the zones point i lies in, in the agreement's order."""
        row = self.matrix[i]
        return tuple(zone for zone, inside in zip(self.zone_ids, row, strict=True) if inside)


def bands_of(agreement: Agreement) -> list[Band]:
    """The bands of the buffer and of every withdrawal zone; a width of 0 means no band."""
    columns = {zone: j for j, zone in enumerate(agreement.zone_ids)}
    party = {p.code: i for i, p in enumerate(agreement.parties)}
    bands: list[Band] = []
    if agreement.zones.buffer is not None:
        for code, km in sorted(agreement.zones.buffer.width_km.items()):
            if km > 0:
                bands.append(Band(columns[BUFFER], party[code], km * 1000.0))
    for band in agreement.zones.withdrawal_bands:
        column = columns[withdrawal_zone_id(band.weapon_class)]
        for code, km in sorted(band.width_km.items()):
            bands.append(Band(column, party[code], km * 1000.0))
    return bands


def in_bands(
    bands: list[Band],
    n_columns: int,
    side: NDArray[np.int8],
    distance_m: NDArray[np.float64],
) -> NDArray[np.bool_]:
    """Band membership of points of known side and distance: (n, n_columns), False in
    columns that are not bands. A point at exactly the width is inside."""
    matrix = np.zeros((side.size, n_columns), dtype=np.bool_)
    for band in bands:
        matrix[:, band.column] |= (side == band.party) & (distance_m <= band.width_m)
    return matrix
