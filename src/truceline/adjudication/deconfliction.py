"""Deconfliction: which pre-notifications of permitted activity cover which incidents.

A notice lifts a rule an incident meets when all of these hold:
- its party is a party to the agreement and the party the rule is attributed to (or, for an
  unattributed rule, the party holding the incident's place);
- its activity is a permitted activity of the agreement that exempts the rule, and every
  kind of the incident that meets the rule is among the activity's kinds;
- its window [starts_at, ends_at] overlaps the incident's time window;
- the incident lies in its area, allowing the incident's location uncertainty;
- it was timely (starts_at - notified_at >= notice_hours) and not longer than
  max_duration_hours.
A notice that lifts a rule covers the incident. A notice that could lift a rule the
incident meets, meets two of the place, time and party conditions and lies within
`MENTION_RADIUS_M` of the incident, but lifts nothing, is mentioned with every reason why; a
covering notice that leaves an exempted rule in place because of a kind its activity does
not cover says so. Notices unrelated to the incident are not mentioned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from truceline.adjudication.attribution import Attribution
from truceline.adjudication.location_facts import LocationFacts
from truceline.adjudication.naming import held_words, kind_noun
from truceline.adjudication.rules import RuleOutcome
from truceline.adjudication.wording import (
    activity_words,
    counted,
    distances_compared,
    hours_compared,
    join_words,
)
from truceline.agreement.model import Agreement, PermittedActivity
from truceline.agreement.prenotification import PreNotification
from truceline.errors import InputError
from truceline.fusion.incident import Incident
from truceline.geometry.projection import LocalProjection
from truceline.observations.model import Kind

MAX_MENTIONED = 3
"""At most this many notices that do not cover an incident are named in its explanation."""
EDGE_TOLERANCE_M = 1.0
"""Slack when testing whether an incident lies in a notice's area."""
MENTION_RADIUS_M = 50_000.0
"""A notice whose area is farther than this from an incident is never mentioned for it."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_KINDS = list(Kind)

BoolArray = NDArray[np.bool_]


def _micros(value: datetime) -> int:
    return (value - _EPOCH) // timedelta(microseconds=1)


def _when(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class Deconfliction:
    """What the pre-notifications mean for one incident."""

    lifted: tuple[str, ...] = ()
    """Codes of the rules lifted by covering notices, sorted."""
    notice_ids: tuple[str, ...] = ()
    """Ids of the covering notices, sorted."""
    remarks: tuple[str, ...] = ()
    """Each covering notice and each related notice that does not cover, in words."""


@dataclass(frozen=True)
class _Notice:
    notice: PreNotification
    activity: PermittedActivity | None
    area: BaseGeometry
    party_index: int
    lead_hours: float
    duration_hours: float

    @property
    def timely(self) -> bool:
        return self.activity is not None and self.lead_hours >= self.activity.notice_hours

    @property
    def short_enough(self) -> bool:
        return self.activity is not None and self.duration_hours <= self.activity.max_duration_hours

    @property
    def words(self) -> str:
        activity = activity_words(self.notice.activity)
        return f"notice {self.notice.id} of {activity} by {self.notice.party}"


@dataclass(frozen=True)
class _Cover:
    """A notice that covers an incident, the rules it lifts, and the exempted rules it leaves
    in place because of a kind its activity does not cover, in words."""

    notice: _Notice
    lifted: tuple[str, ...]
    gaps: tuple[tuple[str, str], ...]
    """(rule code, 'covers the explosion but not the launch')."""


@dataclass(frozen=True)
class _RuleChecks:
    """Per incident (rows) and prohibited act (columns), for one notice."""

    liftable: BoolArray
    """The incident meets the act and the notice's activity exempts it."""
    by_party: BoolArray
    """Liftable, and the notice's party is the act's party (or holds the place)."""
    kinds_fit: BoolArray
    """Every kind of the incident that meets the act is among the activity's kinds."""


