"""Attribution: which party an incident is attributed to, and on what evidence, in words.

In order of precedence: a located origin of fire (the party holding the origin); a direction
of fire (followed from the incident out to `BEARING_REACH_M`, the first other party's side
it enters); a launch, weapon, armed personnel or movement seen at the place (the party
holding the place). Otherwise the incident is unattributed. A party's own report never
attributes an incident on its own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from truceline.adjudication.location_facts import LocationFacts
from truceline.adjudication.naming import held_words
from truceline.adjudication.theatre_port import TheatreGeometry
from truceline.adjudication.wording import km
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

LOCATION_KINDS: tuple[tuple[Kind, str], ...] = (
    (Kind.LAUNCH, "the launch was seen in {held} territory"),
    (Kind.WEAPON_SIGHTING, "the weapon was seen in {held} territory"),
    (Kind.ARMED_PRESENCE, "armed personnel were seen in {held} territory"),
    (Kind.MOVEMENT, "the movement was seen in {held} territory"),
)
"""Kinds that tie an incident to the party holding its place, and how the basis reads."""


class AttributionMethod(StrEnum):
    """Which evidence attributed the incident."""

    ORIGIN = "origin"
    BEARING = "bearing"
    LOCATION = "location"
    NONE = "none"


@dataclass(frozen=True)
class Attribution:
    """The party an incident is attributed to (None: unattributed) and the basis in words."""

    party: str | None
    basis: str
    method: AttributionMethod


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
    theatre: TheatreGeometry,
    agreement: Agreement,
    result: list[Attribution | None],
) -> None:
    index = [i for i, incident in enumerate(incidents) if _origin(incident) is not None]
    if not index:
        return
    origins = np.array([_origin(incidents[i]) for i in index], dtype=np.float64)
    here = np.array([(incidents[i].lon, incidents[i].lat) for i in index], dtype=np.float64)
    sides = theatre.sides(origins[:, 0].copy(), origins[:, 1].copy())
    distance, azimuth = geodesic_inverse(here[:, 0], here[:, 1], origins[:, 0], origins[:, 1])
    codes = [party.code for party in agreement.parties]
    for k, i in enumerate(index):
        party = codes[int(sides[k])]
        held = held_words(agreement, party)
        if float(distance[k]) < AT_THE_PLACE_M:
            where = "at the place of the incident"
        else:
            where = f"{km(float(distance[k]))} to the {compass_direction(float(azimuth[k]))}"
        basis = f"the origin of fire was located {where}, in {held} territory"
        result[i] = Attribution(party, basis, AttributionMethod.ORIGIN)


def _by_bearing(
    incidents: Sequence[Incident],
    facts: Sequence[LocationFacts],
    theatre: TheatreGeometry,
    agreement: Agreement,
    result: list[Attribution | None],
    stays: dict[int, str],
) -> None:
    index = [
        i for i, inc in enumerate(incidents) if result[i] is None and _bearing(inc) is not None
    ]
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
            basis = f"direction of fire from the {direction}, from {held_words(agreement, party)}"
            result[i] = Attribution(party, basis + " territory", AttributionMethod.BEARING)
        else:
            held = held_words(agreement, facts[i].side)
            stays[i] = (
                f"the direction of fire, from the {direction}, stays in {held} territory for "
                f"{km(BEARING_REACH_M)}"
            )


def _by_location(incident: Incident, facts: LocationFacts, agreement: Agreement) -> Attribution:
    for kind, words in LOCATION_KINDS:
        if kind in incident.kinds:
            basis = words.format(held=held_words(agreement, facts.side))
            return Attribution(facts.side, basis, AttributionMethod.LOCATION)
    return Attribution(None, "", AttributionMethod.NONE)


def _unattributed(incident: Incident, stays: str | None) -> Attribution:
    reasons = [stays] if stays else ["no origin or direction of fire was reported"]
    reasons.append("nothing seen at the place ties it to a party")
    if incident.party_reporters:
        reasons.append("a party's own report does not attribute it")
    return Attribution(None, "not attributed: " + "; ".join(reasons), AttributionMethod.NONE)


def attribute_incidents(
    incidents: Sequence[Incident],
    facts: Sequence[LocationFacts],
    theatre: TheatreGeometry,
    agreement: Agreement,
) -> list[Attribution]:
    """The attribution of every incident; geometry is asked once per kind of evidence."""
    result: list[Attribution | None] = [None] * len(incidents)
    stays: dict[int, str] = {}
    _by_origin(incidents, theatre, agreement, result)
    _by_bearing(incidents, facts, theatre, agreement, result, stays)
    final: list[Attribution] = []
    for i, incident in enumerate(incidents):
        attribution = result[i]
        if attribution is None:
            attribution = _by_location(incident, facts[i], agreement)
        if attribution.party is None:
            attribution = _unattributed(incident, stays.get(i))
        final.append(attribution)
    return final
