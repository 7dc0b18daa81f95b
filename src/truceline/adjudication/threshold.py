"""The clear-breach threshold: enough confidence, enough independent sources, grave enough."""

from __future__ import annotations

from dataclasses import dataclass

from truceline.adjudication.severity import SEVERITY_ORDER
from truceline.adjudication.wording import compared
from truceline.agreement.model import ClearBreachThreshold, Severity

TOLERANCE = 1e-9
"""Confidence within this of the minimum counts as at the minimum (absorbs rounding)."""


@dataclass(frozen=True)
class Condition:
    """One condition of the threshold, whether it holds, and the comparison in words."""

    name: str
    holds: bool
    words: str


@dataclass(frozen=True)
class ThresholdAssessment:
    """Whether a breach meets the clear-breach threshold, condition by condition."""

    met: bool
    conditions: tuple[Condition, ...]

    @property
    def failing(self) -> tuple[Condition, ...]:
        return tuple(c for c in self.conditions if not c.holds)


def _sources(n: int) -> str:
    return f"{n} source{'' if n == 1 else 's'}"


def assess_threshold(
    threshold: ClearBreachThreshold,
    *,
    confidence: float,
    independent_sources: int,
    severity: Severity,
    graded: float | None = None,
) -> ThresholdAssessment:
    """Check a breach against the threshold; the severity condition is listed only when the
    threshold asks for more than the lowest severity, or when it fails.

    `graded` is the confidence before independent sources confirmed each other
    (`truceline.adjudication.corroboration`); when it is lower, the words give it too."""
    conf_ok = confidence >= threshold.min_confidence - TOLERANCE
    value, limit = compared(confidence, threshold.min_confidence)
    name, raised = "confidence", ""
    if graded is not None and graded < confidence:
        before, _ = compared(graded, threshold.min_confidence)
        name, raised = "confirmed confidence", f" ({before} as graded)"
    sources_ok = independent_sources >= threshold.min_independent_sources
    minimum = SEVERITY_ORDER.index(threshold.min_severity)
    severity_ok = SEVERITY_ORDER.index(severity) >= minimum
    conditions = [
        Condition(
            "confidence",
            conf_ok,
            f"{name} {value} {'≥' if conf_ok else '<'} {limit}{raised}",
        ),
        Condition(
            "independent_sources",
            sources_ok,
            f"{_sources(independent_sources)} {'≥' if sources_ok else '<'} "
            f"{threshold.min_independent_sources}",
        ),
    ]
    if minimum > 0 or not severity_ok:
        conditions.append(
            Condition(
                "severity",
                severity_ok,
                f"severity {severity.value} {'≥' if severity_ok else 'below'} "
                f"{threshold.min_severity.value}",
            )
        )
    return ThresholdAssessment(all(c.holds for c in conditions), tuple(conditions))
