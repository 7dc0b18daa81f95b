"""One test per rule of the test agreement, and the conditions that keep a rule from applying."""

from __future__ import annotations

from datetime import UTC, datetime

from adjudication_builders import (
    agreement_data,
    at,
    incident,
    judge,
    loaded_agreement,
    notice,
    registry,
)

from truceline.adjudication.adjudicator import Adjudicator
from truceline.adjudication.determination import Status
from truceline.agreement.model import Severity
from truceline.geometry.theatre import Theatre
from truceline.observations.model import Domain, Kind


def test_cv_fire_explosion_near_the_line(adjudicator: Adjudicator) -> None:
    case = incident("cv-fire", *at(4.2, "west"), (Kind.EXPLOSION,), fire_from_bearing_deg=90.0)
    determination = judge(adjudicator, case)
    assert determination.rules == ("CV-FIRE",)
    assert determination.status is Status.CLEAR_BREACH
    assert determination.severity is Severity.HIGH
    assert determination.side == "UA"
    assert determination.signed_distance_m > 0
    assert abs(determination.distance_to_line_m - 4200.0) < 50.0
    assert "buffer" in determination.zones
    assert list(determination.zones) == sorted(determination.zones)


def test_cv_fire_does_not_apply_beyond_its_distance(adjudicator: Adjudicator) -> None:
    case = incident(
        "far-fire", *at(45.0, "west"), (Kind.EXPLOSION,), origin_lon=36.3, origin_lat=48.0
    )
    determination = judge(adjudicator, case)
    assert determination.rules == ()
    assert determination.status is Status.NO_VIOLATION
    assert determination.severity is None
    assert determination.attributed_to == "RU"
    assert "rule CV-FIRE applies only within 30 km of the line" in determination.explanation
    assert "45.0 km from it" in determination.explanation


def test_hw_withdrawal_weapon_in_the_band_of_its_class(adjudicator: Adjudicator) -> None:
    case = incident("hw-in", *at(20.0, "east"), (Kind.WEAPON_SIGHTING,), weapon_class="artillery")
    determination = judge(adjudicator, case)
    assert determination.rules == ("HW-WITHDRAWAL",)
    assert determination.attributed_to == "RU"
    assert "withdrawal:artillery" in determination.zones
    assert "in the 25 km withdrawal band for artillery of 100 mm and above" in (
        determination.explanation
    )


def test_hw_withdrawal_weapon_beyond_its_band(adjudicator: Adjudicator) -> None:
    case = incident("hw-out", *at(30.0, "east"), (Kind.WEAPON_SIGHTING,), weapon_class="artillery")
    determination = judge(adjudicator, case)
    assert determination.rules == ()
    assert determination.status is Status.NO_VIOLATION
    assert "withdrawal:mlrs" in determination.zones


def test_hw_withdrawal_class_from_calibre(adjudicator: Adjudicator) -> None:
    case = incident("hw-152", *at(20.0, "east"), (Kind.WEAPON_SIGHTING,), calibre_mm=152.0)
    determination = judge(adjudicator, case)
    assert determination.rules == ("HW-WITHDRAWAL",)
    assert "artillery of 100 mm and above, 152 mm calibre" in determination.explanation


def test_hw_withdrawal_ambiguous_calibre_takes_the_narrowest_band(
    adjudicator: Adjudicator,
) -> None:
    inside_mortar_band = incident(
        "cal-120-near", *at(10.0, "east"), (Kind.WEAPON_SIGHTING,), calibre_mm=120.0
    )
    between_bands = incident(
        "cal-120-far", *at(20.0, "east"), (Kind.WEAPON_SIGHTING,), calibre_mm=120.0
    )
    near, far = judge(adjudicator, inside_mortar_band), judge(adjudicator, between_bands)
    assert near.rules == ("HW-WITHDRAWAL",)
    assert far.rules == ()
    assert "a calibre of 120 mm fits artillery of 100 mm and above and mortars up to 120 mm" in (
        far.explanation
    )
    assert "that of mortars up to 120 mm, is applied" in far.explanation


