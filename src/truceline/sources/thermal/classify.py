"""Apply a strategy to a batch of detections: a label and a score for each one.

`classify(detections, model, strategy)` groups the detections into cell-days (one 0.1°
cell on one UTC day), asks the background model how probable each cell-day's count is in
a normal year, and applies the strategy: `retrospective` (the published rule of The
Economist's war-fire model) or `same-day` (our rule for a monitor that decides on the day).
Everything is done on arrays; a year of a country's detections takes about a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from truceline.errors import InputError
from truceline.observations.model import Credibility
from truceline.sources.thermal.baseline import BaselineModel, cell_rows_cols, season_day
from truceline.sources.thermal.history import Detections
from truceline.sources.thermal.retrospective import retrospective
from truceline.sources.thermal.same_day import cell_day_evidence, same_day_score

EXCESS_P = 0.05
"""A cell-day is an excess when its count has less than this probability in a normal year."""
STRONG_SCORE = 4.0
"""Score from which an anomalous detection is graded 'probably true' (credibility 2)."""


class Strategy(StrEnum):
    """How detections are judged anomalous."""

    SAME_DAY = "same-day"
    RETROSPECTIVE = "retrospective"


class Label(StrEnum):
    ANOMALOUS = "anomalous"
    NORMAL = "normal"


def parse_strategy(value: str, field: str = "strategy") -> Strategy:
    """A strategy by name; InputError naming `field` otherwise."""
    try:
        return Strategy(value.strip().lower())
    except ValueError:
        raise InputError(
            f"{field}: unknown thermal strategy {value!r}; expected 'same-day' or 'retrospective'",
            field=field,
        ) from None


@dataclass(frozen=True)
class CellDays:
    """The cell-days of a batch and how each detection maps to one."""

    row: NDArray[np.int64]
    col: NDArray[np.int64]
    day: NDArray[np.int64]
    """Days since the batch's first day."""
    count: NDArray[np.int64]
    p: NDArray[np.float64]
    expected: NDArray[np.float64]
    inverse: NDArray[np.intp]

    @property
    def excess(self) -> NDArray[np.bool_]:
        return self.p < EXCESS_P

    @property
    def rarity(self) -> NDArray[np.float64]:
        return -np.log10(self.p)

    @property
    def cell(self) -> NDArray[np.int64]:
        """A non-negative id of the cell, unique within the batch."""
        return ((self.row + 1000) << 13) + (self.col + 2000)


def cell_days(detections: Detections, model: BaselineModel) -> CellDays:
    """Group detections into cell-days and score each cell-day against the background."""
    rows, cols = cell_rows_cols(detections.lat, detections.lon)
    ordinal = detections.day.astype(np.int64)
    start = int(ordinal.min()) if len(ordinal) else 0
    rel = ordinal - start
    if len(rel) and int(rel.max()) >= 1 << 24:
        raise InputError("detections span more than 45,000 years", field="acq_date")
    key = ((((rows + 1000) << 13) + (cols + 2000)) << 24) + rel
    unique, first, inverse, count = np.unique(
        key, return_index=True, return_inverse=True, return_counts=True
    )
    day = unique & ((1 << 24) - 1)
    cell = unique >> 24
    row = (cell >> 13) - 1000
    col = (cell & ((1 << 13) - 1)) - 2000
    season = season_day(detections.day[first])
    p, expected = model.exceedance(
        (row + 0.5) / 10.0, (col + 0.5) / 10.0, season, count.astype(np.int64)
    )
    return CellDays(
        row=row,
        col=col,
        day=day,
        count=count.astype(np.int64),
        p=p,
        expected=expected,
        inverse=inverse.reshape(-1),
    )


@dataclass(frozen=True)
class Classification:
    """Per detection: the label, the score, the probability of its cell-day's count in a
    normal year, that count and the expected count, and the reason in short words."""

    strategy: Strategy
    anomalous: NDArray[np.bool_]
    score: NDArray[np.float64]
    p: NDArray[np.float64]
    count: NDArray[np.int64]
    expected: NDArray[np.float64]
    reason: NDArray[np.str_]

    def __len__(self) -> int:
        return len(self.anomalous)

    @property
    def labels(self) -> NDArray[np.str_]:
        return np.where(self.anomalous, Label.ANOMALOUS.value, Label.NORMAL.value)

    def credibility(self, index: int, reported: Credibility) -> Credibility:
        """The credibility of detection `index` as a thermal anomaly: the weaker of what the
        sensor reported and what the evidence supports (docs/thermal.md)."""
        return Credibility(max(int(reported), int(evidence_credibility(self, index))))


