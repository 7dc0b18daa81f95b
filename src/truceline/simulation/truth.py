"""The ground truth of a simulated scenario, and summaries of it.

Every simulated event is recorded as a `TruthEvent`, whether or not any sensor saw it, with
the ids of the observations it gave rise to. Comparing what the pipeline concludes with
this record is how the pipeline is evaluated.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from truceline.observations.model import Kind, Observation
from truceline.sources.registry import Source

if TYPE_CHECKING:
    from truceline.simulation.scenario import Scenario


class Category(StrEnum):
    """What a simulated event really was."""

    VIOLATION = "violation"
    """A breach of a prohibited act (including permitted activity notified too late)."""
    HARVEST_FIRE = "harvest_fire"
    """An agricultural fire; only satellites see it."""
    PERMITTED_ACTIVITY = "permitted_activity"
    """Activity covered by a timely pre-notification."""
    TRAINING = "training"
    """Live-fire training farther from the line than any fire rule reaches."""
    FALSE_REPORT = "false_report"
    """A party's report of something that did not happen."""
    NOISE = "noise"
    """A false detection by a sensor."""


@dataclass(frozen=True, slots=True)
class TruthEvent:
    """One thing that really happened in the simulation (or, for false reports and noise,
    one report of a thing that did not)."""

    id: str
    category: Category
    rule: str | None
    """For violations, the code of the prohibited act the event was planned to break (its
    primary rule); for false reports, the act alleged; otherwise None."""
    rules: tuple[str, ...]
    """Sorted codes of every prohibited act the event truly breaks where it happened (a
    weapon in the buffer breaks the buffer rule and the band rule of its class); empty for
    anything but a violation."""
    party: str | None
    """The perpetrator of a violation, the party doing permitted activity or training, the
    party that filed a false report; None for harvest fires and noise."""
    kind: Kind
    time: datetime
    lon: float
    lat: float
    weapon_class: str | None = None
    observation_ids: tuple[str, ...] = ()
    """Sorted ids of every observation of this event."""
    prenotification_id: str | None = None
    note: str = ""
    origin_lon: float | None = None
    """Where the fire came from, for fire with a separate origin."""
    origin_lat: float | None = None


@dataclass(frozen=True)
class Coverage:
    """How many events were seen by two or more, one or no independent sources.

    Independent sources are distinct (operator, source type) groups of sources that are no
    party channel (`Source.is_party_channel`), as in fusion.
    """

    two_or_more: int
    one: int
    none: int
    party_reports_only: int
    """Of `none`: events that only party reports mention."""


@dataclass(frozen=True)
class TruthSummary:
    """Counts over a scenario's ground truth."""

    observations: int
    prenotifications: int
    by_category: dict[str, int]
    violations: dict[tuple[str, str], int]
    """(rule, party) -> number of violations that truly break the rule (`TruthEvent.rules`);
    a violation that breaks two rules counts under both."""
    coverage: Coverage
    """Coverage of the violations."""


def independent_groups(
    observation_ids: Iterable[str],
    observations: Mapping[str, Observation],
    sources: Mapping[str, Source],
) -> set[str]:
    """The independence groups of the sources behind these observations that are no party
    channel."""
    groups: set[str] = set()
    for obs_id in observation_ids:
        source = sources[observations[obs_id].source_id]
        if not source.is_party_channel:
            groups.add(source.independence_group)
    return groups


def coverage(
    events: Iterable[TruthEvent],
    observations: Mapping[str, Observation],
    sources: Mapping[str, Source],
) -> Coverage:
    """How many of the events two or more, one or no independent sources saw."""
    counts = Counter[str]()
    for event in events:
        n = len(independent_groups(event.observation_ids, observations, sources))
        if n >= 2:
            counts["two"] += 1
        elif n == 1:
            counts["one"] += 1
        else:
            counts["none"] += 1
            if event.observation_ids:
                counts["party"] += 1
    return Coverage(counts["two"], counts["one"], counts["none"], counts["party"])


def summarise(scenario: Scenario) -> TruthSummary:
    """Counts per category, violations per rule broken and party, and how well they were seen."""
    observations = {o.id: o for o in scenario.observations}
    sources = {s.id: s for s in scenario.sources}
    violations = [e for e in scenario.truth if e.category is Category.VIOLATION]
    per_category = Counter(e.category.value for e in scenario.truth)
    per_rule = Counter((rule, e.party or "-") for e in violations for rule in e.rules)
    return TruthSummary(
        observations=len(scenario.observations),
        prenotifications=len(scenario.prenotifications),
        by_category={c.value: per_category.get(c.value, 0) for c in Category},
        violations=dict(sorted(per_rule.items())),
        coverage=coverage(violations, observations, sources),
    )


def format_summary(summary: TruthSummary) -> list[str]:
    """The summary as plain text lines, for a terminal or a log."""
    lines = [
        f"observations: {summary.observations}, pre-notifications: {summary.prenotifications}",
        "events by category: "
        + ", ".join(f"{name} {count}" for name, count in summary.by_category.items()),
        "violations by rule broken and party (one violation may break several rules):",
    ]
    lines += [
        f"  {rule:<16} {party:<6} {count}" for (rule, party), count in summary.violations.items()
    ]
    c = summary.coverage
    lines.append(
        f"violations seen by >=2 independent sources: {c.two_or_more}, by one: {c.one}, "
        f"by none: {c.none} ({c.party_reports_only} of them only in party reports)"
    )
    return lines
