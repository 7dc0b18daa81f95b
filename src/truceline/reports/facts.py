"""The numbers of a daily report, gathered from the store into plain, typed facts.

`gather` reads the determinations of the reporting period and of the periods before it
(the previous one, the seven whose mean is compared with, the thirty of the trend chart),
with their incidents, and counts them by area (region or sector) × category of activity ×
status. Nothing here formats a page: `truceline.reports.render` prints a `DailyFacts` as it
is, so whatever an edition must not show is already absent from its facts.

Counting rules:

- a determination belongs to the period in which its incident **starts** (start < t <=
  cut-off, see `truceline.reports.period`);
- a **violation** is a determination with status `clear_breach` or `suspected_breach`;
  `deconflicted` and `no_violation` are counted apart;
- the determinations counted are those under one agreement version: the latest stored,
  unless another is asked for;
- the previous period and the seven-day mean count only periods with data throughout: a
  period that starts before the first stored observation is left out of the comparisons
  (with none left, there is no mean, and the report says so). The trend chart marks the
  periods that end before the first observation as "no data".
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Final

import numpy as np
import shapely

from truceline.access.model import Edition
from truceline.access.policy import ReadFilter
from truceline.adjudication.determination import Determination, Status
from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.prenotification import PreNotification
from truceline.fusion.incident import Incident
from truceline.observations.model import Domain, Kind, SourceType
from truceline.reports.editions import (
    STATUS_ORDER,
    Redactions,
    coarsen,
    edition_filter,
)
from truceline.reports.period import (
    HISTORY_DAYS,
    TREND_DAYS,
    ReportingPeriod,
    period_of,
)
from truceline.reports.sectors import Areas, LineSectors
from truceline.simulation.gaps import CoverageGap, GapReason
from truceline.sources.registry import BUILTIN_SOURCES
from truceline.store import Store, TimeWindow

MAX_LISTED: Final = 100
"""At most this many items are listed in each section; the rest are counted."""

NO_COVERAGE_TEXT: Final = "No coverage information was supplied; areas not observed are not known."


class Category(StrEnum):
    """What kind of activity an incident was, as the report groups it."""

    EXPLOSIONS = "explosions and impacts"
    LAUNCHES = "launches"
    SMALL_ARMS = "small-arms fire"
    HEAVY_WEAPONS = "heavy weapons in withdrawal zones"
    OTHER_WEAPONS = "weapons outside withdrawal zones"
    PRESENCE = "armed presence and movement"
    AIR = "air"
    SEA = "sea"
    THERMAL = "thermal anomalies and fires"
    OTHER = "other"


CATEGORY_ORDER: Final = tuple(Category)

_FIRE_KINDS = {Kind.EXPLOSION, Kind.IMPACT, Kind.DAMAGE, Kind.CASUALTY_REPORT}


def category_of(incident: Incident, determination: Determination) -> Category:
    """The category of an incident: its domain for air and sea, else its primary kind (a
    weapon sighting by whether it lies in a withdrawal band or the buffer)."""
    if incident.domain is Domain.AIR or incident.primary_kind is Kind.AIRCRAFT:
        return Category.AIR
    if incident.domain is Domain.SEA or incident.primary_kind is Kind.VESSEL:
        return Category.SEA
    kind = incident.primary_kind
    if kind in _FIRE_KINDS:
        return Category.EXPLOSIONS
    if kind is Kind.LAUNCH:
        return Category.LAUNCHES
    if kind is Kind.SMALL_ARMS_FIRE:
        return Category.SMALL_ARMS
    if kind is Kind.WEAPON_SIGHTING:
        in_band = any(z.startswith("withdrawal:") or z == "buffer" for z in determination.zones)
        return Category.HEAVY_WEAPONS if in_band else Category.OTHER_WEAPONS
    if kind in (Kind.ARMED_PRESENCE, Kind.MOVEMENT):
        return Category.PRESENCE
    if kind in (Kind.THERMAL_ANOMALY, Kind.FIRE):
        return Category.THERMAL
    return Category.OTHER


@dataclass(frozen=True)
class Counts:
    """Determinations by status."""

    clear: int = 0
    suspected: int = 0
    deconflicted: int = 0
    no_violation: int = 0

    @property
    def violations(self) -> int:
        """Clear and suspected breaches."""
        return self.clear + self.suspected

    @property
    def total(self) -> int:
        return self.clear + self.suspected + self.deconflicted + self.no_violation

    @classmethod
    def of(cls, statuses: Iterable[Status]) -> Counts:
        c = Counter(statuses)
        return cls(
            clear=c[Status.CLEAR_BREACH],
            suspected=c[Status.SUSPECTED_BREACH],
            deconflicted=c[Status.DECONFLICTED],
            no_violation=c[Status.NO_VIOLATION],
        )


@dataclass(frozen=True)
class Comparison:
    """One row of a comparison table: today's counts, the previous period's violations and
    the mean number of violations of the periods before."""

    label: str
    today: Counts
    previous: int | None
    """Violations in the previous period; None when that period has no data."""
    mean: float | None
    """Mean violations a period over the history periods with data; None without any."""


@dataclass(frozen=True)
class Listed:
    """A determination as the report lists it."""

    determination_id: str | None
    """None in the public edition."""
    time: datetime
    area: str
    lon: float
    lat: float
    category: Category
    status: Status
    rules: tuple[str, ...]
    attributed_to: str | None
    severity: str | None
    confidence: float
    independent_sources: int
    explanation: str


@dataclass(frozen=True)
class Deconflicted:
    """Activity a pre-notification covered."""

    time: datetime
    area: str
    lon: float
    lat: float
    category: Category
    party: str
    activities: tuple[str, ...]
    rules: tuple[str, ...]
    """The rules the notice lifted."""
    notice_ids: tuple[str, ...]
    """Empty in the public edition."""


@dataclass(frozen=True)
class GapRow:
    """One coverage gap within the period (its times clipped to the period)."""

    reason: GapReason
    sensor: str
    source_id: str | None
    """None in the public edition, and for gaps of every source of a type (clouds)."""
    sector: str
    area: str
    start: datetime
    end: datetime

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600.0


@dataclass(frozen=True)
class GapTotal:
    """The gaps of one reason within the period."""

    reason: GapReason
    count: int
    hours: float


@dataclass(frozen=True)
class GapArea:
    """The gaps of the period in one area (region or sector): count and hours by reason."""

    area: str
    counts: dict[GapReason, int]
    hours: dict[GapReason, float]


@dataclass(frozen=True)
class Coverage:
    """What coverage was lost in the period."""

    totals: list[GapTotal]
    by_area: list[GapArea]
    """Every area with a gap, in table order."""
    rows: list[GapRow]
    """The first `MAX_LISTED` gaps other than cloud (UAV sorties, jamming, access), by
    start."""
    more: int
    areas: list[tuple[GapReason, str]]
    """Every gap of the period: reason and WKT area, for the map."""

    @property
    def count(self) -> int:
        return sum(t.count for t in self.totals)


@dataclass(frozen=True)
class MapPoint:
    lon: float
    lat: float
    status: Status


@dataclass(frozen=True)
class TrendDay:
    """One period of the trend chart."""

    day: date
    clear: int
    suspected: int
    deconflicted: int
    has_data: bool


@dataclass(frozen=True)
class DailyFacts:
    """Everything one edition of one daily report says, and nothing it must not."""

    edition: Edition
    period: ReportingPeriod
    agreement_id: str
    agreement_version: int
    agreement_title: str
    parties: dict[str, str]
    """Party code -> name."""
    area_kind: str
    """"region" or "sector"."""
    totals: Comparison
    areas: list[Comparison]
    categories: list[Comparison]
    clear_breaches: list[Listed]
    clear_more: int
    suspected: list[Listed]
    """Listed in the restricted edition only."""
    suspected_more: int
    deconflicted: list[Deconflicted]
    deconflicted_more: int
    coverage: Coverage | None
    """None when no coverage information was supplied."""
    points: list[MapPoint]
    trend: list[TrendDay]
    redactions: Redactions
    credits: list[str]
    summary: list[str]
    history_days_with_data: int
    data_start: datetime | None
    attributed: dict[str, int] = field(default_factory=dict)
    """Clear breaches by the party they are attributed to ("" for none)."""


@dataclass(frozen=True)
class _Item:
    determination: Determination
    incident: Incident
    period: ReportingPeriod
    area: str
    category: Category


def _mean(values: Sequence[int]) -> float | None:
    return float(np.mean(values)) if values else None


def gather(
    store: Store,
    period: ReportingPeriod,
    *,
    edition: Edition,
    areas: Areas | None = None,
    gaps: Sequence[CoverageGap] | None = None,
    agreement_id: str | None = None,
    agreement_version: int | None = None,
    credits: Sequence[str] = (),
) -> DailyFacts:
    """The facts of one edition of the report for `period`.

    `areas` assigns areas (default: 50 km sectors along the agreement's line); `gaps` are
    the coverage gaps known (None: no coverage information); `credits` are data credits to
    print besides those found (NASA FIRMS, DeepStateMap).
    """
    loaded = store.agreement(agreement_id, agreement_version)
    agreement = loaded.agreement
    areas = areas if areas is not None else LineSectors(loaded.line)
    trend_periods = [*period.before(TREND_DAYS - 1), period]
    window = TimeWindow(trend_periods[0].start, period.end)

    def fetch(readable: ReadFilter | None) -> list[Determination]:
        return store.determinations(
            window=window,
            agreement_id=agreement.id,
            agreement_version=agreement.version,
            readable=readable,
        )

    everything = fetch(None)
    public_ids = {d.id for d in fetch(edition_filter(Edition.PUBLIC))}
    visible_ids = public_ids if edition is Edition.PUBLIC else {d.id for d in everything}
    incidents = {i.id: i for i in store.incidents(ids=[d.incident_id for d in everything])}
    first = store.observations(limit=1)
    data_start = first[0].observed_at if first else None

    items = _items(everything, incidents, period, areas)
    today = [x for x in items if x.period == period]
    shown = [x for x in items if x.determination.id in visible_ids]
    shown_today = [x for x in shown if x.period == period]

    history = period.before(HISTORY_DAYS)
    with_data = [p for p in history if data_start is not None and data_start <= p.start]
    previous = period.previous()
    previous_has_data = previous in with_data

    def violations(rows: Iterable[_Item], p: ReportingPeriod) -> int:
        return sum(
            1
            for x in rows
            if x.period == p
            and x.determination.status in (Status.CLEAR_BREACH, Status.SUSPECTED_BREACH)
        )

    def comparison(label: str, rows: list[_Item]) -> Comparison:
        return Comparison(
            label=label,
            today=Counts.of(x.determination.status for x in rows if x.period == period),
            previous=violations(rows, previous) if previous_has_data else None,
            mean=_mean([violations(rows, p) for p in with_data]),
        )

    by_area: dict[str, list[_Item]] = defaultdict(list)
    by_category: dict[Category, list[_Item]] = defaultdict(list)
    for x in shown:
        if x.period in with_data or x.period == period:
            by_area[x.area].append(x)
            by_category[x.category].append(x)
    area_rows = [comparison(a, by_area[a]) for a in sorted(by_area, key=areas.order)]
    area_rows = [r for r in area_rows if r.today.violations or r.previous or r.mean]
    category_rows = [comparison(c.value, by_category.get(c, [])) for c in CATEGORY_ORDER]
    category_rows = [r for r in category_rows if r.today.total or r.previous or r.mean]
    totals = comparison("all", shown)

    public = edition is Edition.PUBLIC
    clear = [x for x in shown_today if x.determination.status is Status.CLEAR_BREACH]
    suspected = [x for x in shown_today if x.determination.status is Status.SUSPECTED_BREACH]
    deconflicted = [x for x in shown_today if x.determination.status is Status.DECONFLICTED]
    all_notices = store.prenotifications()
    notices = {n.id: n for n in all_notices}
    coverage = _coverage(gaps, period, areas, public) if gaps is not None else None

    public_today = [x for x in today if x.determination.id in public_ids]
    redactions = Redactions(
        withheld=dict(
            Counter(x.determination.status for x in today if x.determination.id not in public_ids)
        ),
        positions_coarsened=len(public_today),
        suspected_not_listed=sum(
            1 for x in public_today if x.determination.status is Status.SUSPECTED_BREACH
        ),
        gap_sources_withheld=sum(
            1 for g in gaps or () if g.source_id and g.start < period.end and g.end > period.start
        ),
        notice_ids_withheld=sum(
            len(x.determination.prenotification_ids)
            for x in public_today
            if x.determination.status is Status.DECONFLICTED
        )
        + sum(
            redact_notices(x.determination.explanation, notices)[1]
            for x in public_today
            if x.determination.status is Status.CLEAR_BREACH
        ),
    )

    attributed = dict(sorted(Counter(x.determination.attributed_to or "" for x in clear).items()))
    trend = [
        TrendDay(
            day=p.day,
            clear=sum(
                1 for x in shown if x.period == p and x.determination.status is Status.CLEAR_BREACH
            ),
            suspected=sum(
                1
                for x in shown
                if x.period == p and x.determination.status is Status.SUSPECTED_BREACH
            ),
            deconflicted=sum(
                1 for x in shown if x.period == p and x.determination.status is Status.DECONFLICTED
            ),
            has_data=data_start is not None and data_start <= p.end,
        )
        for p in trend_periods
    ]
    facts = DailyFacts(
        edition=edition,
        period=period,
        agreement_id=agreement.id,
        agreement_version=agreement.version,
        agreement_title=agreement.title,
        parties={p.code: p.name for p in agreement.parties},
        area_kind=areas.kind,
        totals=totals,
        areas=area_rows,
        categories=category_rows,
        clear_breaches=[_listed(x, public, notices) for x in clear[:MAX_LISTED]],
        clear_more=max(0, len(clear) - MAX_LISTED),
        suspected=[] if public else [_listed(x, public) for x in suspected[:MAX_LISTED]],
        suspected_more=0 if public else max(0, len(suspected) - MAX_LISTED),
        deconflicted=[_deconflicted(x, notices, public) for x in deconflicted[:MAX_LISTED]],
        deconflicted_more=max(0, len(deconflicted) - MAX_LISTED),
        coverage=coverage,
        points=[_point(x, public) for x in shown_today],
        trend=trend,
        redactions=redactions,
        credits=_credits(store, loaded, [x.incident for x in shown], credits),
        summary=[],
        history_days_with_data=len(with_data),
        data_start=data_start,
        attributed=attributed,
    )
    return _with_summary(facts)


def _items(
    determinations: Sequence[Determination],
    incidents: dict[str, Incident],
    period: ReportingPeriod,
    areas: Areas,
) -> list[_Item]:
    first = period.before(TREND_DAYS - 1)[0]
    kept: list[tuple[Determination, Incident, ReportingPeriod]] = []
    for d in determinations:
        incident = incidents.get(d.incident_id)
        if incident is None:
            continue
        p = period_of(incident.start, period.cutoff)
        if first.day <= p.day <= period.day:
            kept.append((d, incident, p))
    lon = np.array([i.lon for _, i, _ in kept], dtype=np.float64)
    lat = np.array([i.lat for _, i, _ in kept], dtype=np.float64)
    labels = areas.assign(lon, lat)
    items = [
        _Item(d, i, p, area, category_of(i, d))
        for (d, i, p), area in zip(kept, labels, strict=True)
    ]
    items.sort(key=lambda x: (x.incident.start, x.determination.id))
    return items


def _position(x: _Item, public: bool) -> tuple[float, float]:
    if public:
        return coarsen(x.incident.lon), coarsen(x.incident.lat)
    return round(x.incident.lon, 4), round(x.incident.lat, 4)


def redact_notices(text: str, notice_ids: Iterable[str]) -> tuple[str, int]:
    """`text` with every "notice <id>" of these notices written "a notice", and how many
    were replaced."""
    replaced = 0
    for notice_id in sorted(notice_ids, key=len, reverse=True):
        words = f"notice {notice_id}"
        n = text.count(words)
        if n:
            text = text.replace(words, "a notice")
            replaced += n
    return text, replaced


def _listed(x: _Item, public: bool, notice_ids: Iterable[str] = ()) -> Listed:
    d = x.determination
    lon, lat = _position(x, public)
    explanation = redact_notices(d.explanation, notice_ids)[0] if public else d.explanation
    return Listed(
        determination_id=None if public else d.id,
        time=x.incident.start,
        area=x.area,
        lon=lon,
        lat=lat,
        category=x.category,
        status=d.status,
        rules=d.rules,
        attributed_to=None if public and d.status is not Status.CLEAR_BREACH else d.attributed_to,
        severity=d.severity.value if d.severity else None,
        confidence=d.confidence,
        independent_sources=d.independent_sources,
        explanation=explanation,
    )


def _deconflicted(x: _Item, notices: dict[str, PreNotification], public: bool) -> Deconflicted:
    d = x.determination
    lon, lat = _position(x, public)
    found = [notices[i] for i in d.prenotification_ids if i in notices]
    return Deconflicted(
        time=x.incident.start,
        area=x.area,
        lon=lon,
        lat=lat,
        category=x.category,
        party=found[0].party if found else d.side,
        activities=tuple(sorted({n.activity for n in found})),
        rules=d.deconflicted_rules,
        notice_ids=() if public else d.prenotification_ids,
    )


def _point(x: _Item, public: bool) -> MapPoint:
    lon, lat = _position(x, public)
    return MapPoint(lon=lon, lat=lat, status=x.determination.status)


def _coverage(
    gaps: Sequence[CoverageGap], period: ReportingPeriod, areas: Areas, public: bool
) -> Coverage:
    within = sorted(
        (g for g in gaps if g.start < period.end and g.end > period.start), key=CoverageGap.key
    )
    if within:
        centres = shapely.centroid(shapely.from_wkt([g.area for g in within]))
        labels = areas.assign(shapely.get_x(centres), shapely.get_y(centres))
    else:
        labels = []
    rows = [
        GapRow(
            reason=g.reason,
            sensor=g.sensor,
            source_id=None if public or not g.source_id else g.source_id,
            sector=g.sector,
            area=label,
            start=max(g.start, period.start),
            end=min(g.end, period.end),
        )
        for g, label in zip(within, labels, strict=True)
    ]
    totals = []
    for reason in GapReason:
        of_reason = [r for r in rows if r.reason is reason]
        if of_reason:
            totals.append(GapTotal(reason, len(of_reason), sum(r.hours for r in of_reason)))
    counts: dict[str, Counter[GapReason]] = defaultdict(Counter)
    hours: dict[str, dict[GapReason, float]] = defaultdict(lambda: defaultdict(float))
    for r in rows:
        counts[r.area][r.reason] += 1
        hours[r.area][r.reason] += r.hours
    listed = [r for r in rows if r.reason is not GapReason.CLOUD]
    return Coverage(
        totals=totals,
        by_area=[
            GapArea(area=a, counts=dict(counts[a]), hours=dict(hours[a]))
            for a in sorted(counts, key=areas.order)
        ],
        rows=listed[:MAX_LISTED],
        more=max(0, len(listed) - MAX_LISTED),
        areas=[(g.reason, g.area) for g in within],
    )


def _credits(
    store: Store, loaded: LoadedAgreement, incidents: Sequence[Incident], extra: Sequence[str]
) -> list[str]:
    found: list[str] = []
    nasa = {
        s.id
        for s in (*BUILTIN_SOURCES, *store.sources())
        if s.type is SourceType.SATELLITE_THERMAL and "nasa" in s.operator.lower()
    }
    if any(sid in nasa or sid.startswith("firms-") for i in incidents for sid in i.source_ids):
        found.append("NASA FIRMS (active fire detections)")
    line = loaded.agreement.line
    files = [line.file, *line.held_areas.values()]
    if any("deepstate" in f.lower() for f in files):
        found.append("DeepStateMap (line of contact and held areas)")
    for text in extra:
        if text.strip() and text.strip() not in found:
            found.append(text.strip())
    return found


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _with_summary(facts: DailyFacts) -> DailyFacts:
    t = facts.totals
    lines: list[str] = []
    compared = []
    if t.previous is not None:
        compared.append(f"{t.previous} in the previous period")
    if t.mean is not None:
        days = facts.history_days_with_data
        span = "seven days" if days == HISTORY_DAYS else _count(days, "day", "days") + " with data"
        compared.append(f"a mean of {t.mean:.1f} a day over the previous {span}")
    against = f", against {' and '.join(compared)}" if compared else ""
    lines.append(
        f"{_count(t.today.violations, 'ceasefire violation was', 'ceasefire violations were')} "
        f"recorded ({_count(t.today.clear, 'clear breach', 'clear breaches')}, "
        f"{_count(t.today.suspected, 'suspected breach', 'suspected breaches')}){against}."
    )
    if t.today.clear:
        parts = [
            f"{code} {n}" if code else f"not attributed {n}" for code, n in facts.attributed.items()
        ]
        lines.append(f"Clear breaches by party: {', '.join(parts)}.")
    busiest = max(facts.areas, key=lambda r: r.today.violations, default=None)
    if busiest is not None and busiest.today.violations:
        lines.append(
            f"Most violations were recorded in {facts.area_kind} {busiest.label} "
            f"({busiest.today.violations})."
        )
    heavy = next((r for r in facts.categories if r.label == Category.HEAVY_WEAPONS), None)
    if heavy is not None and heavy.today.violations:
        lines.append(
            f"{_count(heavy.today.violations, 'heavy weapon was', 'heavy weapons were')} "
            "seen in withdrawal zones."
        )
    if t.today.deconflicted:
        lines.append(
            f"{_count(t.today.deconflicted, 'incident was', 'incidents were')} covered by "
            "pre-notified permitted activity (deconflicted) and are not violations."
        )
    if t.today.no_violation:
        lines.append(
            f"{_count(t.today.no_violation, 'further incident', 'further incidents')} broke no "
            "rule of the agreement (for example fires usual for the place and season)."
        )
    if facts.coverage is None:
        lines.append(NO_COVERAGE_TEXT)
    elif facts.coverage.count:
        reasons = ", ".join(f"{REASON_WORDS[x.reason]} {x.count}" for x in facts.coverage.totals)
        lines.append(
            f"Coverage was incomplete: {_count(facts.coverage.count, 'gap', 'gaps')} in the "
            f"period ({reasons}). Violations in those areas and hours may have gone unobserved; "
            "not observed does not mean no violation."
        )
    else:
        lines.append("Coverage information was supplied and lists no gap in the period.")
    if facts.edition is Edition.PUBLIC and facts.redactions.determinations_withheld:
        lines.append(
            f"This public edition leaves out "
            f"{_count(facts.redactions.determinations_withheld, 'determination', 'determinations')}"
            " not released for publication (see Redactions)."
        )
    return replace(facts, summary=lines)


REASON_WORDS: Final = {
    GapReason.CLOUD: "cloud",
    GapReason.UAV_OUTAGE: "UAV sortie cancelled",
    GapReason.JAMMING: "UAV jammed",
    GapReason.ACCESS_DENIED: "access denied",
}

STATUS_TITLES: Final = {
    Status.CLEAR_BREACH: "clear breach",
    Status.SUSPECTED_BREACH: "suspected breach",
    Status.DECONFLICTED: "deconflicted",
    Status.NO_VIOLATION: "no violation",
}

__all__ = [
    "CATEGORY_ORDER",
    "MAX_LISTED",
    "NO_COVERAGE_TEXT",
    "STATUS_ORDER",
    "Category",
    "Comparison",
    "Counts",
    "Coverage",
    "DailyFacts",
    "Deconflicted",
    "GapRow",
    "Listed",
    "MapPoint",
    "TrendDay",
    "gather",
]
