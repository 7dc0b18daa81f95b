"""Activity around a pre-notification, seen from the notice: covered, under a late notice,
out of its area, out of its window — and unrelated activity left out."""

from __future__ import annotations

from datetime import timedelta

from adjudication_builders import T0, at, incident, notice
from hypothesis import given, settings
from hypothesis import strategies as st

from truceline.adjudication.adjudicator import Adjudicator
from truceline.adjudication.determination import Determination
from truceline.adjudication.notice_activity import (
    FindingKind,
    NoticeFinding,
    notice_findings,
    search_box,
    timeliness,
)
from truceline.agreement.prenotification import PreNotification
from truceline.fusion.incident import Incident
from truceline.observations.model import Kind

DEMINING_KINDS = (Kind.EXPLOSION, Kind.MOVEMENT)


def _cases() -> list[Incident]:
    inside_lon, inside_lat = at(2.0, "west")
    north_lon, north_lat = at(2.0, "west", lat=48.15)  # about 5.5 km north of the box
    far_lon, far_lat = at(2.0, "west", lat=48.40)  # about 33 km north of it
    east_lon, east_lat = at(2.0, "east")  # on RU's side: RU's activity, not UA's
    return [
        incident("inside", inside_lon, inside_lat, DEMINING_KINDS),
        incident("north", north_lon, north_lat, DEMINING_KINDS),
        incident("far", far_lon, far_lat, DEMINING_KINDS),
        incident("later", inside_lon, inside_lat, DEMINING_KINDS, start=T0 + timedelta(hours=14)),
        incident("east", east_lon, east_lat, DEMINING_KINDS),
    ]


def _findings(
    adjudicator: Adjudicator, given: PreNotification, cases: list[Incident]
) -> list[NoticeFinding]:
    judged: list[Determination] = adjudicator.adjudicate(cases, [given])
    return notice_findings(given, adjudicator.loaded.agreement, cases, judged)


def _by_name(found: list[NoticeFinding], cases: list[Incident]) -> dict[str, NoticeFinding]:
    names = {c.id: n for c, n in zip(cases, _NAMES, strict=True)}
    return {names[f.incident_id]: f for f in found}


_NAMES = ["inside", "north", "far", "later", "east"]


def test_a_timely_notice_covers_what_is_inside_and_reports_what_is_not(
    adjudicator: Adjudicator,
) -> None:
    cases = _cases()
    found = _by_name(_findings(adjudicator, notice("N-1"), cases), cases)
    assert set(found) == {"inside", "north", "later"}
    assert found["inside"].finding is FindingKind.COVERED
    assert found["inside"].distance_outside_m == 0
    assert found["inside"].hours_outside == 0
    north = found["north"]
    assert north.finding is FindingKind.OUTSIDE_AREA
    assert 5_000 < north.distance_outside_m < 6_000
    assert north.summary.startswith(f"incident {north.incident_id} (")
    assert "km outside the area of notice N-1 of demining by UA" in north.summary
    later = found["later"]
    assert later.finding is FindingKind.OUTSIDE_WINDOW
    assert later.hours_outside == 4.0
    assert "4 h after the window of notice N-1" in later.summary


def test_a_late_notice_covers_nothing_and_says_why(adjudicator: Adjudicator) -> None:
    cases = _cases()
    late = notice("N-late", lead_hours=3.0)
    stand = timeliness(late, adjudicator.loaded.agreement)
    assert (stand.timely, stand.lead_hours, stand.required_hours) == (False, 3.0, 24.0)
    found = _by_name(_findings(adjudicator, late, cases), cases)
    assert found["inside"].finding is FindingKind.LATE_NOTICE
    assert found["inside"].summary.endswith(
        "it was received 3 h before the start (24 h are required)"
    )


def test_the_radius_and_the_slack_bound_what_is_reported(adjudicator: Adjudicator) -> None:
    cases = _cases()
    given = notice("N-1")
    judged = adjudicator.adjudicate(cases, [given])
    agreement = adjudicator.loaded.agreement
    wide = notice_findings(given, agreement, cases, judged, radius_m=50_000)
    assert {f.incident_id for f in wide} == {cases[i].id for i in (0, 1, 2, 3)}
    narrow = notice_findings(
        given, agreement, cases, judged, radius_m=1_000, slack=timedelta(hours=1)
    )
    assert [f.incident_id for f in narrow] == [cases[0].id]
    min_lon, min_lat, max_lon, max_lat = search_box(given, 50_000)
    for case in (cases[1], cases[2]):
        assert min_lon <= case.lon <= max_lon
        assert min_lat <= case.lat <= max_lat


@settings(max_examples=20, deadline=None)
@given(order=st.permutations(range(5)))
def test_findings_do_not_depend_on_the_order_of_the_input(
    adjudicator: Adjudicator, order: list[int]
) -> None:
    cases = _cases()
    given = notice("N-1")
    judged = adjudicator.adjudicate(cases, [given])
    agreement = adjudicator.loaded.agreement
    expected = notice_findings(given, agreement, cases, judged)
    shuffled = notice_findings(
        given,
        agreement,
        [cases[i] for i in order],
        [judged[i] for i in reversed(order)],
    )
    assert shuffled == expected
