"""Attribution: origin of fire, direction of fire, what was seen at the place, or none."""

from __future__ import annotations

from typing import Any

import pytest
from adjudication_builders import at, incident, judge

from truceline.adjudication.adjudicator import Adjudicator
from truceline.observations.model import Kind


def test_origin_of_fire_attributes_to_the_party_holding_it(adjudicator: Adjudicator) -> None:
    origin_lon, origin_lat = at(8.0, "east")
    case = incident(
        "origin", *at(2.0, "west"), (Kind.IMPACT,), origin_lon=origin_lon, origin_lat=origin_lat
    )
    determination = judge(adjudicator, case)
    assert determination.attributed_to == "RU"
    assert determination.attribution_basis == (
        "the origin of fire was located 10.0 km to the east, in Russian-held territory"
    )
    assert "; attributed to RU;" in determination.explanation


def test_origin_takes_precedence_over_bearing(adjudicator: Adjudicator) -> None:
    origin_lon, origin_lat = at(6.0, "west")
    case = incident(
        "origin-first",
        *at(2.0, "west"),
        (Kind.IMPACT,),
        origin_lon=origin_lon,
        origin_lat=origin_lat,
        fire_from_bearing_deg=90.0,
    )
    assert judge(adjudicator, case).attributed_to == "UA"


def test_bearing_crossing_the_line_attributes_to_the_other_side(adjudicator: Adjudicator) -> None:
    case = incident("bearing", *at(12.0, "west"), (Kind.EXPLOSION,), fire_from_bearing_deg=80.0)
    determination = judge(adjudicator, case)
    assert determination.attributed_to == "RU"
    assert determination.attribution_basis == (
        "direction of fire from the east, from Russian-held territory"
    )


def test_bearing_into_own_side_does_not_attribute(adjudicator: Adjudicator) -> None:
    case = incident("own-side", *at(2.0, "west"), (Kind.EXPLOSION,), fire_from_bearing_deg=270.0)
    determination = judge(adjudicator, case)
    assert determination.attributed_to is None
    assert determination.attribution_basis.startswith(
        "not attributed: the direction of fire, from the west, stays in Ukrainian-held "
        "territory for 40.0 km"
    )


def test_line_beyond_reach_of_the_bearing_does_not_attribute(adjudicator: Adjudicator) -> None:
    case = incident("too-far", *at(60.0, "west"), (Kind.EXPLOSION,), fire_from_bearing_deg=90.0)
    assert judge(adjudicator, case).attributed_to is None


def test_launch_attributes_to_the_party_holding_the_place(adjudicator: Adjudicator) -> None:
    determination = judge(adjudicator, incident("launch", *at(12.0, "east"), (Kind.LAUNCH,)))
    assert determination.attributed_to == "RU"
    assert determination.attribution_basis == "the launch was seen in Russian-held territory"


def test_weapon_sighting_attributes_to_the_party_holding_the_place(
    adjudicator: Adjudicator,
) -> None:
    case = incident("weapon", *at(12.0, "west"), (Kind.WEAPON_SIGHTING,), weapon_class="mortar")
    determination = judge(adjudicator, case)
    assert determination.attributed_to == "UA"
    assert determination.attribution_basis == "the weapon was seen in Ukrainian-held territory"
    assert determination.rules == ("HW-WITHDRAWAL",)


def test_armed_presence_and_movement(adjudicator: Adjudicator) -> None:
    armed = judge(adjudicator, incident("armed", *at(1.0, "west"), (Kind.ARMED_PRESENCE,)))
    moving = judge(adjudicator, incident("moving", *at(1.0, "east"), (Kind.MOVEMENT,)))
    assert (armed.attributed_to, moving.attributed_to) == ("UA", "RU")
    assert armed.attribution_basis == "armed personnel were seen in Ukrainian-held territory"
    assert moving.attribution_basis == "the movement was seen in Russian-held territory"


def test_explosion_without_direction_is_unattributed(adjudicator: Adjudicator) -> None:
    determination = judge(adjudicator, incident("plain", *at(2.0, "west"), (Kind.EXPLOSION,)))
    assert determination.attributed_to is None
    assert determination.attribution_basis == (
        "not attributed: no origin or direction of fire was reported, and no launch was seen"
    )
    assert determination.rules == ("CV-FIRE",)