def test_hw_withdrawal_without_class_or_calibre_says_so(adjudicator: Adjudicator) -> None:
    case = incident("hw-unknown", *at(20.0, "east"), (Kind.WEAPON_SIGHTING,))
    determination = judge(adjudicator, case)
    assert determination.rules == ()
    assert (
        "rule HW-WITHDRAWAL could not be applied: neither the weapon's class nor its calibre "
        "was reported" in determination.explanation
    )


def test_hw_withdrawal_unknown_weapon_class(adjudicator: Adjudicator) -> None:
    case = incident("hw-odd", *at(5.5, "east"), (Kind.WEAPON_SIGHTING,), weapon_class="railgun")
    determination = judge(adjudicator, case)
    assert determination.rules == ()
    assert "'railgun' is not one the agreement defines" in determination.explanation


def test_dmz_presence_in_the_buffer(adjudicator: Adjudicator) -> None:
    case = incident("dmz", *at(1.0, "east"), (Kind.ARMED_PRESENCE,))
    determination = judge(adjudicator, case)
    assert determination.rules == ("DMZ-PRESENCE",)
    assert determination.severity is Severity.MEDIUM
    assert determination.side == "RU"
    assert determination.signed_distance_m < 0
    assert "1.0 km east of the line in the demilitarised buffer" in determination.explanation


def test_dmz_presence_outside_the_buffer_is_no_violation(adjudicator: Adjudicator) -> None:
    determination = judge(adjudicator, incident("dmz-out", *at(6.0, "east"), (Kind.MOVEMENT,)))
    assert determination.rules == ()
    assert determination.status is Status.NO_VIOLATION
    assert "breaks no rule of the agreement" in determination.explanation


def test_nfz_air_aircraft_in_the_no_fly_zone(adjudicator: Adjudicator) -> None:
    case = incident("nfz", 35.5, 49.0, (Kind.AIRCRAFT,), domain=Domain.AIR)
    determination = judge(adjudicator, case)
    assert determination.rules == ("NFZ-AIR",)
    assert "nfz-north" in determination.zones
    assert "in the northern no-fly zone" in determination.explanation


def test_nfz_air_needs_the_air_domain(adjudicator: Adjudicator) -> None:
    case = incident("nfz-land", 35.5, 49.0, (Kind.AIRCRAFT,), domain=Domain.LAND)
    assert judge(adjudicator, case).rules == ()


def test_nfz_air_outside_the_zone(adjudicator: Adjudicator) -> None:
    case = incident("nfz-out", 35.5, 48.5, (Kind.AIRCRAFT,), domain=Domain.AIR)
    assert judge(adjudicator, case).rules == ()


def _sea_patrol_adjudicator() -> Adjudicator:
    """The test agreement with MEZ-SEA met by movement too, so that it can be attributed."""
    data = agreement_data()
    for act in data["prohibited_acts"]:
        if act["code"] == "MEZ-SEA":
            act["kinds"] = ["vessel", "movement"]
    loaded = loaded_agreement(prohibited_acts=data["prohibited_acts"])
    return Adjudicator(loaded, Theatre(loaded), registry())


def test_mez_sea_binds_the_attributed_party() -> None:
    case = incident("mez-ru", 36.5, 45.4, (Kind.VESSEL, Kind.MOVEMENT), domain=Domain.SEA)
    determination = judge(_sea_patrol_adjudicator(), case)
    assert determination.rules == ("MEZ-SEA",)
    assert "binds RU only" not in determination.explanation


def test_mez_sea_does_not_bind_another_party() -> None:
    case = incident("mez-ua", 35.5, 45.4, (Kind.VESSEL, Kind.MOVEMENT), domain=Domain.SEA)
    determination = judge(_sea_patrol_adjudicator(), case)
    assert determination.rules == ()
    assert "mez-south" in determination.zones
    assert "the southern maritime exclusion zone binds RU only, not UA" in (
        determination.explanation
    )


