"""Deconfliction: which pre-notifications lift which rules, and why others do not."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from adjudication_builders import GEOD, T0, at, incident, judge, notice

from truceline.adjudication.adjudicator import Adjudicator
from truceline.adjudication.determination import Status
from truceline.errors import InputError
from truceline.fusion.incident import Incident
from truceline.observations.model import Kind

DEMINING_KINDS = (Kind.EXPLOSION, Kind.MOVEMENT)


def demining(
    name: str = "demining", *, uncertainty_m: float = 100.0, minutes: int = 10
) -> Incident:
    """UA demining 2 km west of the line, inside the notified box."""
    lon, lat = at(2.0, "west")
    return incident(name, lon, lat, DEMINING_KINDS, uncertainty_m=uncertainty_m, minutes=minutes)


def test_without_notice_demining_breaks_two_rules(adjudicator: Adjudicator) -> None:
    determination = judge(adjudicator, demining())
    assert determination.rules == ("CV-FIRE", "DMZ-PRESENCE")
    assert determination.attributed_to is None
    assert determination.attribution_basis.startswith(
        "attributed in part: the movement to UA, as the movement was seen in Ukrainian-held "
        "territory; the fire to no party"
    )


def test_timely_notice_deconflicts(adjudicator: Adjudicator) -> None:
    determination = judge(adjudicator, demining(), [notice("N-1")])
    assert determination.status is Status.DECONFLICTED
    assert determination.rules == ()
    assert determination.deconflicted_rules == ("CV-FIRE", "DMZ-PRESENCE")
    assert determination.prenotification_ids == ("N-1",)
    assert determination.severity is None
    assert determination.clear_breach is False
    assert "breaks no rule once deconflicted" in determination.explanation
    assert (
        "notice N-1 of demining by UA, received 48 h before start (24 h required), lifts rules "
        "CV-FIRE (Firing across the line) and DMZ-PRESENCE (Armed presence in the buffer)"
    ) in determination.explanation


def test_notice_exactly_on_time_covers(adjudicator: Adjudicator) -> None:
    determination = judge(adjudicator, demining(), [notice("N-exact", lead_hours=24.0)])
    assert determination.status is Status.DECONFLICTED


def test_late_notice_does_not_cover(adjudicator: Adjudicator) -> None:
    determination = judge(adjudicator, demining(), [notice("N-late", lead_hours=3.0)])
    assert determination.status is Status.CLEAR_BREACH
    assert determination.deconflicted_rules == ()
    assert determination.prenotification_ids == ()
    assert (
        "notice N-late of demining by UA does not cover it: it was received 3 h before start "
        "(24 h are required)"
    ) in determination.explanation


def test_notice_received_after_start(adjudicator: Adjudicator) -> None:
    determination = judge(adjudicator, demining(), [notice("N-after", lead_hours=-1.5)])
    assert determination.rules == ("CV-FIRE", "DMZ-PRESENCE")
    assert "it was received 1.5 h after start (24 h are required)" in determination.explanation


def test_out_of_area_notice_does_not_cover(adjudicator: Adjudicator) -> None:
    far_box = (35.5, 48.2, 35.7, 48.4)
    determination = judge(adjudicator, demining(), [notice("N-away", area=far_box)])
    assert determination.status is Status.CLEAR_BREACH
    assert "notice N-away of demining by UA does not cover it: the incident lies" in (
        determination.explanation
    )
    assert "km outside its area" in determination.explanation


def test_location_uncertainty_reaches_into_the_area(adjudicator: Adjudicator) -> None:
    # The notified box ends 3 km west of the line; the incident lies 2 km west, 1 km outside it.
    box = (35.5, 47.9, at(3.0, "west")[0], 48.1)
    sure = demining("sure", uncertainty_m=200.0)
    vague = demining("vague", uncertainty_m=1500.0)
    by_id = {
        d.incident_id: d for d in adjudicator.adjudicate([sure, vague], [notice("N-b", area=box)])
    }
    assert by_id[sure.id].status is Status.CLEAR_BREACH
    assert "the incident lies 1.0 km outside its area" in by_id[sure.id].explanation
    assert by_id[vague.id].status is Status.DECONFLICTED


def test_notice_of_the_wrong_party_does_not_cover(adjudicator: Adjudicator) -> None:
    determination = judge(adjudicator, demining(), [notice("N-ru", party="RU")])
    assert determination.status is Status.CLEAR_BREACH
    assert (
        "notice N-ru of demining by RU does not cover it: rule CV-FIRE is not attributed and the "
        "incident lies on the Ukrainian-held side, and rule DMZ-PRESENCE is attributed to UA"
    ) in determination.explanation


def test_notice_lifts_only_the_rules_of_its_party(adjudicator: Adjudicator) -> None:
    shelled_deminers = incident(
        "shelled-deminers", *at(2.0, "west"), DEMINING_KINDS, fire_from_bearing_deg=90.0
    )
    determination = judge(adjudicator, shelled_deminers, [notice("N-1")])
    assert determination.rules == ("CV-FIRE",)
    assert determination.deconflicted_rules == ("DMZ-PRESENCE",)
    assert determination.prenotification_ids == ("N-1",)
    assert determination.status is Status.CLEAR_BREACH


def test_notice_of_a_stranger_never_covers(adjudicator: Adjudicator) -> None:
    blast = incident("stranger-blast", *at(2.0, "west"), (Kind.EXPLOSION,))
    determination = judge(adjudicator, blast, [notice("N-xx", party="XX")])
    assert determination.status is Status.CLEAR_BREACH
    assert determination.prenotification_ids == ()
    assert (
        "notice N-xx of demining by XX does not cover it: XX is not a party to the agreement"
    ) in determination.explanation


def test_unattributed_incident_covered_by_the_party_holding_the_place(
    adjudicator: Adjudicator,
) -> None:
    blast = incident("blast", *at(2.0, "west"), (Kind.EXPLOSION,))
    own = judge(adjudicator, blast, [notice("N-ua")])
    other = judge(adjudicator, blast, [notice("N-ru", party="RU")])
    assert own.status is Status.DECONFLICTED
    assert own.attributed_to is None
    assert other.status is Status.CLEAR_BREACH
    assert "the unattributed incident lies on the Ukrainian-held side" in other.explanation


def test_expired_notice_does_not_cover(adjudicator: Adjudicator) -> None:
    expired = notice("N-old", starts_at=T0 - timedelta(hours=30), hours_long=24.0)
    determination = judge(adjudicator, demining(), [expired])
    assert determination.status is Status.CLEAR_BREACH
    assert (
        "notice N-old of demining by UA does not cover it: it ended at 2026-02-01 06:00 UTC, "
        "before the incident"
    ) in determination.explanation


def test_notice_starting_after_the_incident(adjudicator: Adjudicator) -> None:
    future = notice("N-next", starts_at=T0 + timedelta(hours=5))
    determination = judge(adjudicator, demining(), [future])
    assert "it starts at 2026-02-01 17:00 UTC, after the incident" in determination.explanation


def test_incident_window_overlapping_the_start_is_covered(adjudicator: Adjudicator) -> None:
    starts_during = notice("N-overlap", starts_at=T0 + timedelta(minutes=5))
    determination = judge(adjudicator, demining(minutes=10), [starts_during])
    assert determination.status is Status.DECONFLICTED


def test_notice_longer_than_allowed_does_not_cover(adjudicator: Adjudicator) -> None:
    determination = judge(adjudicator, demining(), [notice("N-long", hours_long=96.0)])
    assert determination.status is Status.CLEAR_BREACH
    assert "it runs for 96 h (at most 72 h are allowed)" in determination.explanation


def test_several_reasons_are_all_given(adjudicator: Adjudicator) -> None:
    late_and_old = notice(
        "N-two", starts_at=T0 - timedelta(hours=30), hours_long=24.0, lead_hours=2.0
    )
    determination = judge(adjudicator, demining(), [late_and_old])
    assert (
        "it ended at 2026-02-01 06:00 UTC, before the incident, and it was received 2 h before "
        "start (24 h are required)"
    ) in determination.explanation


def test_only_exempted_rules_are_lifted(adjudicator: Adjudicator) -> None:
    case = incident(
        "partial",
        *at(2.0, "west"),
        (Kind.EXPLOSION, Kind.MOVEMENT, Kind.WEAPON_SIGHTING),
        weapon_class="artillery",
    )
    determination = judge(adjudicator, case, [notice("N-1")])
    assert determination.rules == ("DMZ-PRESENCE", "HW-WITHDRAWAL")
    assert determination.deconflicted_rules == ("CV-FIRE",)
    assert determination.prenotification_ids == ("N-1",)
    assert determination.status is Status.CLEAR_BREACH
    assert (
        "notice N-1 covers the military movement but not the weapon sighting, so it does not "
        "lift rule DMZ-PRESENCE"
    ) in determination.explanation


def test_a_kind_the_activity_does_not_cover_keeps_the_rule(adjudicator: Adjudicator) -> None:
    case = incident(
        "launch-in-the-minefield", *at(2.0, "west"), (Kind.EXPLOSION, Kind.IMPACT, Kind.LAUNCH)
    )
    determination = judge(adjudicator, case, [notice("N-1")])
    assert determination.rules == ("CV-FIRE",)
    assert determination.deconflicted_rules == ()
    assert determination.prenotification_ids == ()
    assert (
        "notice N-1 of demining by UA does not cover it: it covers the explosion but not the "
        "impact or the launch"
    ) in determination.explanation


def test_notice_of_an_unknown_activity(adjudicator: Adjudicator) -> None:
    determination = judge(adjudicator, demining(), [notice("N-odd", activity="FIREWORKS")])
    assert determination.status is Status.CLEAR_BREACH
    assert "it names the activity 'FIREWORKS', which the agreement does not permit" in (
        determination.explanation
    )


def test_unrelated_notices_are_not_mentioned(adjudicator: Adjudicator) -> None:
    elsewhere_and_later = notice(
        "N-far", area=(34.0, 47.0, 34.2, 47.2), starts_at=T0 + timedelta(days=10)
    )
    determination = judge(adjudicator, demining(), [elsewhere_and_later])
    assert "N-far" not in determination.explanation


def test_notices_that_fit_no_kind_are_ignored(adjudicator: Adjudicator) -> None:
    aircraft = incident("air", *at(2.0, "west"), (Kind.WEAPON_SIGHTING,), weapon_class="mortar")
    determination = judge(adjudicator, aircraft, [notice("N-1")])
    assert determination.rules == ("DMZ-PRESENCE", "HW-WITHDRAWAL")
    assert determination.deconflicted_rules == ()
    assert "N-1" not in determination.explanation


def test_many_failing_notices_are_summarised(adjudicator: Adjudicator) -> None:
    notices = [notice(f"N-{i}", lead_hours=1.0 + i) for i in range(5)]
    determination = judge(adjudicator, demining(), notices)
    assert determination.explanation.count("does not cover it") == 3
    assert "two other related notices do not cover it either" in determination.explanation


def test_one_more_failing_notice_is_named_in_the_singular(adjudicator: Adjudicator) -> None:
    notices = [notice(f"N-{i}", lead_hours=1.0 + i) for i in range(4)]
    determination = judge(adjudicator, demining(), notices)
    assert "one other related notice does not cover it either" in determination.explanation


def test_near_misses_are_never_rounded_into_agreement(adjudicator: Adjudicator) -> None:
    late = judge(adjudicator, demining(), [notice("N-late", lead_hours=23.96)])
    long = judge(adjudicator, demining(), [notice("N-long", hours_long=72.04)])
    assert "it was received 23 h 58 min before start (24 h are required)" in late.explanation
    assert "it runs for 72 h 2 min (at most 72 h are allowed)" in long.explanation


def test_a_short_distance_outside_the_area_is_in_metres(adjudicator: Adjudicator) -> None:
    lon, lat, _ = GEOD.fwd(35.9, 48.10, 0.0, 30.0)
    edge = incident("edge", lon, lat, (Kind.EXPLOSION,), uncertainty_m=0.0)
    near = incident("near-edge", lon, lat, (Kind.EXPLOSION,), uncertainty_m=10.0)
    by_id = {d.incident_id: d for d in adjudicator.adjudicate([edge, near], [notice("N-1")])}
    # The area's straight edges are drawn in the notice's projection, a few metres north of
    # the parallel at this width, hence not exactly 30 m.
    assert re.search(r"the incident lies 2\d m outside its area;", by_id[edge.id].explanation)
    assert re.search(
        r"the incident lies 2\d m outside its area, beyond its location uncertainty of 10 m;",
        by_id[near.id].explanation,
    )
    assert "0.0 km" not in by_id[edge.id].explanation


def test_unreadable_notice_area_is_refused(adjudicator: Adjudicator) -> None:
    broken = notice("N-bad").model_copy(update={"area": {"type": "Polygon", "coordinates": []}})
    with pytest.raises(InputError, match="pre-notification 'N-bad', field 'area'"):
        adjudicator.adjudicate([demining()], [broken])


def test_clashing_notice_ids_are_refused(adjudicator: Adjudicator) -> None:
    with pytest.raises(InputError, match="pre-notification id 'N-1' is used by two"):
        adjudicator.adjudicate([demining()], [notice("N-1"), notice("N-1", party="RU")])


def test_notices_far_away_are_not_mentioned(adjudicator: Adjudicator) -> None:
    same_time_far_away = notice("N-distant", area=(34.5, 48.8, 34.7, 49.0))
    determination = judge(adjudicator, demining(), [same_time_far_away])
    assert determination.status is Status.CLEAR_BREACH
    assert "N-distant" not in determination.explanation
