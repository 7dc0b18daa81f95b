"""The reporting period: a fixed cut-off, no overlap and no gap between reports."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from truceline.errors import InputError
from truceline.reports.period import (
    DEFAULT_CUTOFF,
    ReportingPeriod,
    parse_cutoff,
    parse_date,
    period_of,
)


def test_the_default_period_runs_from_the_cutoff_before_to_the_cutoff() -> None:
    period = ReportingPeriod(date(2025, 9, 6))
    assert time(18, 0, tzinfo=UTC) == DEFAULT_CUTOFF
    assert period.start == datetime(2025, 9, 5, 18, 0, tzinfo=UTC)
    assert period.end == datetime(2025, 9, 6, 18, 0, tzinfo=UTC)
    assert period.contains(period.end)
    assert not period.contains(period.start)
    assert period.previous().end == period.start
    assert [p.day.day for p in period.before(3)] == [3, 4, 5]
    assert period.words == "18:00 UTC 5 September 2025 to 18:00 UTC 6 September 2025"


def test_a_cutoff_with_an_offset_is_kept_in_its_zone() -> None:
    cutoff = parse_cutoff("19:30+02:00")
    period = ReportingPeriod(date(2025, 9, 6), cutoff)
    assert period.end == datetime(2025, 9, 6, 17, 30, tzinfo=UTC)
    assert period.cutoff_words == "19:30 UTC+02:00 (17:30 UTC)"
    assert parse_cutoff("06:00") == time(6, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["18", "25:00", "noon", "18h00", ""])
def test_a_bad_cutoff_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_cutoff(text)
    assert caught.value.field == "cutoff"
    assert "HH:MM" in str(caught.value)


def test_a_bad_date_is_refused_naming_the_field() -> None:
    with pytest.raises(InputError) as caught:
        parse_date("6 September")
    assert caught.value.field == "date"
    assert parse_date(" 2025-09-06 ") == date(2025, 9, 6)


cutoffs = st.builds(
    lambda h, m, offset: time(h, m, tzinfo=timezone(timedelta(minutes=offset))),
    st.integers(0, 23),
    st.sampled_from([0, 15, 30, 59]),
    st.sampled_from([0, 120, 180, -300, 330]),
)
instants = st.datetimes(
    min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30), timezones=st.just(UTC)
)


@given(instants, cutoffs)
def test_every_instant_belongs_to_exactly_one_period(instant: datetime, cutoff: time) -> None:
    period = period_of(instant, cutoff)
    assert period.contains(instant)
    assert not period.previous().contains(instant)
    assert not ReportingPeriod(period.day + timedelta(days=1), cutoff).contains(instant)
    assert period.end - period.start == timedelta(days=1)
