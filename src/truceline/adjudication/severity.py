"""Severity: the highest severity of the rules broken, with one documented escalation.

Escalation: when the incident includes a casualty report, its severity is raised one step
(low to medium, medium to high, high to critical; critical stays critical).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from truceline.agreement.model import ProhibitedAct, Severity
from truceline.observations.model import Kind

ESCALATING_KINDS: dict[Kind, str] = {Kind.CASUALTY_REPORT: "a casualty report"}
"""Kinds that raise the severity one step, and how the explanation names them."""

SEVERITY_ORDER: tuple[Severity, ...] = tuple(Severity)
"""Severities from the lowest to the highest."""


@dataclass(frozen=True)
class SeverityAssessment:
    """The severity of a breach, and how it was reached."""

    severity: Severity | None
    """None when no rule is broken."""
    base: Severity | None
    """The highest severity among the rules broken, before escalation."""
    raised_by: str | None = None
    """What raised it one step, in words, when it was raised."""


def assess_severity(acts: Iterable[ProhibitedAct], kinds: Iterable[Kind]) -> SeverityAssessment:
    """The severity of breaking these acts, raised one step by a casualty report."""
    severities = [act.severity for act in acts]
    if not severities:
        return SeverityAssessment(None, None)
    base = max(severities, key=SEVERITY_ORDER.index)
    rank = SEVERITY_ORDER.index(base)
    for kind in sorted(set(kinds)):
        if kind in ESCALATING_KINDS and rank < len(SEVERITY_ORDER) - 1:
            raised = SEVERITY_ORDER[rank + 1]
            return SeverityAssessment(raised, base, ESCALATING_KINDS[kind])
    return SeverityAssessment(base, base)