def test_movement_does_not_attribute_the_vessel(adjudicator: Adjudicator) -> None:
    case = incident("mez-moving", 35.5, 45.4, (Kind.VESSEL, Kind.MOVEMENT), domain=Domain.SEA)
    determination = judge(adjudicator, case)
    assert determination.attributed_to is None
    assert determination.rules == ("MEZ-SEA",)
    assert determination.attribution_basis == (
        "attributed in part: the movement to UA, as the movement was seen in Ukrainian-held "
        "territory; the vessel to no party, as nothing reported shows whose vessel it was"
    )
    assert "binds RU only, and no party could be attributed" in determination.explanation


def test_mez_sea_unattributed_vessel_is_met_and_says_so(adjudicator: Adjudicator) -> None:
    case = incident("mez-none", 36.5, 45.4, (Kind.VESSEL,), domain=Domain.SEA)
    determination = judge(adjudicator, case)
    assert determination.attributed_to is None
    assert determination.rules == ("MEZ-SEA",)
    assert "binds RU only, and no party could be attributed" in determination.explanation
    assert determination.attribution_basis == (
        "not attributed: nothing reported shows whose vessel it was"
    )


def test_aircraft_is_not_attributed_by_the_place(adjudicator: Adjudicator) -> None:
    case = incident("nfz-whose", 36.5, 49.0, (Kind.AIRCRAFT,), domain=Domain.AIR)
    determination = judge(adjudicator, case)
    assert determination.attributed_to is None
    assert determination.attribution_basis == (
        "not attributed: nothing reported shows whose aircraft it was"
    )
    assert "direction of fire" not in determination.explanation


def test_thermal_anomaly_breaks_no_rule(adjudicator: Adjudicator) -> None:
    case = incident("fire", *at(2.0, "west"), (Kind.THERMAL_ANOMALY,), sources=("firms-modis",))
    determination = judge(adjudicator, case)
    assert determination.status is Status.NO_VIOLATION
    assert determination.clear_breach is False
    assert "satellite thermal B3" in determination.explanation


def test_several_rules_at_once(adjudicator: Adjudicator) -> None:
    case = incident(
        "many",
        *at(3.0, "east"),
        (Kind.WEAPON_SIGHTING, Kind.LAUNCH),
        weapon_class="mlrs",
    )
    determination = judge(adjudicator, case)
    assert determination.rules == ("CV-FIRE", "DMZ-PRESENCE", "HW-WITHDRAWAL")
    assert "breaks rules CV-FIRE (Firing across the line), DMZ-PRESENCE" in (
        determination.explanation
    )
    assert determination.severity is Severity.HIGH


def test_just_beyond_the_distance_of_a_rule_shows_the_difference(
    adjudicator: Adjudicator,
) -> None:
    determination = judge(adjudicator, incident("just-far", *at(30.04, "west"), (Kind.EXPLOSION,)))
    assert determination.rules == ()
    assert (
        "rule CV-FIRE applies only within 30 km of the line, and this was 30.04 km from it"
    ) in determination.explanation


def test_before_the_agreement_took_effect_is_no_violation(adjudicator: Adjudicator) -> None:
    early = incident(
        "before",
        *at(2.0, "west"),
        (Kind.EXPLOSION,),
        start=datetime(2025, 12, 31, 23, 0, tzinfo=UTC),
        minutes=30,
        fire_from_bearing_deg=90.0,
    )
    determination = judge(adjudicator, early, [notice("N-1")])
    assert determination.status is Status.NO_VIOLATION
    assert determination.rules == ()
    assert determination.deconflicted_rules == ()
    assert determination.severity is None
    assert (
        "breaks no rule: it ended before the agreement took effect (2026-01-01 00:00 UTC)."
    ) in determination.explanation


def test_an_incident_running_into_the_agreement_is_judged(adjudicator: Adjudicator) -> None:
    straddling = incident(
        "straddling",
        *at(2.0, "west"),
        (Kind.EXPLOSION,),
        start=datetime(2025, 12, 31, 23, 50, tzinfo=UTC),
        minutes=20,
    )
    assert judge(adjudicator, straddling).rules == ("CV-FIRE",)
