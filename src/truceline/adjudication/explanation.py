"""The explanation of a determination: the facts and the rule, in words a diplomat can read.

Grammar (clauses joined by '; ', one sentence):
  <what> <observed by> <where>, on the <X-held> side
  [; <party> reported it]
  ; <attribution basis>[; attributed to <party>]
  ; breaks rule(s) <CODE (title)>, severity <s> [(raised from <b> by <what>)]
    | breaks no rule once deconflicted | breaks no rule of the agreement
    | breaks no rule: it ended before the agreement took effect (<time>)
  [; <each covering or related notice>] [; <each remark on rules that nearly apply>]
  [; meets the clear-breach threshold (<conditions>)
    | does not meet the clear-breach threshold, because <failing conditions>].
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from truceline.adjudication.attribution import Attribution
from truceline.adjudication.deconfliction import Deconfliction
from truceline.adjudication.location_facts import LocationFacts
from truceline.adjudication.naming import (
    SOURCE_TYPE_WORDS,
    held_words,
    kind_phrase,
    weapon_class_words,
    zone_name,
)
from truceline.adjudication.rules import RuleOutcome
from truceline.adjudication.severity import SeverityAssessment
from truceline.adjudication.threshold import ThresholdAssessment
from truceline.adjudication.weapons import WeaponFact
from truceline.adjudication.wording import (
    capitalised,
    counted,
    distance,
    join_words,
    number_word,
)
from truceline.agreement.model import BUFFER, Agreement
from truceline.fusion.incident import Incident
from truceline.observations.model import Kind, SourceType
from truceline.sources.registry import SourceRegistry

_KIND_ORDER = list(Kind)
ADMIRALTY_GRADE = re.compile(r"[A-F][1-6]")
"""A source grade as explanations quote it: reliability letter, credibility digit."""


@dataclass(frozen=True)
class Findings:
    """Everything adjudication found about one incident, for the explanation."""

    incident: Incident
    facts: LocationFacts
    weapon: WeaponFact | None
    attribution: Attribution
    rules: RuleOutcome
    deconfliction: Deconfliction
    broken: tuple[str, ...]
    """Codes of the rules broken after deconfliction, sorted."""
    severity: SeverityAssessment
    threshold: ThresholdAssessment | None
    """None when no rule is broken."""
    before_effect: str | None = None
    """Why no rule applies when the incident ended before the agreement took effect."""


def _kind_counts(incident: Incident) -> dict[Kind, int | None]:
    raw = incident.attributes.get("kind_counts")
    counts: dict[Kind, int | None] = {}
    others = sorted(
        (k for k in incident.kinds if k != incident.primary_kind), key=_KIND_ORDER.index
    )
    ordered = [incident.primary_kind, *others]
    for kind in ordered:
        value = raw.get(kind.value) if isinstance(raw, dict) else None
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            counts[kind] = value
        elif not isinstance(raw, dict) or kind.value not in raw:
            counts[kind] = None
    return counts or {incident.primary_kind: None}


def what_words(incident: Incident, weapon: WeaponFact | None) -> str:
    """'three explosions and one impact', with the weapon when one was reported."""
    phrase = join_words([kind_phrase(k, n) for k, n in _kind_counts(incident).items()])
    detail: list[str] = []
    if weapon is not None and weapon.weapon_class is not None:
        detail.append(weapon_class_words(weapon.weapon_class))
    elif incident.weapon_class:
        detail.append(f"weapon class {incident.weapon_class}")
    if incident.calibre_mm is not None:
        detail.append(f"{incident.calibre_mm:g} mm calibre")
    return f"{phrase} ({', '.join(detail)})" if detail else phrase


def _grade(incident: Incident, source_id: str, registry: SourceRegistry) -> str:
    grades = incident.attributes.get("source_grades")
    grade = grades.get(source_id) if isinstance(grades, dict) else None
    if isinstance(grade, str) and ADMIRALTY_GRADE.fullmatch(grade):
        return grade
    if source_id in registry:
        source = registry.get(source_id)
        return f"{source.reliability.value}{int(source.credibility)}"
    return ""


def sources_words(incident: Incident, registry: SourceRegistry) -> str:
    """'observed by two independent sources (UAV B2, acoustic A2)', or who reported it.

    Sources are listed by independence group (operator and type, as fusion counts them), so
    that the groups listed match the count of independent sources."""
    groups: dict[tuple[str, str], tuple[str, list[str]]] = {}
    for source_id in sorted(incident.source_ids):
        grade = _grade(incident, source_id, registry)
        if source_id in registry:
            source = registry.get(source_id)
            if source.type is SourceType.PARTY_REPORT:
                continue
            key, words = (source.operator, source.type.value), SOURCE_TYPE_WORDS[source.type]
        else:
            key, words = ("", source_id), f"unregistered source {source_id}"
        groups.setdefault(key, (words, []))[1].append(grade)
    if not groups:
        if incident.party_reporters:
            return f"reported only by {join_words(sorted(incident.party_reporters))}"
        return "with no source on record"
    described: list[str] = []
    for words, grades in groups.values():
        label = f"{words} {'/'.join(sorted(set(g for g in grades if g)))}".strip()
        if len(grades) > 1:
            label += f" ({number_word(len(grades))} sources, one operator)"
        described.append(label)
    listed = ", ".join(sorted(described))
    independent = incident.independent_sources
    if independent == len(groups):
        return f"observed by {counted(independent, 'independent source')} ({listed})"
    total = counted(sum(len(grades) for _, grades in groups.values()), "source")
    return (
        f"observed by {total}, counted as {counted(independent, 'independent source')} ({listed})"
    )


def where_words(agreement: Agreement, findings: Findings) -> str:
    """'4.2 km west of the line in the demilitarised buffer, on the Ukrainian-held side'."""
    facts = findings.facts
    if facts.direction_from_line is None:
        place = "on the line"
    else:
        place = f"{distance(facts.distance_to_line_m)} {facts.direction_from_line} of the line"
    weapon_zone = findings.weapon.zone_id if findings.weapon else None
    worth_naming = {BUFFER, *(z.id for z in agreement.zones.exclusions)}
    worth_naming |= {m.zone for m in findings.rules.matches}
    if weapon_zone is not None:
        worth_naming.add(weapon_zone)
    named = [
        zone_name(agreement, z, facts.side)
        for z in agreement.zone_ids
        if z in facts.zones and z in worth_naming
    ]
    if named:
        place += f" in {join_words(named)}"
    return f"{place}, on the {held_words(agreement, facts.side)} side"


def rules_words(agreement: Agreement, findings: Findings) -> str:
    """'breaks rule CV-FIRE (Firing across the line), severity high', or that none is broken."""
    if findings.before_effect:
        return f"breaks no rule: {findings.before_effect}"
    if not findings.broken:
        if findings.deconfliction.lifted:
            return "breaks no rule once deconflicted"
        return "breaks no rule of the agreement"
    named = [f"{code} ({agreement.prohibited_act(code).title})" for code in findings.broken]
    plural = "s" if len(named) > 1 else ""
    words = f"breaks rule{plural} {join_words(named)}"
    severity = findings.severity
    if severity.severity is not None:
        words += f", severity {severity.severity.value}"
        if severity.raised_by and severity.base is not None:
            words += f" (raised from {severity.base.value} by {severity.raised_by})"
    return words


def threshold_words(threshold: ThresholdAssessment) -> str:
    """'meets the clear-breach threshold (confidence 0.93 ≥ 0.90, 2 sources ≥ 2)', or why not."""
    if threshold.met:
        return (
            f"meets the clear-breach threshold ({', '.join(c.words for c in threshold.conditions)})"
        )
    failing = join_words([c.words for c in threshold.failing])
    return f"does not meet the clear-breach threshold, because {failing}"


def explain(agreement: Agreement, findings: Findings, registry: SourceRegistry) -> str:
    """The whole explanation, one sentence of clauses following the grammar above."""
    incident = findings.incident
    sources = sources_words(incident, registry)
    clauses = [
        f"{capitalised(what_words(incident, findings.weapon))} {sources} "
        f"{where_words(agreement, findings)}"
    ]
    if incident.party_reporters and sources.startswith("observed"):
        clauses.append(f"{join_words(sorted(incident.party_reporters))} reported it")
    attribution = findings.attribution
    clauses.append(attribution.basis)
    if attribution.party is not None:
        clauses.append(f"attributed to {attribution.party}")
    weapon = findings.weapon
    if weapon is not None and weapon.weapon_class is not None and weapon.note:
        clauses.append(weapon.note)
    clauses.append(rules_words(agreement, findings))
    clauses.extend(findings.deconfliction.remarks)
    clauses.extend(findings.rules.notes)
    if findings.threshold is not None:
        clauses.append(threshold_words(findings.threshold))
    return "; ".join(c for c in clauses if c) + "."
