"""Adjudication in columns: every incident of a fusion result judged at once.

`Adjudicator.adjudicate` builds, for every incident, an `Incident`, its location facts, its
attribution, its rules, its deconfliction and a written explanation: about 6,000 incidents
a second. Most incidents of a large feed break no rule (a background fire, a patrol's
sighting behind the lines), and their determination is decided by a few columns. This
module judges the whole `FusionResult` in columns and hands only the incidents that need
it to the `Adjudicator`:

1. Side, distances and zones of every incident location, each question asked once for all
   of them (`Theatre.measure`, `Theatre.zone_membership`).
2. Which incidents meet each prohibited act: one of the act's kinds, its domain, one of
   its zones, within its distance of the line, not ended before the agreement took effect.
3. The `Adjudicator` judges in full the incidents that need it: those that may meet an act
   through their weapon's band (`withdrawal`, when a class or calibre is stated) or
   through the party attributed (an exclusion zone binding some parties only); those that
   meet an act and that a pre-notification may matter to; those whose fire is attributed
   by a reported origin or direction of fire.
4. Every other incident is decided in columns: the acts it meets are broken, severity and
   clear-breach threshold as `assess_severity` and `assess_threshold` have them, and the
   attribution follows from its kinds, its independent sources and its side (a launch or
   presence to the party holding the place; aircraft and vessels to no one). Its
   determination object, with the explanation, is written on demand
   (`BatchJudgement.determinations`), by the same `Adjudicator`.

The columns of every incident equal the fields of the `Adjudicator`'s determination (tested
on simulated scenarios).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from shapely.geometry import shape

from truceline.adjudication.adjudicator import Adjudicator, determination_id
from truceline.adjudication.attribution import FIRE_KINDS, PRESENCE_KINDS
from truceline.adjudication.corroboration import corroborate_columns
from truceline.adjudication.deconfliction import MENTION_RADIUS_M
from truceline.adjudication.determination import Determination, Status
from truceline.adjudication.severity import ESCALATING_KINDS, SEVERITY_ORDER
from truceline.adjudication.threshold import TOLERANCE
from truceline.agreement.model import ANYWHERE, WITHDRAWAL, Agreement, ProhibitedAct, Severity
from truceline.agreement.prenotification import PreNotification
from truceline.fusion.aggregate import FusionResult
from truceline.fusion.build import build_incidents, incident_id
from truceline.observations.model import Kind
from truceline.observations.table import DOMAINS, KINDS, ObservationTable

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
CodeArray = npt.NDArray[np.int8]

STATUSES: tuple[Status, ...] = tuple(Status)
"""Status codes of `BatchJudgement.status`: `STATUSES[code]`."""
SEVERITIES: tuple[Severity, ...] = tuple(Severity)
"""Severity codes of `BatchJudgement.severity`: `SEVERITIES[code]`, -1 for none."""

_NO_VIOLATION = STATUSES.index(Status.NO_VIOLATION)
_SUSPECTED = STATUSES.index(Status.SUSPECTED_BREACH)
_CLEAR = STATUSES.index(Status.CLEAR_BREACH)
_FIRE = np.array([kind in FIRE_KINDS for kind in KINDS])
_PRESENCE = np.array([kind in PRESENCE_KINDS for kind in KINDS])
_UNATTRIBUTED = np.array([kind in (Kind.AIRCRAFT, Kind.VESSEL) for kind in KINDS])
_LAUNCH = KINDS.index(Kind.LAUNCH)


@dataclass(frozen=True, eq=False)
class BatchJudgement:
    """Determinations of every incident of a fusion result, as columns.

    Row k is incident k of the result. `detailed` lists the incidents judged in full, with
    their `Determination` objects in `detailed_determinations` (same order); the others
    break no rule, and their objects are written on demand by `determinations`.
    """

    side: CodeArray
    """Index into the agreement's parties of the party holding the incident's place."""
    distance_to_line_m: FloatArray
    signed_distance_m: FloatArray
    zones: BoolArray
    """Shape (k, zones): `zones[k, j]` when incident k lies in `zone_ids[j]`."""
    zone_ids: tuple[str, ...]
    status: CodeArray
    """Code of `STATUSES`."""
    rules: BoolArray
    """Shape (k, acts): the rules broken (after deconfliction), columns as `rule_codes`."""
    rule_codes: tuple[str, ...]
    """Codes of the agreement's prohibited acts, in the agreement's order."""
    attributed_to: CodeArray
    """Index into the agreement's parties, -1 when not attributed."""
    severity: CodeArray
    """Code of `SEVERITIES`, -1 when no rule is broken."""
    clear_breach: BoolArray
    detailed: IndexArray
    """Incidents judged in full, in incident order."""
    detailed_determinations: tuple[Determination, ...]
    adjudicator: Adjudicator
    table: ObservationTable
    result: FusionResult
    prenotifications: tuple[PreNotification, ...]

    def __len__(self) -> int:
        return len(self.status)

    def incident_ids(self, which: Sequence[int] | IndexArray | None = None) -> list[str]:
        """Ids of the given incidents (default: all), in the order given."""
        rows = np.arange(len(self)) if which is None else np.asarray(which, dtype=np.int64)
        return incident_ids_of(self.table, self.result, rows)

    def determination_ids(self, which: Sequence[int] | IndexArray | None = None) -> list[str]:
        """Ids of the determinations of the given incidents (default: all)."""
        agreement = self.adjudicator.loaded.agreement
        return [
            determination_id(i, agreement.id, agreement.version) for i in self.incident_ids(which)
        ]

    def determinations(
        self, which: Sequence[int] | IndexArray | None = None
    ) -> list[Determination]:
        """The Determination objects of the given incidents (default: all), with their
        explanations, sorted by incident id: those judged in full are reused, the others
        are judged now by the Adjudicator."""
        wanted = np.arange(len(self)) if which is None else np.unique(np.asarray(which))
        known = np.isin(wanted, self.detailed)
        reused = [
            self.detailed_determinations[int(k)]
            for k in np.searchsorted(self.detailed, wanted[known]).tolist()
        ]
        missing = wanted[~known]
        made = (
            self.adjudicator.adjudicate(
                build_incidents(self.table, self.result, missing), self.prenotifications
            )
            if len(missing)
            else []
        )
        return sorted([*reused, *made], key=lambda d: d.incident_id)


