"""The same-day strategy: decide on the day, from what is known that day.

A ceasefire monitor cannot wait a week for the retrospective rule's second occasion. The
same-day strategy starts from the same test — a cell-day whose count has less than 5 %
probability in a normal year is an **excess** — and asks for corroboration that is
available on the day instead of a later repetition. Each detection gets a score in
"decimal points of evidence":

    score = rarity                       -log10 p of its cell-day (1.3 at 5 %, 3 at 0.1 %)
          + 1    neighbour               an adjacent cell (of the 8 around) has excess that day
          + 1    persistence             its cell had excess on one of the 10 days before
          + 1    near the line           it lies within 25 km of the line of contact
          + 0.5  night                   a night-time detection
          + 0.5  high FRP                fire radiative power of 30 MW or more

and is **anomalous** when its cell-day is an excess and the score is at least 3: a cell-day
with p < 0.001 stands alone; a 5 % excess needs about two of the corroborations. Rarity,
neighbours and persistence are computed from the background and the batch (and any earlier
detections given as context); the last three need the line and the full FIRMS columns and
count as zero when unknown. Night and FRP weigh half: the historical files have no time or
FRP, so what is normal for them cannot be measured, and neither can flag a detection
without one of the measured terms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

THRESHOLD = 3.0
NEIGHBOUR_POINTS = 1.0
PERSISTENCE_POINTS = 1.0
NEAR_LINE_POINTS = 1.0
NIGHT_POINTS = 0.5
HIGH_FRP_POINTS = 0.5
NEAR_LINE_KM = 25.0
HIGH_FRP_MW = 30.0
PERSISTENCE_DAYS = 10

_DAY_BITS = 24
_COL_BITS = 13
_ROW_OFFSET = 1000
_COL_OFFSET = 2000


@dataclass(frozen=True)
class CellDayEvidence:
    """Per cell-day: whether an adjacent cell has excess that day, and whether the cell had
    excess in the days before."""

    neighbour: NDArray[np.bool_]
    persistent: NDArray[np.bool_]


def _key(
    row: NDArray[np.int64], col: NDArray[np.int64], day: NDArray[np.int64]
) -> NDArray[np.int64]:
    cell = ((row + _ROW_OFFSET) << _COL_BITS) + (col + _COL_OFFSET)
    return (cell << _DAY_BITS) + day


def cell_day_evidence(
    row: NDArray[np.int64],
    col: NDArray[np.int64],
    day: NDArray[np.int64],
    excess: NDArray[np.bool_],
    *,
    persistence_days: int = PERSISTENCE_DAYS,
) -> CellDayEvidence:
    """Neighbour and persistence evidence of each cell-day (global 0.1° row and column,
    day number from any origin, non-negative and below 2^24)."""
    row = np.asarray(row, dtype=np.int64)
    col = np.asarray(col, dtype=np.int64)
    day = np.asarray(day, dtype=np.int64)
    excess = np.asarray(excess, dtype=np.bool_)
    excess_keys = np.sort(_key(row[excess], col[excess], day[excess]))
    neighbour = np.zeros(len(row), dtype=np.bool_)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            if dr == 0 and dc == 0:
                continue
            neighbour |= np.isin(_key(row + dr, col + dc, day), excess_keys)
    if excess_keys.size == 0:
        return CellDayEvidence(neighbour=neighbour, persistent=np.zeros(len(row), dtype=np.bool_))
    keys = _key(row, col, day)
    position = np.searchsorted(excess_keys, keys, side="left") - 1
    before = excess_keys[np.maximum(position, 0)]
    same_cell = (before >> _DAY_BITS) == (keys >> _DAY_BITS)
    gap = day - (before & ((1 << _DAY_BITS) - 1))
    persistent = (position >= 0) & same_cell & (gap >= 1) & (gap <= persistence_days)
    return CellDayEvidence(neighbour=neighbour, persistent=persistent)


@dataclass(frozen=True)
class SameDayScore:
    """Per detection: the score, its terms, and whether it is anomalous."""

    score: NDArray[np.float64]
    anomalous: NDArray[np.bool_]
    neighbour: NDArray[np.bool_]
    persistent: NDArray[np.bool_]
    near_line: NDArray[np.bool_]
    night: NDArray[np.bool_]
    high_frp: NDArray[np.bool_]


def same_day_score(
    rarity: NDArray[np.float64],
    excess: NDArray[np.bool_],
    evidence: CellDayEvidence,
    inverse: NDArray[np.intp],
    *,
    distance_to_line_km: NDArray[np.float64] | None = None,
    night: NDArray[np.bool_] | None = None,
    frp: NDArray[np.float64] | None = None,
    threshold: float = THRESHOLD,
) -> SameDayScore:
    """Score detections: `rarity`, `excess` and `evidence` are per cell-day, `inverse`
    maps each detection to its cell-day; the optional columns are per detection."""
    n = len(inverse)
    neighbour = evidence.neighbour[inverse]
    persistent = evidence.persistent[inverse]
    near = (
        np.zeros(n, dtype=np.bool_)
        if distance_to_line_km is None
        else np.nan_to_num(distance_to_line_km, nan=np.inf) <= NEAR_LINE_KM
    )
    dark = np.zeros(n, dtype=np.bool_) if night is None else np.asarray(night, dtype=np.bool_)
    hot = np.zeros(n, dtype=np.bool_) if frp is None else np.nan_to_num(frp, nan=0.0) >= HIGH_FRP_MW
    score = (
        rarity[inverse]
        + NEIGHBOUR_POINTS * neighbour
        + PERSISTENCE_POINTS * persistent
        + NEAR_LINE_POINTS * near
        + NIGHT_POINTS * dark
        + HIGH_FRP_POINTS * hot
    )
    anomalous = excess[inverse] & (score >= threshold - 1e-9)
    return SameDayScore(
        score=score,
        anomalous=anomalous,
        neighbour=neighbour,
        persistent=persistent,
        near_line=near,
        night=dark,
        high_frp=hot,
    )
