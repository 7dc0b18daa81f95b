"""The retrospective rule, after the published rule of The Economist's war-fire model.

On cell-days (one 0.1° cell on one UTC day with at least one detection):

1. a cell-day is an **excess** when its count has less than 5 % probability in a normal
   year (`p < 0.05`, from the background model);
2. a cell **qualifies** when it has excess on at least two days at least 7 days apart
   (its last excess day is 7 or more days after its first, within the batch);
3. an excess day of a qualifying cell is **war-related** ("repeated excess");
4. any fire in a qualifying cell on one of the 10 days after a war-related day (1 to 10
   days later) is **war-related** too ("after war-related activity"): farming does not
   resume in a place that has just been fought over.

The rule looks both ways in time: whether a day's excess counts depends on a second
occasion that may come a week or more later, so a batch must be classified as a whole and
a day's label can change as later days arrive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

MIN_GAP_DAYS = 7
"""Two excess occasions must be at least this many days apart."""
FOLLOW_DAYS = 10
"""Fires on the days 1 .. FOLLOW_DAYS after a war-related day in the same cell are war-related."""

_DAY_BITS = 24


@dataclass(frozen=True)
class RetrospectiveResult:
    """Per cell-day: a war-related excess day, or a fire in the days after one."""

    occasion: NDArray[np.bool_]
    follow_up: NDArray[np.bool_]
    qualifying_cell: NDArray[np.bool_]

    @property
    def war(self) -> NDArray[np.bool_]:
        return self.occasion | self.follow_up


def _keys(cell: NDArray[np.int64], day: NDArray[np.int64]) -> NDArray[np.int64]:
    return (cell << _DAY_BITS) + day


def retrospective(
    cell: NDArray[np.int64],
    day: NDArray[np.int64],
    excess: NDArray[np.bool_],
    *,
    min_gap_days: int = MIN_GAP_DAYS,
    follow_days: int = FOLLOW_DAYS,
) -> RetrospectiveResult:
    """Apply the rule to cell-days given as a non-negative cell id, a day number (days
    since any fixed origin, non-negative and below 2^24) and whether the day is an excess.
    Each (cell, day) pair must appear once."""
    cell = np.asarray(cell, dtype=np.int64)
    day = np.asarray(day, dtype=np.int64)
    excess = np.asarray(excess, dtype=np.bool_)
    n = len(cell)
    if n == 0:
        empty = np.zeros(0, dtype=np.bool_)
        return RetrospectiveResult(empty, empty, empty)
    # first and last excess day of every cell
    cells, inverse = np.unique(cell, return_inverse=True)
    first = np.full(len(cells), np.iinfo(np.int64).max)
    last = np.full(len(cells), np.iinfo(np.int64).min)
    np.minimum.at(first, inverse[excess], day[excess])
    np.maximum.at(last, inverse[excess], day[excess])
    qualifies = (last - first) >= min_gap_days  # False for cells without excess
    qualifying = qualifies[inverse]
    occasion = excess & qualifying
    # the latest war-related day strictly before each cell-day, in the same cell
    war_keys = np.sort(_keys(cell[occasion], day[occasion]))
    if war_keys.size == 0:
        none = np.zeros(n, dtype=np.bool_)
        return RetrospectiveResult(occasion=occasion, follow_up=none, qualifying_cell=qualifying)
    keys = _keys(cell, day)
    position = np.searchsorted(war_keys, keys, side="left") - 1
    has_before = position >= 0
    before = war_keys[np.maximum(position, 0)]
    same_cell = (before >> _DAY_BITS) == cell
    gap = day - (before & ((1 << _DAY_BITS) - 1))
    follow_up = has_before & same_cell & (gap >= 1) & (gap <= follow_days) & ~occasion
    return RetrospectiveResult(occasion=occasion, follow_up=follow_up, qualifying_cell=qualifying)