def _bound_some(act: ProhibitedAct, agreement: Agreement) -> bool:
    """Whether an act applies in an exclusion zone that binds only some parties (so
    whether it applies depends on the party attributed)."""
    bound = {z.id for z in agreement.zones.exclusions if z.applies_to}
    return bool(set(act.zones) & bound)


def act_matrix(
    agreement: Agreement,
    kinds: BoolArray,
    domain: IndexArray,
    zones: BoolArray,
    distance_m: FloatArray,
    armed: BoolArray,
) -> BoolArray:
    """Shape (k, acts): incident k may meet act j (kinds, domain, zone, distance to the
    line). `armed` marks incidents that state a weapon class or a calibre: for them
    `withdrawal` counts as anywhere (a superset: their band is checked in full); for the
    others it counts as no zone, as the Adjudicator applies it (no class, no band). Exact
    but for `withdrawal` with `armed` and for exclusion zones binding only some parties
    (counted as binding every party)."""
    zone_column = {zone: j for j, zone in enumerate(agreement.zone_ids)}
    met = np.zeros((len(domain), len(agreement.prohibited_acts)), dtype=np.bool_)
    for column, act in enumerate(agreement.prohibited_acts):
        hit = kinds[:, [KINDS.index(kind) for kind in act.kinds]].any(axis=1)
        if act.domains is not None:
            hit &= np.isin(domain, [DOMAINS.index(d) for d in act.domains])
        if act.within_km is not None:
            hit &= distance_m <= act.within_km * 1000.0
        where = np.zeros(len(domain), dtype=np.bool_)
        for zone in act.zones:
            if zone == ANYWHERE:
                where[:] = True
            elif zone == WITHDRAWAL:
                where |= armed
            elif zone in zone_column:
                where |= zones[:, zone_column[zone]]
        met[:, column] = hit & where
    return met


