"""How much one observation is worth, from its Admiralty grade.

The probability that an observation of grade (reliability, credibility) is true is the
product of a reliability factor and a credibility factor. The factors are calibrated so
that one source alone never reaches 0.9 (A1 is 0.85), two independent B2 sources do
(1 - (1 - 0.7225)^2 = 0.923), and poor grades add little (E5 0.0375, F6 0.06).
See docs/fusion.md for the full table.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from truceline.observations.model import Credibility, Reliability
from truceline.observations.table import GRADES

RELIABILITY_FACTOR: dict[Reliability, float] = {
    Reliability.A: 0.95,
    Reliability.B: 0.85,
    Reliability.C: 0.70,
    Reliability.D: 0.50,
    Reliability.E: 0.25,
    Reliability.F: 0.20,
}
"""A completely reliable ... E unreliable; F (cannot be judged) counts a little less than E."""

CREDIBILITY_FACTOR: dict[Credibility, float] = {
    Credibility.CONFIRMED: 0.895,
    Credibility.PROBABLY_TRUE: 0.85,
    Credibility.POSSIBLY_TRUE: 0.70,
    Credibility.DOUBTFUL: 0.45,
    Credibility.IMPROBABLE: 0.15,
    Credibility.CANNOT_BE_JUDGED: 0.30,
}
"""1 confirmed ... 5 improbable; 6 (cannot be judged) sits between doubtful and improbable."""

GRADE_PROBABILITY: npt.NDArray[np.float64] = np.array(
    [
        RELIABILITY_FACTOR[Reliability(grade[0])] * CREDIBILITY_FACTOR[Credibility(int(grade[1]))]
        for grade in GRADES
    ],
    dtype=np.float64,
)
"""Probability for each grade code of `GRADES` ('A1' = 0 ... 'F6' = 35)."""


def grade_probability(grade: str) -> float:
    """The probability of one grade, e.g. 0.7225 for 'B2'."""
    return float(GRADE_PROBABILITY[GRADES.index(grade)])


def confirmed_probability(grade: str) -> float:
    """The probability of a report of this grade once an independent source confirms it.

    In the Admiralty code, credibility 1 means "confirmed by other independent sources":
    when another independent source reports the same event, the information is confirmed,
    and only the reliability of its source still limits it. So the probability is the
    reliability factor times the factor of credibility 1 (B2 becomes B1, 0.7608; C3 becomes
    C1, 0.6265), never below the probability of the grade as given.
    """
    confirmed = (
        RELIABILITY_FACTOR[Reliability(grade[0])] * CREDIBILITY_FACTOR[Credibility.CONFIRMED]
    )
    return max(confirmed, grade_probability(grade))
