"""The reporting period of a daily report: the 24 hours up to a fixed cut-off time.

The report for date D covers the period that ends at the cut-off on D and starts at the
cut-off on the day before. The cut-off itself belongs to the period it ends: an incident
that starts exactly at 18:00 UTC on D is in D's report, one that starts a microsecond later
in D+1's. So every instant belongs to exactly one period, and consecutive reports neither
overlap nor leave a gap.

The default cut-off is 18:00 UTC. (The OSCE Special Monitoring Mission used 19:30 Kyiv
time, 16:30 or 17:30 UTC; give `--cutoff 19:30+02:00` for that.) A cut-off without an
offset is UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from truceline.errors import InputError
from truceline.store import TimeWindow

DEFAULT_CUTOFF: Final = time(18, 0, tzinfo=UTC)
"""The default cut-off: 18:00 UTC."""

HISTORY_DAYS: Final = 7
"""The number of periods before the reported one whose mean the report compares with."""

TREND_DAYS: Final = 30
"""The number of periods the trend chart shows, the reported one included."""

ONE_DAY: Final = timedelta(days=1)


def parse_date(text: str) -> date:
    """The report date from ``YYYY-MM-DD``; InputError (field `date`) otherwise."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"date: {text!r} is not a date; give the report date as YYYY-MM-DD, e.g. 2025-09-05",
            field="date",
        ) from None


def parse_cutoff(text: str) -> time:
    """The cut-off from ``HH:MM`` (UTC) or ``HH:MM+HH:MM`` (with a UTC offset); InputError
    (field `cutoff`) otherwise."""
    raw = text.strip()
    try:
        parsed = time.fromisoformat(raw)
    except ValueError:
        parsed = None
    if parsed is None or len(raw) < 5 or raw[2] != ":":
        raise InputError(
            f"cutoff: {text!r} is not a time of day; give HH:MM (UTC), e.g. 18:00, or HH:MM "
            "with a UTC offset, e.g. 19:30+02:00",
            field="cutoff",
        )
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


@dataclass(frozen=True)
class ReportingPeriod:
    """The period a daily report covers: (start, end], where end is the cut-off on `day`."""

    day: date
    cutoff: time = DEFAULT_CUTOFF

    def __post_init__(self) -> None:
        if self.cutoff.tzinfo is None or self.cutoff.utcoffset() is None:
            raise InputError(
                "cutoff: a cut-off needs a time zone (UTC when none is written)", field="cutoff"
            )

    @property
    def end(self) -> datetime:
        """The cut-off on `day`, in UTC: the last instant of the period."""
        return datetime.combine(self.day, self.cutoff).astimezone(UTC)

    @property
    def start(self) -> datetime:
        """The cut-off on the day before, in UTC: the period starts just after it."""
        return datetime.combine(self.day - ONE_DAY, self.cutoff).astimezone(UTC)

    @property
    def window(self) -> TimeWindow:
        """The closed window [start, end] for store queries; `contains` then decides."""
        return TimeWindow(self.start, self.end)

    def contains(self, instant: datetime) -> bool:
        """Whether an instant lies in the period: start < instant <= end."""
        return self.start < instant <= self.end

    def previous(self) -> ReportingPeriod:
        """The period just before this one."""
        return ReportingPeriod(self.day - ONE_DAY, self.cutoff)

    def before(self, days: int) -> list[ReportingPeriod]:
        """The `days` periods before this one, oldest first."""
        return [ReportingPeriod(self.day - ONE_DAY * k, self.cutoff) for k in range(days, 0, -1)]

    @property
    def cutoff_words(self) -> str:
        """The cut-off as a reader sees it: "18:00 UTC" or "19:30 UTC+02:00 (17:30 UTC)"."""
        offset = self.cutoff.utcoffset()
        local = self.cutoff.strftime("%H:%M")
        if not offset:
            return f"{local} UTC"
        sign = "+" if offset >= timedelta(0) else "-"
        minutes = abs(int(offset.total_seconds())) // 60
        return f"{local} UTC{sign}{minutes // 60:02d}:{minutes % 60:02d} ({self.end:%H:%M} UTC)"

    @property
    def words(self) -> str:
        """The period in words, in UTC: "18:00 UTC 4 September to 18:00 UTC 5 September 2025"."""
        return f"{_stamp(self.start)} to {_stamp(self.end)}"


def _stamp(instant: datetime) -> str:
    return f"{instant:%H:%M} UTC {instant.day} {instant:%B %Y}"


def period_of(instant: datetime, cutoff: time = DEFAULT_CUTOFF) -> ReportingPeriod:
    """The period an aware instant belongs to."""
    if instant.tzinfo is None:
        raise InputError("instant: give an aware datetime", field="instant")
    offset = cutoff.utcoffset() or timedelta(0)
    local = instant.astimezone(UTC) + offset
    candidate = ReportingPeriod(local.date(), cutoff)
    return (
        candidate if instant <= candidate.end else ReportingPeriod(local.date() + ONE_DAY, cutoff)
    )