@dataclass(frozen=True)
class _IncidentTable:
    """The incidents as arrays, one row each, for testing notices against all at once."""

    act_codes: list[str]
    act_kinds: BoolArray
    """(len(act_codes), len(Kind)): the kinds of each prohibited act."""
    kinds: BoolArray
    """(n, len(Kind)): which kinds each incident has."""
    met: BoolArray
    """(n, len(act_codes)): which prohibited acts each incident meets."""
    rule_party: NDArray[np.int64]
    """(n, len(act_codes)): index of the party each act met is attributed to, else -1."""
    side: NDArray[np.int64]
    start: NDArray[np.int64]
    end: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    uncertainty: NDArray[np.float64]

    @classmethod
    def build(
        cls,
        agreement: Agreement,
        incidents: Sequence[Incident],
        outcomes: Sequence[RuleOutcome],
        facts: Sequence[LocationFacts],
    ) -> _IncidentTable:
        parties = [p.code for p in agreement.parties]
        act_codes = [a.code for a in agreement.prohibited_acts]
        act_kinds = np.zeros((len(act_codes), len(_KINDS)), dtype=bool)
        for column, act in enumerate(agreement.prohibited_acts):
            act_kinds[column, [_KINDS.index(k) for k in act.kinds]] = True
        kinds = np.zeros((len(incidents), len(_KINDS)), dtype=bool)
        met_matrix = np.zeros((len(incidents), len(act_codes)), dtype=bool)
        rule_party = np.full((len(incidents), len(act_codes)), -1, dtype=np.int64)
        for row, incident in enumerate(incidents):
            kinds[row, [_KINDS.index(k) for k in incident.kinds]] = True
            for match in outcomes[row].matches:
                column = act_codes.index(match.act.code)
                met_matrix[row, column] = True
                if match.party in parties:
                    rule_party[row, column] = parties.index(match.party)
        return cls(
            act_codes=act_codes,
            act_kinds=act_kinds,
            kinds=kinds,
            met=met_matrix,
            rule_party=rule_party,
            side=np.array([f.side_index for f in facts], dtype=np.int64),
            start=np.array([_micros(inc.start) for inc in incidents], dtype=np.int64),
            end=np.array([_micros(inc.end) for inc in incidents], dtype=np.int64),
            lon=np.array([inc.lon for inc in incidents], dtype=np.float64),
            lat=np.array([inc.lat for inc in incidents], dtype=np.float64),
            uncertainty=np.array(
                [inc.location_uncertainty_m for inc in incidents], dtype=np.float64
            ),
        )


def _area(notice: PreNotification) -> BaseGeometry:
    try:
        geometry = shape(notice.area)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise InputError(
            f"pre-notification {notice.id!r}, field 'area': not a readable GeoJSON polygon "
            f"({exc}); send a Polygon or MultiPolygon with [lon, lat] rings",
            field="area",
        ) from None
    if geometry.is_empty or geometry.geom_type not in {"Polygon", "MultiPolygon"}:
        raise InputError(
            f"pre-notification {notice.id!r}, field 'area': expected a non-empty Polygon or "
            f"MultiPolygon, got {geometry.geom_type}",
            field="area",
        )
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
    shapely.prepare(geometry)
    return geometry


@lru_cache(maxsize=256)
def _projection(lon0: float, lat0: float) -> LocalProjection:
    return LocalProjection(lon0, lat0)


def _near_bounds(
    area: BaseGeometry,
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    reach_m: NDArray[np.float64],
) -> BoolArray:
    """A cheap first pass: points within `reach_m` of the area's bounding box, generously
    (degrees of latitude are at least 110.5 km; of longitude, scaled at the highest latitude)."""
    min_lon, min_lat, max_lon, max_lat = area.bounds
    reach_lat = reach_m / 110_500.0
    highest = np.minimum(np.maximum(abs(min_lat), abs(max_lat)) + reach_lat, 89.0)
    reach_lon = reach_m / (111_400.0 * np.cos(np.radians(highest)))
    near = (lat >= min_lat - reach_lat) & (lat <= max_lat + reach_lat)
    near &= (lon >= min_lon - reach_lon) & (lon <= max_lon + reach_lon)
    return np.asarray(near, dtype=np.bool_)