def _notices_near(
    notices: Sequence[PreNotification],
    result: FusionResult,
    rows: IndexArray,
) -> BoolArray:
    """Incidents (of `rows`) that a notice may matter to: its window meets the incident's
    (give or take a second), or the incident lies within the mention radius (or its
    location uncertainty) of the notice area's bounding box. A superset of the incidents
    deconfliction lifts a rule of or mentions a notice for."""
    near = np.zeros(len(rows), dtype=np.bool_)
    if not notices:
        return near
    lon, lat = result.lon[rows], result.lat[rows]
    start, end = result.start[rows], result.end[rows]
    reach = np.maximum(result.location_uncertainty_m[rows] + 1.0, MENTION_RADIUS_M) * 1.01
    reach_lat = reach / 110_000.0
    for notice in notices:
        when = (start <= notice.ends_at.timestamp() + 1.0) & (
            end >= notice.starts_at.timestamp() - 1.0
        )
        min_lon, min_lat, max_lon, max_lat = shape(notice.area).bounds
        highest = np.minimum(np.maximum(abs(min_lat), abs(max_lat)) + reach_lat, 89.0)
        reach_lon = reach / (111_000.0 * np.cos(np.radians(highest)))
        place = (lat >= min_lat - reach_lat) & (lat <= max_lat + reach_lat)
        place &= (lon >= min_lon - reach_lon) & (lon <= max_lon + reach_lon)
        near |= when | place
    return near


def _severity(agreement: Agreement, broken: BoolArray, kinds: BoolArray) -> CodeArray:
    """`assess_severity` in columns: the highest severity of the acts broken, raised one
    step by an escalating kind; -1 where none is broken."""
    rank = np.array([SEVERITY_ORDER.index(a.severity) for a in agreement.prohibited_acts])
    base = np.where(broken, rank[None, :], -1).max(axis=1, initial=-1)
    escalating = kinds[:, [KINDS.index(kind) for kind in ESCALATING_KINDS]].any(axis=1)
    top = len(SEVERITY_ORDER) - 1
    raised = np.where(escalating & (base >= 0) & (base < top), base + 1, base)
    codes = np.array(
        [SEVERITIES.index(SEVERITY_ORDER[r]) for r in range(top + 1)] + [-1], dtype=np.int8
    )
    result: CodeArray = codes[raised]
    return result


def _plain_attribution(kinds: BoolArray, independent: IndexArray, side: CodeArray) -> CodeArray:
    """The party of incidents attributed without an origin or direction of fire: every part
    (fire, presence, aircraft, vessel) to the same party, or -1."""
    fire = kinds[:, _FIRE].any(axis=1)
    presence = kinds[:, _PRESENCE].any(axis=1)
    unattributed = kinds[:, _UNATTRIBUTED].any(axis=1)
    launch = kinds[:, _LAUNCH]
    # Every part present is attributed to the party holding the place: the fire part only
    # through a launch seen there, the presence part always; aircraft and vessels never.
    attributed = (fire | presence) & (~fire | launch) & ~unattributed & (independent > 0)
    return np.where(attributed, side, -1).astype(np.int8)