def evidence_credibility(result: Classification, index: int) -> Credibility:
    """What the evidence supports: 'probably true' (2) for a repeated excess or a score of
    at least 4; 'possibly true' (3) for the other anomalous detections; a normal detection
    is a genuine fire, so its credibility is not lowered by the background (1)."""
    if not result.anomalous[index]:
        return Credibility.CONFIRMED
    reason = str(result.reason[index])
    strong = result.score[index] >= STRONG_SCORE
    if result.strategy is Strategy.RETROSPECTIVE:
        strong = reason == "repeated excess"
    return Credibility.PROBABLY_TRUE if strong else Credibility.POSSIBLY_TRUE


def _reasons(masks: NDArray[np.int64], words: list[str], empty: str) -> NDArray[np.str_]:
    """'a, b' for every combination of flags (bit i of a mask is words[i])."""
    unique, inverse = np.unique(masks, return_inverse=True)
    texts = []
    for mask in unique.tolist():
        parts = [w for i, w in enumerate(words) if mask >> i & 1]
        texts.append(", ".join(parts) if parts else empty)
    return np.asarray(texts, dtype=np.str_)[inverse.reshape(-1)]


def classify(
    detections: Detections,
    model: BaselineModel,
    strategy: Strategy = Strategy.SAME_DAY,
    *,
    distance_to_line_km: NDArray[np.float64] | None = None,
    context: Detections | None = None,
) -> Classification:
    """Label every detection of the batch anomalous or normal.

    `distance_to_line_km` (one value per detection, NaN where unknown) feeds the same-day
    strategy's 'near the line' term. `context` are earlier detections of the same sensor
    (e.g. the days before a daily file): they count in cell-days, neighbours, persistence and
    repetition, but get no label themselves.
    """
    if distance_to_line_km is not None and len(distance_to_line_km) != len(detections):
        raise InputError(
            f"distance_to_line_km has {len(distance_to_line_km)} values for "
            f"{len(detections)} detections",
            field="distance_to_line_km",
        )
    n_context = 0
    batch = detections
    if context is not None and len(context):
        n_context = len(context)
        batch = Detections.concatenate([context, detections])
        if distance_to_line_km is not None:
            distance_to_line_km = np.concatenate(
                [np.full(n_context, np.nan), np.asarray(distance_to_line_km, dtype=np.float64)]
            )
    days = cell_days(batch, model)
    inverse = days.inverse
    excess = days.excess
    if strategy is Strategy.RETROSPECTIVE:
        result = retrospective(days.cell, days.day, excess)
        anomalous = result.war[inverse]
        score = days.rarity[inverse]
        masks = (
            result.occasion[inverse].astype(np.int64)
            | (result.follow_up[inverse].astype(np.int64) << 1)
            | ((excess[inverse] & ~result.war[inverse]).astype(np.int64) << 2)
        )
        reason = _reasons(
            masks,
            [
                "repeated excess",
                "within 10 days after war-related activity",
                "excess not repeated 7 days apart",
            ],
            "usual for the place and season",
        )
    else:
        evidence = cell_day_evidence(days.row, days.col, days.day, excess)
        scored = same_day_score(
            days.rarity,
            excess,
            evidence,
            inverse,
            distance_to_line_km=distance_to_line_km,
            night=batch.night,
            frp=batch.frp,
        )
        anomalous = scored.anomalous
        score = scored.score
        flags = [
            excess[inverse],
            scored.neighbour,
            scored.persistent,
            scored.near_line,
            scored.night,
            scored.high_frp,
        ]
        masks = np.zeros(len(inverse), dtype=np.int64)
        for i, flag in enumerate(flags):
            masks |= flag.astype(np.int64) << i
        reason = _reasons(
            masks,
            [
                "excess",
                "excess next door",
                "excess in the 10 days before",
                "near the line",
                "at night",
                "high FRP",
            ],
            "usual for the place and season",
        )
    keep = slice(n_context, None)
    return Classification(
        strategy=strategy,
        anomalous=np.asarray(anomalous[keep], dtype=np.bool_),
        score=np.asarray(np.round(score[keep], 3), dtype=np.float64),
        p=days.p[inverse][keep],
        count=days.count[inverse][keep],
        expected=days.expected[inverse][keep],
        reason=reason[keep],
    )