def _distance_outside_m(
    area: BaseGeometry, lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Metres from each point to the area, 0 inside.

    Measured in an azimuthal equidistant projection centred within a degree of the area's
    centre (projections are shared between nearby areas): the scale error is below 0.1 %
    for areas and distances up to a few hundred kilometres.
    """
    inside = shapely.intersects_xy(area, lon, lat)
    distance = np.zeros(lon.shape, dtype=np.float64)
    outside = ~inside
    if not outside.any():
        return distance
    centre = area.centroid
    projection = _projection(round(centre.x / 2) * 2.0, round(centre.y / 2) * 2.0)

    def project(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = projection.forward(coords[:, 0].copy(), coords[:, 1].copy())
        return np.column_stack([x, y])

    projected = shapely.transform(area, project)
    x, y = projection.forward(lon[outside], lat[outside])
    distance[outside] = shapely.distance(shapely.points(x, y), projected)
    return distance


class Deconflicter:
    """Judges the pre-notifications of one agreement version against incidents."""

    def __init__(self, agreement: Agreement, prenotifications: Sequence[PreNotification]) -> None:
        self._agreement = agreement
        parties = [p.code for p in agreement.parties]
        by_id: dict[str, PreNotification] = {}
        for notice in prenotifications:
            if notice.id in by_id and by_id[notice.id] != notice:
                raise InputError(
                    f"pre-notification id {notice.id!r} is used by two different notices; "
                    "give each notice its own id",
                    field="id",
                )
            by_id[notice.id] = notice
        activities = {a.code: a for a in agreement.permitted_activities}
        self._notices = [
            _Notice(
                notice=notice,
                activity=activities.get(notice.activity),
                area=_area(notice),
                party_index=parties.index(notice.party) if notice.party in parties else -1,
                lead_hours=(notice.starts_at - notice.notified_at) / timedelta(hours=1),
                duration_hours=(notice.ends_at - notice.starts_at) / timedelta(hours=1),
            )
            for notice in sorted(by_id.values(), key=lambda n: n.id)
        ]

    def assess(
        self,
        incidents: Sequence[Incident],
        outcomes: Sequence[RuleOutcome],
        attributions: Sequence[Attribution],
        facts: Sequence[LocationFacts],
    ) -> list[Deconfliction]:
        """For each incident, the rules lifted, the covering notices and the remarks."""
        n = len(incidents)
        results = [Deconfliction() for _ in range(n)]
        if not n or not self._notices:
            return results
        table = _IncidentTable.build(self._agreement, incidents, outcomes, facts)
        covering: list[list[_Cover]] = [[] for _ in range(n)]
        failing: list[list[str]] = [[] for _ in range(n)]
        for notice in self._notices:
            rows, rules, checks, outside_m = self._check(notice, table)
            party_ok, time_ok, area_ok = checks
            lift = rules.by_party & rules.kinds_fit
            conditions = party_ok & time_ok & area_ok & notice.timely & notice.short_enough
            covers = conditions & lift.any(axis=1)
            passed = party_ok.astype(np.int8) + time_ok + area_ok
            needed = 3 if notice.activity is None else 2
            related = (passed >= needed) & (area_ok | (outside_m <= MENTION_RADIUS_M))
            for k in np.flatnonzero(covers | related).tolist():
                row = int(rows[k])
                gaps = [
                    self._gap(incidents[row], table.act_codes[j], notice)
                    for j in np.flatnonzero(rules.by_party[k] & ~rules.kinds_fit[k]).tolist()
                ]
                if covers[k]:
                    lifted = tuple(table.act_codes[j] for j in np.flatnonzero(lift[k]).tolist())
                    covering[row].append(_Cover(notice, lifted, tuple(gaps)))
                    continue
                liftable = [table.act_codes[j] for j in np.flatnonzero(rules.liftable[k])]
                reasons = self._reasons(
                    notice,
                    incidents[row],
                    (attributions[row], outcomes[row], liftable),
                    facts[row],
                    (bool(party_ok[k]), bool(time_ok[k]), bool(area_ok[k])),
                    float(outside_m[k]),
                )
                if party_ok[k] and not lift[k].any():
                    reasons.extend(f"it {what}" for _, what in gaps)
                failing[row].append(
                    f"{notice.words} does not cover it: {join_words(reasons, serial=True)}"
                )
        for row in range(n):
            if covering[row] or failing[row]:
                results[row] = self._outcome(covering[row], failing[row])
        return results

    def _check(
        self, notice: _Notice, table: _IncidentTable
    ) -> tuple[
        NDArray[np.intp], _RuleChecks, tuple[BoolArray, BoolArray, BoolArray], NDArray[np.float64]
    ]:
        """The incidents a notice could matter to; per rule, whether it could be lifted, its
        party fits and the incident's kinds fit; whether party, time and place fit."""
        activity = notice.activity
        exempt = np.ones(len(table.act_codes), dtype=bool)
        fits = np.ones(len(_KINDS), dtype=bool)
        if activity is not None:
            exempt = np.isin(np.array(table.act_codes), np.array(activity.exempts))
            fits = np.isin(np.array(_KINDS), np.array(list(activity.kinds)))
        liftable_all = table.met & exempt[None, :]
        candidate = liftable_all.any(axis=1)
        if activity is not None:
            candidate &= table.kinds[:, fits].any(axis=1)
        rows = np.flatnonzero(candidate)
        liftable = liftable_all[rows]
        rule_party, side = table.rule_party[rows], table.side[rows]
        known = notice.party_index >= 0
        party_fits = known & (
            (rule_party == notice.party_index)
            | ((rule_party == -1) & (side == notice.party_index)[:, None])
        )
        by_party = liftable & party_fits
        meeting = table.kinds[rows][:, None, :] & table.act_kinds[None, :, :]
        kinds_fit: BoolArray = np.logical_not((meeting & ~fits[None, None, :]).any(axis=2))
        party_ok = by_party.any(axis=1)
        time_ok = (table.start[rows] <= _micros(notice.notice.ends_at)) & (
            table.end[rows] >= _micros(notice.notice.starts_at)
        )
        needs_place = (party_ok & time_ok) if activity is None else (party_ok | time_ok)
        uncertainty = table.uncertainty[rows] + EDGE_TOLERANCE_M
        reach = np.maximum(uncertainty, MENTION_RADIUS_M)
        near = needs_place & _near_bounds(notice.area, table.lon[rows], table.lat[rows], reach)
        outside_m = np.full(rows.size, np.inf)
        outside_m[near] = _distance_outside_m(
            notice.area, table.lon[rows][near], table.lat[rows][near]
        )
        area_ok = outside_m <= uncertainty
        rules = _RuleChecks(liftable, by_party, kinds_fit)
        return rows, rules, (party_ok, time_ok, area_ok), outside_m

    def _gap(self, incident: Incident, code: str, notice: _Notice) -> tuple[str, str]:
        """The rule, and 'covers the explosion but not the launch'."""
        activity_kinds = set(notice.activity.kinds) if notice.activity else set(_KINDS)
        act_kinds = set(self._agreement.prohibited_act(code).kinds)
        meeting = [k for k in _KINDS if k in incident.kinds and k in act_kinds]
        covered = [kind_noun(k) for k in meeting if k in activity_kinds]
        missing = join_words([kind_noun(k) for k in meeting if k not in activity_kinds], "or")
        what = (
            f"covers {join_words(covered)} but not {missing}"
            if covered
            else (f"does not cover {missing}")
        )
        return code, what

    def _outcome(self, covering: list[_Cover], failing: list[str]) -> Deconfliction:
        lifted: set[str] = set()
        remarks: list[str] = []
        for cover in covering:
            notice, activity = cover.notice, cover.notice.activity
            if activity is None:
                continue
            lifted.update(cover.lifted)
            rules = join_words(
                [f"{c} ({self._agreement.prohibited_act(c).title})" for c in cover.lifted]
            )
            received, required = hours_compared(notice.lead_hours, activity.notice_hours)
            remarks.append(
                f"{notice.words}, received {received} before start ({required} required), "
                f"lifts rule{'s' if len(cover.lifted) > 1 else ''} {rules}"
            )
            remarks.extend(
                f"notice {notice.notice.id} {what}, so it does not lift rule {code}"
                for code, what in cover.gaps
            )
        remarks.extend(failing[:MAX_MENTIONED])
        if len(failing) > MAX_MENTIONED:
            others = len(failing) - MAX_MENTIONED
            verb = "does" if others == 1 else "do"
            noun = counted(others, "other related notice")
            remarks.append(f"{noun} {verb} not cover it either")
        return Deconfliction(
            lifted=tuple(sorted(lifted)),
            notice_ids=tuple(c.notice.notice.id for c in covering),
            remarks=tuple(remarks),
        )

    def _party_reason(
        self,
        notice: _Notice,
        attribution: Attribution,
        outcome: RuleOutcome,
        liftable: list[str],
        facts: LocationFacts,
    ) -> str:
        if notice.party_index < 0:
            return f"{notice.notice.party} is not a party to the agreement"
        if attribution.party is not None:
            return f"the incident is attributed to {attribution.party}"
        held = held_words(self._agreement, facts.side)
        matches = [m for m in outcome.matches if m.act.code in liftable]
        if all(m.party is None for m in matches):
            return f"the unattributed incident lies on the {held} side"
        return join_words(
            [
                f"rule {m.act.code} is attributed to {m.party}"
                if m.party is not None
                else f"rule {m.act.code} is not attributed and the incident lies on the {held} side"
                for m in matches
            ],
            serial=True,
        )

    def _reasons(
        self,
        notice: _Notice,
        incident: Incident,
        judged: tuple[Attribution, RuleOutcome, list[str]],
        facts: LocationFacts,
        checks: tuple[bool, bool, bool],
        outside_m: float,
    ) -> list[str]:
        party_ok, time_ok, area_ok = checks
        reasons: list[str] = []
        activity = notice.activity
        if activity is None:
            reasons.append(
                f"it names the activity {notice.notice.activity!r}, which the agreement does "
                "not permit"
            )
        if not party_ok:
            reasons.append(self._party_reason(notice, *judged, facts))
        if not time_ok:
            if incident.start > notice.notice.ends_at:
                reasons.append(f"it ended at {_when(notice.notice.ends_at)}, before the incident")
            else:
                reasons.append(f"it starts at {_when(notice.notice.starts_at)}, after the incident")
        if not area_ok:
            allowed = incident.location_uncertainty_m
            shown, allowed_words = distances_compared(outside_m, allowed)
            words = f"the incident lies {shown} outside its area"
            if allowed > 0:
                words += f", beyond its location uncertainty of {allowed_words}"
            reasons.append(words)
        if activity is not None and not notice.timely:
            lead = notice.lead_hours
            received, required = hours_compared(abs(lead), activity.notice_hours)
            when = "before" if lead >= 0 else "after"
            reasons.append(f"it was received {received} {when} start ({required} are required)")
        if activity is not None and not notice.short_enough:
            runs, allowed_hours = hours_compared(notice.duration_hours, activity.max_duration_hours)
            reasons.append(f"it runs for {runs} (at most {allowed_hours} are allowed)")
        return reasons