def judge_table(
    adjudicator: Adjudicator,
    table: ObservationTable,
    result: FusionResult,
    prenotifications: Sequence[PreNotification] = (),
) -> BatchJudgement:
    """Judge every incident of a fusion result against the adjudicator's agreement.

    The adjudicator's theatre gives `measure` and `zone_membership` (a `Theatre` does);
    incidents are located all at once.
    """
    agreement = adjudicator.loaded.agreement
    theatre = adjudicator.theatre
    k = result.n_incidents
    parties = [p.code for p in agreement.parties]
    acts = tuple(act.code for act in agreement.prohibited_acts)
    notices = tuple(prenotifications)
    measured = theatre.measure(result.lon, result.lat)
    membership = theatre.zone_membership(result.lon, result.lat)
    side = np.asarray(measured.side, dtype=np.int8)
    distance = np.asarray(measured.distance_m, dtype=np.float64)
    kinds = result.kind_counts > 0
    in_force = result.end >= agreement.effective_from.timestamp()
    armed = (result.weapon >= 0) | np.isfinite(result.calibre)
    met = act_matrix(agreement, kinds, result.domain, membership.matrix, distance, armed)
    met &= in_force[:, None]
    acts_list = agreement.prohibited_acts
    bound = np.array([_bound_some(act, agreement) for act in acts_list], dtype=bool)
    by_weapon = np.array([WITHDRAWAL in act.zones for act in acts_list], dtype=bool)
    # The full path takes: incidents that may meet an act matched through the weapon or
    # the party; incidents that meet an act and that a notice may matter to; incidents
    # whose fire is attributed by a reported origin or direction of fire.
    meets = met.any(axis=1)
    evidence = np.isfinite(result.origin_lon) | np.isfinite(result.bearing)
    fire = kinds[:, _FIRE].any(axis=1)
    full = met[:, bound].any(axis=1) | (met[:, by_weapon].any(axis=1) & armed)
    full |= evidence & fire & (result.independent_sources > 0)
    meeting = np.flatnonzero(meets & ~full)
    full[meeting] = _notices_near(notices, result, meeting)
    detailed = np.flatnonzero(full)
    columnar = ~full

    attributed = np.full(k, -1, dtype=np.int8)
    attributed[columnar] = _plain_attribution(
        kinds[columnar], result.independent_sources[columnar], side[columnar]
    )
    rules = met & columnar[:, None]
    severity = _severity(agreement, rules, kinds)
    threshold = agreement.clear_breach
    clear = (
        (severity >= 0)
        & (corroborate_columns(table, result) >= threshold.min_confidence - TOLERANCE)
        & (result.independent_sources >= threshold.min_independent_sources)
        & (
            np.array([SEVERITY_ORDER.index(s) for s in SEVERITIES] + [-1])[severity]
            >= SEVERITY_ORDER.index(threshold.min_severity)
        )
    )
    status = np.where(rules.any(axis=1), np.where(clear, _CLEAR, _SUSPECTED), _NO_VIOLATION).astype(
        np.int8
    )
    found: list[Determination] = []
    if len(detailed):
        incidents = build_incidents(table, result, detailed)
        number = dict(zip(incident_ids_of(table, result, detailed), detailed.tolist(), strict=True))
        judged = adjudicator.adjudicate(incidents, notices)
        by_number = sorted(judged, key=lambda d: number[d.incident_id])
        act_column = {code: j for j, code in enumerate(acts)}
        party_index = {code: i for i, code in enumerate(parties)}
        for row, determination in zip(detailed.tolist(), by_number, strict=True):
            status[row] = STATUSES.index(determination.status)
            for code in determination.rules:
                rules[row, act_column[code]] = True
            if determination.attributed_to is not None:
                attributed[row] = party_index[determination.attributed_to]
            if determination.severity is not None:
                severity[row] = SEVERITIES.index(determination.severity)
            clear[row] = determination.clear_breach
        found = by_number
    return BatchJudgement(
        side=side,
        distance_to_line_m=distance,
        signed_distance_m=np.asarray(measured.signed_distance_m, dtype=np.float64),
        zones=membership.matrix,
        zone_ids=tuple(membership.zone_ids),
        status=status,
        rules=rules,
        rule_codes=acts,
        attributed_to=attributed,
        severity=severity,
        clear_breach=clear,
        detailed=detailed.astype(np.int64),
        detailed_determinations=tuple(found),
        adjudicator=adjudicator,
        table=table,
        result=result,
        prenotifications=notices,
    )


def incident_ids_of(table: ObservationTable, result: FusionResult, which: IndexArray) -> list[str]:
    """Ids of the given incidents of a fusion result."""
    return [incident_id(smallest) for smallest in table.ids[result.first[which]].tolist()]
