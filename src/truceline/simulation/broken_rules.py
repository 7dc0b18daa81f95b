"""Which prohibited acts each simulated event truly breaks, from the agreement's own data.

An event breaks an act when its kind is among the act's kinds, its domain among the act's
domains (when listed), it lies within the act's `within_km` of the line (when set) and in one
of the act's zones: anywhere; the buffer or a withdrawal band of the side it lies on, within
that side's width; ('withdrawal') the band of its own weapon class; or an exclusion zone that
binds its party. A weapon in the buffer, for instance, also lies in every withdrawal band of
its class, so it breaks both the buffer rule and the withdrawal rule.

Only acts of a party break rules: violations, permitted activity (less the acts its timely
notice lifts) and training. Harvest fires, false reports and noise break none.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from truceline.agreement.model import ANYWHERE, BUFFER, WITHDRAWAL, Agreement, ProhibitedAct
from truceline.simulation.events import EventTable
from truceline.simulation.placement import BoolArray, ObjectArray, TheatreFrame
from truceline.simulation.truth import Category

ACTING = (Category.VIOLATION.value, Category.PERMITTED_ACTIVITY.value, Category.TRAINING.value)
"""Categories of events that are acts of a party."""


def broken_rules(
    events: EventTable,
    frame: TheatreFrame,
    agreement: Agreement,
    lifted: Mapping[str, frozenset[str]],
) -> list[tuple[str, ...]]:
    """For each located event, the sorted codes of the acts it truly breaks.

    `lifted` maps a pre-notification id to the act codes its activity exempts; they are
    lifted only for permitted activity (a late notice lifts nothing).
    """
    result: list[tuple[str, ...]] = [() for _ in range(len(events))]
    index = np.flatnonzero(np.isin(events.category, ACTING))
    if index.size == 0:
        return result
    acting = events.take(index)
    side = frame.side(acting.x, acting.y)
    codes = sorted(agreement.prohibited_acts, key=lambda a: a.code)
    met = np.column_stack([_meets(act, acting, side, frame, agreement) for act in codes])
    for row, i in enumerate(index.tolist()):
        broken = tuple(act.code for act, hit in zip(codes, met[row].tolist(), strict=True) if hit)
        if events.category[i] == Category.PERMITTED_ACTIVITY.value:
            exempt = lifted.get(str(events.prenotification_id[i]), frozenset())
            broken = tuple(code for code in broken if code not in exempt)
        result[i] = broken
    return result


def _meets(
    act: ProhibitedAct,
    events: EventTable,
    side: ObjectArray,
    frame: TheatreFrame,
    agreement: Agreement,
) -> BoolArray:
    """Where each event meets one act: kind, domain, distance and zone."""
    hit = np.isin(events.kind, [k.value for k in act.kinds])
    if act.domains is not None:
        hit &= np.isin(events.domain, [d.value for d in act.domains])
    if act.within_km is not None:
        hit &= events.distance_m <= act.within_km * 1000.0
    where = np.zeros(len(events), dtype=bool)
    for zone in act.zones:
        where |= _in_zone(zone, events, side, frame, agreement)
    return np.asarray(hit & where, dtype=bool)


def _in_zone(
    zone: str, events: EventTable, side: ObjectArray, frame: TheatreFrame, agreement: Agreement
) -> BoolArray:
    n = len(events)
    if zone == ANYWHERE:
        return np.ones(n, dtype=bool)
    if zone == BUFFER:
        buffer = agreement.zones.buffer
        widths = buffer.width_km if buffer is not None else {}
        return _within_side_width(events, side, widths)
    if zone == WITHDRAWAL:
        inside = np.zeros(n, dtype=bool)
        for band in agreement.zones.withdrawal_bands:
            own_class = events.weapon_class == band.weapon_class
            inside |= own_class & _within_side_width(events, side, band.width_km)
        return inside
    if zone.startswith(f"{WITHDRAWAL}:"):
        cls = zone.split(":", 1)[1]
        inside = np.zeros(n, dtype=bool)
        for band in agreement.zones.withdrawal_bands:
            if band.weapon_class == cls:
                inside |= _within_side_width(events, side, band.width_km)
        return inside
    for exclusion in agreement.zones.exclusions:
        if exclusion.id == zone and zone in frame.exclusions:
            bound = (
                np.ones(n, dtype=bool)
                if exclusion.applies_to is None
                else np.isin(events.party, exclusion.applies_to)
            )
            return bound & frame.in_zone(zone, events.x, events.y)
    return np.zeros(n, dtype=bool)


def _within_side_width(
    events: EventTable, side: ObjectArray, width_km: Mapping[str, float]
) -> BoolArray:
    """Events within the width (km) given for the side of the line they lie on."""
    limit = np.array([width_km.get(str(s), 0.0) * 1000.0 for s in side], dtype=np.float64)
    return np.asarray((limit > 0) & (events.distance_m <= limit), dtype=bool)
