"""The numbers of the daily report, on a hand-built store where each one is known."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from report_builders import CUTOFF, DAY, SECRET, build_store, point

from truceline.access.model import Edition
from truceline.adjudication.determination import Status
from truceline.agreement.loaded import LoadedAgreement
from truceline.reports.editions import coarsen
from truceline.reports.facts import NO_COVERAGE_TEXT, Category, DailyFacts, gather
from truceline.reports.period import ReportingPeriod
from truceline.reports.sectors import LineSectors
from truceline.store import Store


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, LoadedAgreement]]:
    store, loaded = build_store(tmp_path_factory.mktemp("facts") / "hand.sqlite")
    yield store, loaded
    store.close()


def _facts(built: tuple[Store, LoadedAgreement], edition: Edition) -> DailyFacts:
    return gather(built[0], ReportingPeriod(DAY), edition=edition)


def test_the_restricted_edition_counts_every_determination_of_the_period(
    built: tuple[Store, LoadedAgreement],
) -> None:
    facts = _facts(built, Edition.RESTRICTED)
    today = facts.totals.today
    # a (exactly at the cut-off) and x are clear; b suspected; c deconflicted; d nothing.
    # e starts exactly at the previous cut-off (the previous period); h a microsecond late.
    assert (today.clear, today.suspected, today.deconflicted, today.no_violation) == (2, 1, 1, 1)
    assert facts.totals.previous == 2  # e and f
    assert facts.totals.mean == pytest.approx(3 / 7)  # e, f and g over seven periods
    assert facts.history_days_with_data == 7
    assert [b.determination_id for b in facts.clear_breaches] == [
        "det-x-secret-clear",
        "det-a-at-cutoff",
    ]
    assert [b.determination_id for b in facts.suspected] == ["det-b-secret"]
    assert facts.deconflicted[0].notice_ids == ("N-7",)
    assert facts.deconflicted[0].activities == ("DEMINING",)
    assert facts.attributed == {"RED": 2}


def test_counts_by_sector_compare_with_the_previous_period_and_the_mean(
    built: tuple[Store, LoadedAgreement],
) -> None:
    _, loaded = built
    sectors = LineSectors(loaded.line)
    near, far = sectors.area_of(*point(loaded, 0.1)), sectors.area_of(*point(loaded, 0.9))
    assert near != far
    facts = _facts(built, Edition.RESTRICTED)
    rows = {r.label: r for r in facts.areas}
    assert rows[near].today.violations == 2  # a, b
    assert rows[near].previous == 1  # f
    assert rows[near].mean == pytest.approx(2 / 7)  # f, g
    assert rows[far].today.violations == 1  # x
    assert rows[far].previous == 1  # e
    assert rows[far].mean == pytest.approx(1 / 7)
    kinds = {r.label: r for r in facts.categories}
    assert kinds[Category.EXPLOSIONS].today.violations == 3
    assert kinds[Category.PRESENCE].today.deconflicted == 1
    assert kinds[Category.THERMAL].today.no_violation == 1


def test_the_public_edition_holds_only_what_is_released_and_counts_the_rest(
    built: tuple[Store, LoadedAgreement],
) -> None:
    _, loaded = built
    facts = _facts(built, Edition.PUBLIC)
    today = facts.totals.today
    assert (today.clear, today.suspected, today.deconflicted, today.no_violation) == (1, 0, 1, 1)
    assert facts.totals.previous == 2
    r = facts.redactions
    assert r.withheld == {Status.CLEAR_BREACH: 1, Status.SUSPECTED_BREACH: 1}
    assert r.determinations_withheld == 2
    assert r.positions_coarsened == 3  # a, c, d
    assert r.suspected_not_listed == 0
    assert r.notice_ids_withheld == 2  # N-7 of c, and N-9 named in a's explanation
    assert facts.suspected == []
    (breach,) = facts.clear_breaches
    assert breach.determination_id is None
    assert "N-9" not in breach.explanation
    assert "a notice of demining by RED" in breach.explanation
    lon, lat = point(loaded, 0.1)
    assert (breach.lon, breach.lat) == (coarsen(lon), coarsen(lat))
    assert facts.deconflicted[0].notice_ids == ()
    assert SECRET not in repr(facts)
    assert "leaves out 2 determinations" in " ".join(facts.summary)


def test_the_same_redactions_are_counted_in_both_editions(
    built: tuple[Store, LoadedAgreement],
) -> None:
    assert _facts(built, Edition.PUBLIC).redactions == _facts(built, Edition.RESTRICTED).redactions


def test_without_coverage_information_the_report_says_so(
    built: tuple[Store, LoadedAgreement],
) -> None:
    facts = _facts(built, Edition.PUBLIC)
    assert facts.coverage is None
    assert NO_COVERAGE_TEXT in facts.summary


def test_periods_before_the_first_observation_are_not_compared(
    built: tuple[Store, LoadedAgreement],
) -> None:
    store, _ = built
    # 2025-09-03: its history runs from 2025-08-27; only 2025-09-02 starts after the data
    facts = gather(store, ReportingPeriod(DAY.replace(day=3)), edition=Edition.RESTRICTED)
    assert facts.history_days_with_data == 1
    assert facts.totals.previous == 0
    early = gather(store, ReportingPeriod(DAY.replace(day=1)), edition=Edition.RESTRICTED)
    assert early.totals.previous is None
    assert early.totals.mean is None
    assert [d.has_data for d in early.trend][-1] is True
    assert not any(d.has_data for d in early.trend[:-1])
    assert CUTOFF.date() == DAY
