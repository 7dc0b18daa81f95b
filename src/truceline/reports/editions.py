"""The two editions of the daily report, and what the public one leaves out.

Both editions are made from the same store and the same period. The **restricted**
edition is the coordination cell's: everything stored, exact positions, determination
ids, the sources that lost coverage and the pre-notifications by id. The **public**
edition is for publication:

1. it holds only what is released to the public: determinations whose incident carries
   the releasability marking ``public`` (the store's read filter for the public, see
   `edition_filter`); every other determination of the period is withheld and counted, by
   status;
2. positions are coarsened to a grid of `COARSE_DEG` (0.1°, about 7 × 11 km in Ukraine), on
   the map and in the tables;
3. suspected breaches (below the agreement's clear-breach threshold) are counted but not
   listed and never named against a party: the evidence has not met the threshold;
4. coverage gaps are given by reason, sensor type, area and time, without naming the
   source (which drone, which patrol team) that lost coverage;
5. pre-notifications are not named by id: deconflicted activity is given by activity and
   party, and an explanation's "notice N-3 of demining by UA" reads "a notice of demining
   by UA".

Each of these is counted in `Redactions` and printed in both editions, so a reader of the
public edition knows how much was withheld, and the cell knows what it released.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from truceline.access.model import Edition, Organisation, OrganisationKind
from truceline.access.policy import ReadFilter, audiences_of
from truceline.adjudication.determination import Status

COARSE_DEG: Final = 0.1
"""The grid public positions are snapped to, degrees."""


PUBLIC_READER: Final = Organisation(id="PUBLIC", name="The public", kind=OrganisationKind.PUBLIC)
"""Whom the public edition is written for."""


def edition_filter(edition: Edition) -> ReadFilter | None:
    """The store read filter of an edition: the public's audiences for the public edition,
    None (everything) for the restricted one. The one place that maps editions to
    releasability."""
    if edition is Edition.PUBLIC:
        return ReadFilter(audiences_of(PUBLIC_READER))
    return None


def coarsen(value: float) -> float:
    """A coordinate snapped to the centre of its `COARSE_DEG` cell."""
    cells = value // COARSE_DEG
    return round((cells + 0.5) * COARSE_DEG, 2)


@dataclass
class Redactions:
    """What the public edition leaves out of the period, counted."""

    withheld: dict[Status, int] = field(default_factory=dict)
    """Determinations of the period not released to the public, by status."""
    positions_coarsened: int = 0
    """Positions printed or mapped at 0.1° instead of exactly."""
    suspected_not_listed: int = 0
    """Suspected breaches counted but neither listed nor attributed."""
    gap_sources_withheld: int = 0
    """Coverage gaps printed without the source that lost coverage."""
    notice_ids_withheld: int = 0
    """Pre-notification ids left out: of deconflicted activity, and named in the
    explanations of clear breaches ("a notice" instead)."""

    @property
    def determinations_withheld(self) -> int:
        return sum(self.withheld.values())

    @property
    def total(self) -> int:
        """Every redaction: each withheld determination and each item changed."""
        return (
            self.determinations_withheld
            + self.positions_coarsened
            + self.suspected_not_listed
            + self.gap_sources_withheld
            + self.notice_ids_withheld
        )

    def lines(self) -> list[str]:
        """The redactions in words, one per kind, those with a count of zero included."""
        by_status = ", ".join(f"{self.withheld.get(s, 0)} {STATUS_WORDS[s]}" for s in STATUS_ORDER)
        return [
            f"Determinations not released for publication: {self.determinations_withheld} "
            f"({by_status}).",
            f"Positions given to {COARSE_DEG:g}° instead of exactly: {self.positions_coarsened}.",
            f"Suspected breaches counted but not listed or attributed: "
            f"{self.suspected_not_listed}.",
            f"Coverage gaps given without the source that lost coverage: "
            f"{self.gap_sources_withheld}.",
            f"Pre-notification ids left out (of deconflicted activity and in explanations): "
            f"{self.notice_ids_withheld}.",
        ]


STATUS_ORDER: Final = (
    Status.CLEAR_BREACH,
    Status.SUSPECTED_BREACH,
    Status.DECONFLICTED,
    Status.NO_VIOLATION,
)

STATUS_WORDS: Final = {
    Status.CLEAR_BREACH: "clear breaches",
    Status.SUSPECTED_BREACH: "suspected breaches",
    Status.DECONFLICTED: "deconflicted",
    Status.NO_VIOLATION: "no violation",
}
