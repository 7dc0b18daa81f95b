"""Attribution: which party an incident is attributed to, and on what evidence, in words.

Fire and presence are attributed apart. Fire (explosions, impacts, small-arms fire, damage,
casualties, thermal anomalies, launches) is attributed by a located origin of fire (the
party holding the origin), else a direction of fire (followed from the incident out to
`BEARING_REACH_M`, the first other party's side it enters), else a launch seen at the place
(the party holding the place). Presence (a weapon, armed personnel, movement) is attributed
to the party holding the place. Aircraft and vessels are not attributed. An incident
observed by no independent source (a party's own report alone) is never attributed.

A rule is attributed through the incident's kinds that meet it; the incident as a whole is
attributed only when every part of it is attributed to the same party.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from truceline.adjudication.location_facts import LocationFacts
from truceline.adjudication.naming import held_words
from truceline.adjudication.theatre_port import TheatreGeometry
from truceline.adjudication.wording import distance, join_words
from truceline.agreement.model import Agreement
from truceline.fusion.incident import Incident
from truceline.geometry.geodesic import compass_direction, destination, geodesic_inverse
from truceline.observations.model import Kind

BEARING_REACH_M = 40_000.0
"""How far a direction of fire is followed from the incident."""
BEARING_STEP_M = 500.0
"""Spacing of the points sampled along a direction of fire."""
AT_THE_PLACE_M = 50.0
"""An origin of fire closer than this is 'at the place of the incident'."""

FIRE_KINDS = frozenset(
    {
        Kind.EXPLOSION,
        Kind.IMPACT,
        Kind.LAUNCH,
        Kind.SMALL_ARMS_FIRE,
        Kind.DAMAGE,
        Kind.CASUALTY_REPORT,
        Kind.THERMAL_ANOMALY,
    }
)
"""Kinds attributed by an origin of fire, a direction of fire or a launch seen at the place."""
PRESENCE_KINDS = frozenset({Kind.WEAPON_SIGHTING, Kind.ARMED_PRESENCE, Kind.MOVEMENT})
"""Kinds attributed to the party holding the place where they were seen."""

PRESENCE_WORDS: tuple[tuple[Kind, str, str], ...] = (
    (Kind.WEAPON_SIGHTING, "the weapon", "the weapon was seen in {held} territory"),
    (Kind.ARMED_PRESENCE, "the armed presence", "armed personnel were seen in {held} territory"),
    (Kind.MOVEMENT, "the movement", "the movement was seen in {held} territory"),
)
"""Each presence kind: how the part is named, and how its basis reads."""
UNATTRIBUTED_KINDS: tuple[tuple[Kind, str], ...] = (
    (Kind.AIRCRAFT, "the aircraft"),
    (Kind.VESSEL, "the vessel"),
)
"""Kinds nothing attributes, and how the part is named."""


@dataclass(frozen=True)
class Part:
    """One part of an incident (its fire, its presence, an aircraft or a vessel)."""

    name: str
    """'the fire', 'the armed presence', 'the vessel'."""
    kinds: frozenset[Kind]
    party: str | None
    basis: str
    """The evidence in words: for an attributed part, what attributes it; else why not."""


@dataclass(frozen=True)
class Attribution:
    """The party an incident is attributed to (None: unattributed or split between parties
    or parts), the basis in words, and the attribution of each part."""

    party: str | None
    basis: str
    parts: tuple[Part, ...] = field(default=())

    def party_for(self, kinds: Iterable[Kind]) -> str | None:
        """The party a rule met by these kinds of the incident is attributed to."""
        wanted = set(kinds)
        for part in self.parts:
            if part.party is not None and part.kinds & wanted:
                return part.party
        return None


def _number(attributes: Mapping[str, Any], key: str, low: float, high: float) -> float | None:
    value = attributes.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and low <= number <= high else None


def _origin(incident: Incident) -> tuple[float, float] | None:
    lon = _number(incident.attributes, "origin_lon", -180.0, 180.0)
    lat = _number(incident.attributes, "origin_lat", -90.0, 90.0)
    return None if lon is None or lat is None else (lon, lat)


def _bearing(incident: Incident) -> float | None:
    value = _number(incident.attributes, "fire_from_bearing_deg", -360.0, 720.0)
    return None if value is None else value % 360.0


def _by_origin(
    incidents: Sequence[Incident],
    index: list[int],
    theatre: TheatreGeometry,
    agreement: Agreement,
    found: dict[int, tuple[str, str]],
) -> None:
    index = [i for i in index if _origin(incidents[i]) is not None]
    if not index:
        return
    origins = np.array([_origin(incidents[i]) for i in index], dtype=np.float64)
    here = np.array([(incidents[i].lon, incidents[i].lat) for i in index], dtype=np.float64)
    sides = theatre.sides(origins[:, 0].copy(), origins[:, 1].copy())
    metres, azimuth = geodesic_inverse(here[:, 0], here[:, 1], origins[:, 0], origins[:, 1])
    codes = [party.code for party in agreement.parties]
    for k, i in enumerate(index):
        party = codes[int(sides[k])]
        held = held_words(agreement, party)
        if float(metres[k]) < AT_THE_PLACE_M:
            where = "at the place of the incident"
        else:
            where = f"{distance(float(metres[k]))} to the {compass_direction(float(azimuth[k]))}"
        found[i] = (party, f"the origin of fire was located {where}, in {held} territory")


def _by_bearing(
    incidents: Sequence[Incident],
    index: list[int],
    facts: Sequence[LocationFacts],
    theatre: TheatreGeometry,
    agreement: Agreement,
    found: dict[int, tuple[str, str]],
    stays: dict[int, str],
) -> None:
    index = [i for i in index if i not in found and _bearing(incidents[i]) is not None]
    if not index:
        return
    steps = np.arange(BEARING_STEP_M, BEARING_REACH_M + 1.0, BEARING_STEP_M)
    n, k = len(index), steps.size
    lon0 = np.array([incidents[i].lon for i in index], dtype=np.float64)
    lat0 = np.array([incidents[i].lat for i in index], dtype=np.float64)
    bearings = np.array([_bearing(incidents[i]) for i in index], dtype=np.float64)
    lon, lat = destination(lon0[:, None], lat0[:, None], bearings[:, None], steps[None, :])
    sides = theatre.sides(lon, lat).reshape(n, k)
    own = np.array([facts[i].side_index for i in index])
    crossed = sides != own[:, None]
    first = np.argmax(crossed, axis=1)
    codes = [party.code for party in agreement.parties]
    for row, i in enumerate(index):
        direction = compass_direction(float(bearings[row]))
        if crossed[row, first[row]]:
            party = codes[int(sides[row, first[row]])]
            held = held_words(agreement, party)
            found[i] = (party, f"direction of fire from the {direction}, from {held} territory")
        else:
            held = held_words(agreement, facts[i].side)
            stays[i] = (
                f"the direction of fire, from the {direction}, stays in {held} territory for "
                f"{distance(BEARING_REACH_M)}"
            )


def _fire_part(
    incident: Incident,
    facts: LocationFacts,
    agreement: Agreement,
    found: tuple[str, str] | None,
    stays: str | None,
) -> Part:
    kinds = frozenset(incident.kinds) & FIRE_KINDS
    if found is not None:
        return Part("the fire", kinds, found[0], found[1])
    if Kind.LAUNCH in kinds:
        basis = f"the launch was seen in {held_words(agreement, facts.side)} territory"
        return Part("the fire", kinds, facts.side, basis)
    reason = stays or "no origin or direction of fire was reported"
    return Part("the fire", kinds, None, f"{reason}, and no launch was seen")


def _presence_part(incident: Incident, facts: LocationFacts, agreement: Agreement) -> Part:
    kinds = frozenset(incident.kinds) & PRESENCE_KINDS
    seen = [(name, words) for kind, name, words in PRESENCE_WORDS if kind in kinds]
    name = join_words([n for n, _ in seen])
    basis = seen[0][1].format(held=held_words(agreement, facts.side))
    return Part(name, kinds, facts.side, basis)


def _parts(
    incident: Incident,
    facts: LocationFacts,
    agreement: Agreement,
    found: tuple[str, str] | None,
    stays: str | None,
) -> tuple[Part, ...]:
    kinds = set(incident.kinds)
    parts: list[Part] = []
    if kinds & FIRE_KINDS:
        parts.append(_fire_part(incident, facts, agreement, found, stays))
    if kinds & PRESENCE_KINDS:
        parts.append(_presence_part(incident, facts, agreement))
    for kind, name in UNATTRIBUTED_KINDS:
        if kind in kinds:
            noun = name.removeprefix("the ")
            parts.append(
                Part(name, frozenset({kind}), None, f"nothing reported shows whose {noun} it was")
            )
    return tuple(parts)


def _whole(incident: Incident, parts: tuple[Part, ...]) -> Attribution:
    parties = {part.party for part in parts}
    own_report = "a party's own report does not attribute it" if incident.party_reporters else ""
    if len(parties) == 1 and None not in parties:
        basis = "; ".join(dict.fromkeys(part.basis for part in parts))
        return Attribution(parties.pop(), basis, parts)
    if parties == {None}:
        reasons = [part.basis for part in parts]
        if own_report:
            reasons.append(own_report)
        return Attribution(None, "not attributed: " + "; ".join(reasons), parts)
    ordered = sorted(parts, key=lambda part: part.party is None)
    clauses = [f"{part.name} to {part.party or 'no party'}, as {part.basis}" for part in ordered]
    if own_report and None in parties:
        clauses.append(own_report)
    return Attribution(None, "attributed in part: " + "; ".join(clauses), parts)


def _party_report_only(incident: Incident) -> Attribution:
    if incident.party_reporters:
        reporters = join_words(sorted(incident.party_reporters))
        reason = f"only {reporters} reported it, and a party's own report does not attribute it"
    else:
        reason = "no independent source observed it"
    return Attribution(None, f"not attributed: {reason}")


def attribute_incidents(
    incidents: Sequence[Incident],
    facts: Sequence[LocationFacts],
    theatre: TheatreGeometry,
    agreement: Agreement,
) -> list[Attribution]:
    """The attribution of every incident; geometry is asked once per kind of evidence."""
    observed = [
        i
        for i, incident in enumerate(incidents)
        if incident.independent_sources > 0 and set(incident.kinds) & FIRE_KINDS
    ]
    found: dict[int, tuple[str, str]] = {}
    stays: dict[int, str] = {}
    _by_origin(incidents, observed, theatre, agreement, found)
    _by_bearing(incidents, observed, facts, theatre, agreement, found, stays)
    result: list[Attribution] = []
    for i, incident in enumerate(incidents):
        if incident.independent_sources == 0:
            result.append(_party_report_only(incident))
            continue
        parts = _parts(incident, facts[i], agreement, found.get(i), stays.get(i))
        result.append(_whole(incident, parts))
    return result