def test_presence_at_the_place_does_not_attribute_the_fire(adjudicator: Adjudicator) -> None:
    shelled = incident(
        "shelled-position",
        *at(3.0, "west"),
        (Kind.IMPACT, Kind.EXPLOSION, Kind.ARMED_PRESENCE),
    )
    determination = judge(adjudicator, shelled)
    assert determination.attributed_to is None
    assert determination.rules == ("CV-FIRE", "DMZ-PRESENCE")
    assert determination.attribution_basis == (
        "attributed in part: the armed presence to UA, as armed personnel were seen in "
        "Ukrainian-held territory; the fire to no party, as no origin or direction of fire was "
        "reported, and no launch was seen"
    )
    assert "attributed to UA" not in determination.explanation


def test_fire_and_presence_attributed_to_different_parties(adjudicator: Adjudicator) -> None:
    shelled = incident(
        "shelled-from-the-east",
        *at(3.0, "west"),
        (Kind.EXPLOSION, Kind.ARMED_PRESENCE),
        fire_from_bearing_deg=90.0,
    )
    determination = judge(adjudicator, shelled)
    assert determination.attributed_to is None
    assert determination.attribution_basis == (
        "attributed in part: the fire to RU, as direction of fire from the east, from "
        "Russian-held territory; the armed presence to UA, as armed personnel were seen in "
        "Ukrainian-held territory"
    )


def test_fire_and_presence_of_one_party_attribute_the_incident(
    adjudicator: Adjudicator,
) -> None:
    battery = incident(
        "battery", *at(3.0, "east"), (Kind.LAUNCH, Kind.WEAPON_SIGHTING), weapon_class="mlrs"
    )
    determination = judge(adjudicator, battery)
    assert determination.attributed_to == "RU"
    assert determination.attribution_basis == (
        "the launch was seen in Russian-held territory; the weapon was seen in Russian-held "
        "territory"
    )


@pytest.mark.parametrize(
    ("name", "kinds", "attributes"),
    [
        ("impact", (Kind.IMPACT,), {}),
        ("origin", (Kind.EXPLOSION,), {"origin_lon": 36.2, "origin_lat": 48.0}),
        ("bearing", (Kind.EXPLOSION,), {"fire_from_bearing_deg": 90.0}),
        ("weapon", (Kind.WEAPON_SIGHTING,), {}),
        ("launch", (Kind.LAUNCH,), {}),
    ],
)
def test_party_report_alone_never_attributes(
    adjudicator: Adjudicator, name: str, kinds: tuple[Kind, ...], attributes: dict[str, Any]
) -> None:
    case = incident(
        f"complaint-{name}",
        *at(3.0, "west"),
        kinds,
        sources=("ua-reports",),
        independent=0,
        party_reporters=("UA",),
        confidence=0.4,
        weapon_class="artillery" if Kind.WEAPON_SIGHTING in kinds else None,
        **attributes,
    )
    determination = judge(adjudicator, case)
    assert determination.rules != ()
    assert determination.attributed_to is None
    assert determination.attribution_basis == (
        "not attributed: only UA reported it, and a party's own report does not attribute it"
    )
    assert " reported only by UA 3.0 km west of the line" in determination.explanation


def test_party_report_beside_mission_sources_is_mentioned(adjudicator: Adjudicator) -> None:
    case = incident(
        "complaint-and-uav",
        *at(3.0, "west"),
        (Kind.IMPACT,),
        sources=("acoustic-1", "ua-reports", "uav-1"),
        party_reporters=("UA",),
        fire_from_bearing_deg=95.0,
    )
    determination = judge(adjudicator, case)
    assert determination.attributed_to == "RU"
    assert "(UAV B2, acoustic A2)" in determination.explanation
    assert "; UA reported it;" in determination.explanation


def test_malformed_attributes_are_ignored(adjudicator: Adjudicator) -> None:
    case = incident(
        "junk",
        *at(2.0, "west"),
        (Kind.EXPLOSION,),
        origin_lon="east",
        origin_lat=True,
        fire_from_bearing_deg=float("nan"),
    )
    assert judge(adjudicator, case).attributed_to is None
