"""Rule matching: which prohibited acts of the agreement an incident meets.

An act is met when one of the incident's kinds is among the act's kinds, its domain is among
the act's domains (when listed), it lies within `within_km` of the line (when set), and it
lies where the act applies: anywhere, in one of the listed zones, or ('withdrawal') in the
withdrawal band of its own weapon class. Each act met is attributed through the incident's
kinds that meet it (`Attribution.party_for`). An exclusion zone that binds only some parties
(`applies_to`) counts only when the act's party is bound, or when no party is attributed
(the explanation says so).
"""

from __future__ import annotations

from dataclasses import dataclass

from truceline.adjudication.attribution import Attribution
from truceline.adjudication.location_facts import LocationFacts
from truceline.adjudication.naming import zone_name
from truceline.adjudication.weapons import WeaponFact
from truceline.adjudication.wording import distances_compared, join_words
from truceline.agreement.model import (
    ANYWHERE,
    WITHDRAWAL,
    Agreement,
    ExclusionZone,
    ProhibitedAct,
)
from truceline.fusion.incident import Incident


@dataclass(frozen=True)
class RuleMatch:
    """A prohibited act an incident meets, the zone through which it applies, and the party
    it is attributed to."""

    act: ProhibitedAct
    zone: str
    """The zone id that made it apply, or 'anywhere'."""
    party: str | None


@dataclass(frozen=True)
class RuleOutcome:
    """The acts an incident meets (sorted by code) and remarks on acts that nearly apply."""

    matches: tuple[RuleMatch, ...]
    notes: tuple[str, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(m.act.code for m in self.matches)


def _bound(
    exclusion: ExclusionZone, party: str | None, agreement: Agreement, side: str
) -> tuple[bool, str | None]:
    if not exclusion.applies_to or (party in exclusion.applies_to):
        return True, None
    name = zone_name(agreement, exclusion.id, side)
    bound = join_words(exclusion.applies_to)
    if party is None:
        note = f"{name} binds {bound} only, and no party could be attributed"
        return True, note
    note = f"{name} binds {bound} only, not {party}"
    return False, note


def _zone_hit(
    act: ProhibitedAct,
    facts: LocationFacts,
    weapon: WeaponFact | None,
    party: str | None,
    agreement: Agreement,
    notes: list[str],
) -> str | None:
    exclusions = {z.id: z for z in agreement.zones.exclusions}
    for zone in act.zones:
        if zone == ANYWHERE:
            return ANYWHERE
        if zone == WITHDRAWAL:
            if weapon is None:
                notes.append(
                    f"rule {act.code} could not be applied: neither the weapon's class nor its "
                    "calibre was reported"
                )
            elif weapon.zone_id is None:
                notes.append(f"rule {act.code} could not be applied: {weapon.note}")
            elif weapon.zone_id in facts.zones:
                return weapon.zone_id
            continue
        if zone not in facts.zones:
            continue
        exclusion = exclusions.get(zone)
        if exclusion is None:
            return zone
        bound, note = _bound(exclusion, party, agreement, facts.side)
        if note:
            notes.append(note)
        if bound:
            return zone
    return None


def match_rules(
    agreement: Agreement,
    incident: Incident,
    facts: LocationFacts,
    weapon: WeaponFact | None,
    attribution: Attribution,
) -> RuleOutcome:
    """The prohibited acts one incident meets, before deconfliction."""
    matches: list[RuleMatch] = []
    notes: list[str] = []
    kinds = set(incident.kinds)
    for act in agreement.prohibited_acts:
        meeting = kinds & set(act.kinds)
        if not meeting:
            continue
        if act.domains is not None and incident.domain not in act.domains:
            continue
        party = attribution.party_for(meeting)
        zone = _zone_hit(act, facts, weapon, party, agreement, notes)
        if zone is None:
            continue
        limit_m = act.within_km * 1000.0 if act.within_km is not None else None
        if limit_m is not None and facts.distance_to_line_m > limit_m:
            shown, _ = distances_compared(facts.distance_to_line_m, limit_m)
            notes.append(
                f"rule {act.code} applies only within {act.within_km:g} km of the line, and this "
                f"was {shown} from it"
            )
            continue
        matches.append(RuleMatch(act, zone, party))
    matches.sort(key=lambda m: m.act.code)
    return RuleOutcome(tuple(matches), tuple(dict.fromkeys(notes)))
