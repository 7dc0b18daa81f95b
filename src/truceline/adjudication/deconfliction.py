"""Deconfliction: which pre-notifications of permitted activity cover which incidents.

A notice covers an incident when all of these hold:
- its party is the attributed party (or, for an unattributed incident, holds its place);
- its activity is a permitted activity of the agreement, one of whose kinds the incident has,
  and that activity exempts a rule the incident meets;
- its window [starts_at, ends_at] overlaps the incident's time window;
- the incident lies in its area, allowing the incident's location uncertainty;
- it was timely (starts_at - notified_at >= notice_hours) and not longer than
  max_duration_hours.
The rules the activity exempts are then lifted. A notice that could lift a rule the incident
meets, meets two of the place, time and party conditions and lies within `MENTION_RADIUS_M`
of the incident, but does not cover it, is mentioned with every reason why; notices
unrelated to the incident are not mentioned.
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
from truceline.adjudication.naming import held_words
from truceline.adjudication.wording import activity_words, hours, join_words, km
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
class _IncidentTable:
    """The incidents as arrays, one row each, for testing notices against all at once."""

    act_codes: list[str]
    kinds: BoolArray
    """(n, len(Kind)): which kinds each incident has."""
    met: BoolArray
    """(n, len(act_codes)): which prohibited acts each incident meets."""
    attributed: NDArray[np.int64]
    """Index of the attributed party, -1 when unattributed."""
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
        met: Sequence[tuple[str, ...]],
        attributions: Sequence[Attribution],
        facts: Sequence[LocationFacts],
    ) -> _IncidentTable:
        parties = [p.code for p in agreement.parties]
        act_codes = [a.code for a in agreement.prohibited_acts]
        kinds = np.zeros((len(incidents), len(_KINDS)), dtype=bool)
        met_matrix = np.zeros((len(incidents), len(act_codes)), dtype=bool)
        for row, incident in enumerate(incidents):
            kinds[row, [_KINDS.index(k) for k in incident.kinds]] = True
            met_matrix[row, [act_codes.index(c) for c in met[row]]] = True
        return cls(
            act_codes=act_codes,
            kinds=kinds,
            met=met_matrix,
            attributed=np.array(
                [parties.index(a.party) if a.party in parties else -1 for a in attributions],
                dtype=np.int64,
            ),
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
        met: Sequence[tuple[str, ...]],
        attributions: Sequence[Attribution],
        facts: Sequence[LocationFacts],
    ) -> list[Deconfliction]:
        """For each incident, the rules lifted, the covering notices and the remarks."""
        n = len(incidents)
        results = [Deconfliction() for _ in range(n)]
        if not n or not self._notices:
            return results
        table = _IncidentTable.build(self._agreement, incidents, met, attributions, facts)
        covering: list[list[_Notice]] = [[] for _ in range(n)]
        failing: list[list[str]] = [[] for _ in range(n)]
        for notice in self._notices:
            rows, checks, outside_m = self._check(notice, table)
            party_ok, time_ok, area_ok = checks
            covers = party_ok & time_ok & area_ok & notice.timely & notice.short_enough
            passed = party_ok.astype(np.int8) + time_ok + area_ok
            needed = 3 if notice.activity is None else 2
            related = (passed >= needed) & (area_ok | (outside_m <= MENTION_RADIUS_M))
            for k in np.flatnonzero(covers | related).tolist():
                row = int(rows[k])
                if covers[k]:
                    covering[row].append(notice)
                elif related[k]:
                    flags = (bool(party_ok[k]), bool(time_ok[k]), bool(area_ok[k]))
                    reasons = self._reasons(
                        notice,
                        incidents[row],
                        attributions[row],
                        facts[row],
                        flags,
                        float(outside_m[k]),
                    )
                    failing[row].append(f"{notice.words} does not cover it: {reasons}")
        for row in range(n):
            if covering[row] or failing[row]:
                results[row] = self._outcome(met[row], covering[row], failing[row])
        return results

    def _check(
        self, notice: _Notice, table: _IncidentTable
    ) -> tuple[NDArray[np.intp], tuple[BoolArray, BoolArray, BoolArray], NDArray[np.float64]]:
        """The incidents a notice could matter to, and whether party, time and place fit."""
        activity = notice.activity
        if activity is None:
            candidate = table.met.any(axis=1)
        else:
            kinds = [_KINDS.index(k) for k in activity.kinds]
            exempt = [table.act_codes.index(c) for c in activity.exempts if c in table.act_codes]
            candidate = table.kinds[:, kinds].any(axis=1) & table.met[:, exempt].any(axis=1)
        rows = np.flatnonzero(candidate)
        attributed, side = table.attributed[rows], table.side[rows]
        party_ok = (attributed == notice.party_index) | (
            (attributed == -1) & (side == notice.party_index)
        )
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
        return rows, (party_ok, time_ok, area_ok), outside_m

    def _outcome(
        self, met: tuple[str, ...], covering: list[_Notice], failing: list[str]
    ) -> Deconfliction:
        lifted: set[str] = set()
        remarks: list[str] = []
        for notice in covering:
            if notice.activity is None:
                continue
            codes = sorted(set(notice.activity.exempts) & set(met))
            lifted.update(codes)
            rules = join_words([f"{c} ({self._agreement.prohibited_act(c).title})" for c in codes])
            required = hours(notice.activity.notice_hours)
            remarks.append(
                f"{notice.words}, received {hours(notice.lead_hours)} before start "
                f"({required} required), lifts rule{'s' if len(codes) > 1 else ''} {rules}"
            )
        remarks.extend(failing[:MAX_MENTIONED])
        if len(failing) > MAX_MENTIONED:
            others = len(failing) - MAX_MENTIONED
            remarks.append(f"{others} other related notices do not cover it either")
        return Deconfliction(
            lifted=tuple(sorted(lifted)),
            notice_ids=tuple(n.notice.id for n in covering),
            remarks=tuple(remarks),
        )

    def _reasons(
        self,
        notice: _Notice,
        incident: Incident,
        attribution: Attribution,
        facts: LocationFacts,
        checks: tuple[bool, bool, bool],
        outside_m: float,
    ) -> str:
        party_ok, time_ok, area_ok = checks
        agreement = self._agreement
        reasons: list[str] = []
        activity = notice.activity
        if activity is None:
            reasons.append(
                f"it names the activity {notice.notice.activity!r}, which the agreement does "
                "not permit"
            )
        if not party_ok:
            if attribution.party is not None:
                reasons.append(f"the incident is attributed to {attribution.party}")
            else:
                held = held_words(agreement, facts.side)
                reasons.append(f"the unattributed incident lies on the {held} side")
        if not time_ok:
            if incident.start > notice.notice.ends_at:
                reasons.append(f"it ended at {_when(notice.notice.ends_at)}, before the incident")
            else:
                reasons.append(f"it starts at {_when(notice.notice.starts_at)}, after the incident")
        if not area_ok:
            reasons.append(f"the incident lies {km(outside_m)} outside its area")
        if activity is not None and not notice.timely:
            required = hours(activity.notice_hours)
            if notice.lead_hours >= 0:
                received = f"{hours(notice.lead_hours)} before start"
            else:
                received = f"{hours(-notice.lead_hours)} after start"
            reasons.append(f"it was received {received} ({required} are required)")
        if activity is not None and not notice.short_enough:
            reasons.append(
                f"it runs for {hours(notice.duration_hours)} (at most "
                f"{hours(activity.max_duration_hours)} are allowed)"
            )
        return join_words(reasons, serial=True)
