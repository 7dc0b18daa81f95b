"""What happens in the simulated week, planned from the agreement's own data.

Violations: for each prohibited act and each party, events placed where the act applies
(fire near the line from the perpetrator's side into the other's, heavy weapons inside the
band of their class, armed presence in the buffer, aircraft and vessels in exclusion zones).
Background: harvest fires, live-fire training beyond the rules' reach, and permitted
activity with its pre-notifications (one of them late, hence a breach).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from truceline.agreement.model import (
    ANYWHERE,
    BUFFER,
    WITHDRAWAL,
    Agreement,
    ExclusionZone,
    PermittedActivity,
    ProhibitedAct,
)
from truceline.agreement.prenotification import PreNotification
from truceline.errors import AgreementError
from truceline.observations.model import Domain, Kind
from truceline.simulation.events import DAY_S, HOUR_S, EventTable, Window, to_datetime
from truceline.simulation.placement import FloatArray, TheatreFrame
from truceline.simulation.truth import Category

FIRE_KINDS = frozenset({Kind.EXPLOSION, Kind.IMPACT, Kind.LAUNCH, Kind.SMALL_ARMS_FIRE})

VIOLATIONS_PER_100KM_DAY = {
    "fire": 1.5,
    "band": 0.3,
    "buffer": 0.3,
    "air": 0.12,
    "sea": 0.12,
    "other": 0.15,
}
"""Mean violations per act and party, per 100 km of line and per day at intensity 1, by what
the act is about."""
MIN_VIOLATIONS = 2
"""Every act gets at least this many violations by each party that can commit it."""
UNSEEN_FRACTION = 0.08
"""Share of violations in a coverage gap: no sensor sees them."""
KIND_WEIGHTS = {Kind.EXPLOSION: 4.0, Kind.IMPACT: 2.0, Kind.SMALL_ARMS_FIRE: 1.5, Kind.LAUNCH: 1.0}
"""Relative frequency of the kinds of one act (other kinds weigh 1)."""
FIRE_IGNITION = {Kind.EXPLOSION: 0.25, Kind.IMPACT: 0.25, Kind.LAUNCH: 0.05}
"""Probability that a violation of that kind starts a fire a satellite could see."""
DEFAULT_REACH_KM = 25.0
"""How far from the line fire lands when the act has no `within_km`."""

HARVEST_FIRES_PER_100KM_DAY = 80.0
"""Harvest fires per 100 km of line and per day at the height of the season."""
HARVEST_MAX_KM = 150.0
HARVEST_FRP_MW = 6.0
"""Median fire radiative power of a harvest fire, MW (log-normal, sigma 1)."""
SHELL_FIRE_FRP_MW = 3.0
"""Median fire radiative power of a fire started by shelling or training, MW."""
HARVEST_SEASON = (0.1, 0.1, 0.4, 0.5, 0.3, 0.5, 1.0, 1.0, 0.9, 0.6, 0.3, 0.1)
"""Share of the peak harvest-fire rate, by month (January first)."""
TRAINING_PER_100KM_DAY = 0.15
"""Live-fire training events per party, per 100 km of line and per day at intensity 1."""
NOTICES_PER_100KM_DAY = 0.1
"""Pre-notifications per permitted activity and party, per 100 km of line and per day."""
NOTICE_INTENSITY_CAP = 3.0
"""Intensity beyond which pre-notified activity stops growing: the parties' deminers and
repair crews are few, whatever else goes on."""

_CALIBRES_MM = (82.0, 100.0, 120.0, 122.0, 152.0, 203.0)


@dataclass(frozen=True)
class Plan:
    """Events planned for the window, and the pre-notifications the parties sent."""

    events: EventTable
    prenotifications: list[PreNotification]


def plan(
    frame: TheatreFrame,
    agreement: Agreement,
    window: Window,
    rngs: dict[str, np.random.Generator],
    intensity: float,
) -> Plan:
    """Every event of the window but sensor noise, from the agreement's own data."""
    permitted, notices = plan_permitted(frame, agreement, window, rngs["permitted"], intensity)
    tables = [
        plan_violations(frame, agreement, window, rngs["violations"], intensity),
        permitted,
        plan_training(frame, agreement, window, rngs["training"], intensity),
        plan_harvest_fires(frame, window, rngs["harvest"], intensity),
    ]
    return Plan(EventTable.concat(tables), notices)


# Violations -------------------------------------------------------------------------------


def plan_violations(
    frame: TheatreFrame,
    agreement: Agreement,
    window: Window,
    rng: np.random.Generator,
    intensity: float,
) -> EventTable:
    """Violations of every prohibited act by every party, where the act applies."""
    tables: list[EventTable] = []
    scale = frame.length_m / 100_000.0 * window.days
    for act in agreement.prohibited_acts:
        for party in frame.parties:
            zones = [z for z in act.zones if _zone_available(frame, agreement, act, z, party)]
            if not zones:
                continue
            rate = VIOLATIONS_PER_100KM_DAY[_family(act, zones[0], agreement)]
            n = max(MIN_VIOLATIONS, int(rng.poisson(rate * scale * intensity)))
            choice = rng.integers(len(zones), size=n)
            for i, zone in enumerate(zones):
                count = int((choice == i).sum())
                if count:
                    tables.append(
                        _place_violations(frame, agreement, window, rng, act, party, zone, count)
                    )
    events = EventTable.concat(tables)
    unseen = rng.random(len(events)) < UNSEEN_FRACTION
    events.forced_source[unseen] = ""
    events.note[unseen] = [
        f"{note}; in a coverage gap, no sensor saw it" for note in events.note[unseen]
    ]
    return events


def _family(act: ProhibitedAct, zone: str, agreement: Agreement) -> str:
    kinds = set(act.kinds)
    if kinds & FIRE_KINDS and zone == ANYWHERE:
        return "fire"
    if zone == WITHDRAWAL or zone.startswith(f"{WITHDRAWAL}:"):
        return "band"
    if zone == BUFFER:
        return "buffer"
    exclusion = _exclusion(agreement, zone)
    if exclusion is not None:
        return "air" if exclusion.type == "no_fly" else "sea"
    return "other"


def _exclusion(agreement: Agreement, zone: str) -> ExclusionZone | None:
    for exclusion in agreement.zones.exclusions:
        if exclusion.id == zone:
            return exclusion
    return None


def _buffer_km(agreement: Agreement, party: str) -> float:
    buffer = agreement.zones.buffer
    return buffer.width_km.get(party, 0.0) if buffer else 0.0


def _bands(agreement: Agreement, party: str, cap_km: float) -> list[tuple[str, float]]:
    """(weapon class, band width km) of the bands that bind `party`, beyond the buffer."""
    floor = _buffer_km(agreement, party)
    return [
        (band.weapon_class, min(band.width_km[party], cap_km))
        for band in agreement.zones.withdrawal_bands
        if party in band.width_km and min(band.width_km[party], cap_km) > floor + 0.5
    ]


def _cap_km(act: ProhibitedAct) -> float:
    return act.within_km if act.within_km is not None else 1_000.0


def _zone_available(
    frame: TheatreFrame, agreement: Agreement, act: ProhibitedAct, zone: str, party: str
) -> bool:
    if zone == ANYWHERE:
        return True
    if zone == BUFFER:
        return _buffer_km(agreement, party) > 0
    if zone == WITHDRAWAL:
        return bool(_bands(agreement, party, _cap_km(act)))
    if zone.startswith(f"{WITHDRAWAL}:"):
        cls = zone.split(":", 1)[1]
        return any(c == cls for c, _ in _bands(agreement, party, _cap_km(act)))
    exclusion = _exclusion(agreement, zone)
    return (
        exclusion is not None
        and zone in frame.exclusions
        and (exclusion.applies_to is None or party in exclusion.applies_to)
    )


def _choose_kinds(
    rng: np.random.Generator, kinds: list[Kind], n: int, prefer: Kind | None = None
) -> np.ndarray:
    if prefer is not None and prefer in kinds:
        return np.full(n, prefer.value, dtype=object)
    weights = np.array([KIND_WEIGHTS.get(k, 1.0) for k in kinds])
    values = np.array([k.value for k in kinds], dtype=object)
    return values[rng.choice(len(kinds), size=n, p=weights / weights.sum())]


def _domain(kind: str, act: ProhibitedAct, zone_type: str | None) -> str:
    natural = {Kind.AIRCRAFT.value: Domain.AIR, Kind.VESSEL.value: Domain.SEA}.get(kind)
    if natural is None:
        natural = {"no_fly": Domain.AIR, "maritime": Domain.SEA}.get(zone_type or "", Domain.LAND)
    if act.domains and natural not in act.domains:
        return act.domains[0].value
    return natural.value


def _times(rng: np.random.Generator, window: Window, n: int) -> FloatArray:
    return np.floor(rng.uniform(window.t0, window.t1, n))


def _others(rng: np.random.Generator, parties: list[str], party: str, n: int) -> np.ndarray:
    others = np.array([p for p in parties if p != party], dtype=object)
    return others[rng.integers(len(others), size=n)]


def _place_violations(
    frame: TheatreFrame,
    agreement: Agreement,
    window: Window,
    rng: np.random.Generator,
    act: ProhibitedAct,
    party: str,
    zone: str,
    n: int,
) -> EventTable:
    what = f"violations of {act.code} by {party}"
    cap_km = _cap_km(act)
    t = _times(rng, window, n)
    victim = _others(rng, frame.parties, party, n)
    common: dict[str, Any] = {
        "category": Category.VIOLATION.value,
        "rule": act.code,
        "party": party,
        "victim": victim,
        "t": t,
    }
    if zone == ANYWHERE:
        kinds = _choose_kinds(rng, act.kinds, n)
        return _place_anywhere(frame, window, rng, act, party, kinds, common, cap_km, what)
    if zone == BUFFER:
        width = _buffer_km(agreement, party)
        kinds = _choose_kinds(rng, act.kinds, n)
        x, y = frame.sample_near_line(
            rng, n, party=party, min_m=50.0, max_m=min(width, cap_km) * 1000.0, what=what
        )
        weapon = _weapon_classes(rng, agreement, kinds)
        notes = [f"in the buffer, {party} side" for _ in range(n)]
        return EventTable.make(
            n,
            kind=kinds,
            x=x,
            y=y,
            domain=_domain("", act, None),
            note=notes,
            weapon_class=weapon,
            calibre_mm=_calibres(rng, agreement, weapon),
            **common,
        )
    if zone == WITHDRAWAL or zone.startswith(f"{WITHDRAWAL}:"):
        bands = _bands(agreement, party, cap_km)
        if zone != WITHDRAWAL:
            bands = [b for b in bands if b[0] == zone.split(":", 1)[1]]
        return _place_in_bands(frame, agreement, rng, act, party, bands, common, n, what)
    exclusion = _exclusion(agreement, zone)
    if exclusion is None:
        raise AgreementError(f"prohibited act {act.code}: unknown zone {zone!r}")
    kinds = _choose_kinds(
        rng, act.kinds, n, prefer=Kind.AIRCRAFT if exclusion.type == "no_fly" else Kind.VESSEL
    )
    max_m = act.within_km * 1000.0 if act.within_km is not None else None
    x, y = frame.sample_in_zone(rng, n, zone, party=party, max_m=max_m, what=what)
    domains = [_domain(k, act, exclusion.type) for k in kinds]
    return EventTable.make(n, kind=kinds, x=x, y=y, domain=domains, note=f"inside {zone}", **common)


def _place_anywhere(
    frame: TheatreFrame,
    window: Window,
    rng: np.random.Generator,
    act: ProhibitedAct,
    party: str,
    kinds: np.ndarray,
    common: dict[str, Any],
    cap_km: float,
    what: str,
) -> EventTable:
    """Fire lands on the victim's side from the perpetrator's; other kinds stay on own side."""
    n = kinds.size
    reach_m = min(cap_km, DEFAULT_REACH_KM) * 1000.0
    x = np.empty(n)
    y = np.empty(n)
    ox = np.full(n, np.nan)
    oy = np.full(n, np.nan)
    victim = common["victim"]
    notes = np.empty(n, dtype=object)
    small = kinds == Kind.SMALL_ARMS_FIRE.value
    shell = (kinds == Kind.EXPLOSION.value) | (kinds == Kind.IMPACT.value)
    own = ~(small | shell)
    for mask, target_m, origin_m, spread_m, range_m in (
        (small, (50.0, 1_000.0), (50.0, 1_000.0), 500.0, 2_500.0),
        (shell, (300.0, min(reach_m, 20_000.0)), (1_500.0, 20_000.0), 4_000.0, 40_000.0),
    ):
        for target_party in sorted(set(victim[mask])):
            index = np.flatnonzero(mask & (victim == target_party))
            x[index], y[index], ox[index], oy[index] = _fire_positions(
                frame,
                rng,
                (party, target_party),
                index.size,
                (target_m, origin_m),
                (spread_m, range_m),
                what,
            )
            notes[index] = f"fired from the {party} side into the {target_party} side"
    if own.any():
        index = np.flatnonzero(own)
        x[index], y[index] = frame.sample_near_line(
            rng,
            index.size,
            party=party,
            min_m=min(1_500.0, reach_m / 2),
            max_m=reach_m,
            what=what,
        )
        notes[index] = f"on the {party} side"
    ignition = np.array([FIRE_IGNITION.get(Kind(k), 0.0) for k in kinds])
    burns = rng.random(n) < ignition
    burn_until = np.where(burns, common["t"] + _burn_seconds(rng, n, median_h=1.5), np.nan)
    return EventTable.make(
        n,
        kind=kinds,
        x=x,
        y=y,
        ox=ox,
        oy=oy,
        domain=_domain("", act, None),
        burn_until=burn_until,
        frp_mw=np.where(burns, fire_power(rng, n, median_mw=SHELL_FIRE_FRP_MW), np.nan),
        note=notes,
        **common,
    )


def _fire_positions(
    frame: TheatreFrame,
    rng: np.random.Generator,
    parties: tuple[str, str],
    n: int,
    distances: tuple[tuple[float, float], tuple[float, float]],
    spread: tuple[float, float],
    what: str,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Targets on the victim's side, each with an origin across the line near it.

    `parties` is (perpetrator, victim); `distances` the (min, max) distance from the line
    of the targets and of the origins, metres; `spread` the spread along the line of an
    origin around its target and the weapon's range, metres.

    A target with no ground of the perpetrator's in range nearby is moved, a few times; a
    target that still has none keeps no origin (where the fire came from is unknown).
    """
    party, target_party = parties
    target_m, origin_m = distances
    spread_m, reach_m = spread
    tx, ty = np.empty(n), np.empty(n)
    ox, oy = np.full(n, np.nan), np.full(n, np.nan)
    pending = np.arange(n)
    for _ in range(6):
        if pending.size == 0:
            break
        tx[pending], ty[pending] = frame.sample_near_line(
            rng,
            pending.size,
            party=target_party,
            min_m=target_m[0],
            max_m=max(target_m[1], target_m[0] + 1.0),
            what=what,
        )
        ox[pending], oy[pending] = frame.sample_near_line(
            rng,
            pending.size,
            party=party,
            min_m=origin_m[0],
            max_m=origin_m[1],
            near=(tx[pending], ty[pending]),
            spread_m=spread_m,
            reach_m=reach_m,
            what=what,
            partial=True,
        )
        pending = pending[~np.isfinite(ox[pending])]
    return tx, ty, ox, oy


def _place_in_bands(
    frame: TheatreFrame,
    agreement: Agreement,
    rng: np.random.Generator,
    act: ProhibitedAct,
    party: str,
    bands: list[tuple[str, float]],
    common: dict[str, Any],
    n: int,
    what: str,
) -> EventTable:
    """Weapons of a class inside that class's band, beyond the buffer, on own side."""
    floor_m = _buffer_km(agreement, party) * 1000.0 + 200.0
    pick = rng.integers(len(bands), size=n)
    x = np.empty(n)
    y = np.empty(n)
    classes = np.empty(n, dtype=object)
    for i, (cls, width_km) in enumerate(bands):
        index = np.flatnonzero(pick == i)
        if index.size:
            x[index], y[index] = frame.sample_near_line(
                rng, index.size, party=party, min_m=floor_m, max_m=width_km * 1000.0, what=what
            )
            classes[index] = cls
    kinds = _choose_kinds(rng, act.kinds, n, prefer=Kind.WEAPON_SIGHTING)
    notes = [f"{c} inside its withdrawal band, {party} side" for c in classes]
    return EventTable.make(
        n,
        kind=kinds,
        x=x,
        y=y,
        domain=_domain("", act, None),
        weapon_class=classes,
        calibre_mm=_calibres(rng, agreement, classes),
        note=notes,
        **common,
    )


def _weapon_classes(rng: np.random.Generator, agreement: Agreement, kinds: np.ndarray) -> list[Any]:
    codes = [w.code for w in agreement.weapon_classes]
    if not codes:
        return [None] * kinds.size
    picks = rng.integers(len(codes), size=kinds.size)
    return [
        codes[p] if k == Kind.WEAPON_SIGHTING.value else None
        for k, p in zip(kinds, picks, strict=True)
    ]


def _calibres(rng: np.random.Generator, agreement: Agreement, classes: Any) -> FloatArray:
    """A plausible calibre for classes with calibre limits, NaN otherwise."""
    limits = {w.code: (w.min_calibre_mm, w.max_calibre_mm) for w in agreement.weapon_classes}
    out = np.full(len(classes), np.nan)
    draws = rng.random(len(classes))
    for i, cls in enumerate(classes):
        low, high = limits.get(cls, (None, None)) if cls else (None, None)
        if low is None and high is None:
            continue
        options = [c for c in _CALIBRES_MM if (low or 0) <= c <= (high or 1_000)]
        if options:
            out[i] = options[int(draws[i] * len(options))]
    return out


def fire_power(rng: np.random.Generator, n: int, *, median_mw: float) -> FloatArray:
    """Fire radiative power of n fires (MW): log-normal around the median, 0.1-500 MW."""
    return np.asarray(np.clip(rng.lognormal(np.log(median_mw), 1.0, n), 0.1, 500.0), np.float64)


def _burn_seconds(rng: np.random.Generator, n: int, *, median_h: float) -> FloatArray:
    hours = np.clip(rng.lognormal(np.log(median_h), 0.7, n), 0.2, 12.0)
    return np.asarray(hours * HOUR_S, dtype=np.float64)


# Background -------------------------------------------------------------------------------


def fire_reach_km(agreement: Agreement) -> float | None:
    """The largest `within_km` of the acts that prohibit fire anywhere; None when unlimited."""
    reaches = [
        act.within_km
        for act in agreement.prohibited_acts
        if set(act.kinds) & FIRE_KINDS and ANYWHERE in act.zones
    ]
    if not reaches or any(r is None for r in reaches):
        return None
    return max(r for r in reaches if r is not None)


def plan_training(
    frame: TheatreFrame,
    agreement: Agreement,
    window: Window,
    rng: np.random.Generator,
    intensity: float,
) -> EventTable:
    """Live-fire training on each party's own ground, beyond where fire is prohibited.

    None when fire is prohibited at any distance (training would then be a breach).
    """
    reach = fire_reach_km(agreement)
    if reach is None:
        return EventTable.empty()
    tables = []
    for party in frame.parties:
        mean = TRAINING_PER_100KM_DAY * frame.length_m / 100_000.0 * window.days * intensity
        n = max(1, int(rng.poisson(mean)))
        try:
            x, y = frame.sample_near_line(
                rng,
                n,
                party=party,
                min_m=(reach + 10) * 1000.0,
                max_m=(reach + 60) * 1000.0,
                what=f"live-fire training of {party}",
            )
        except AgreementError:
            continue  # no ground that far back: this party trains elsewhere
        t = _times(rng, window, n)
        kinds = np.where(rng.random(n) < 0.7, Kind.EXPLOSION.value, Kind.LAUNCH.value)
        burns = (kinds == Kind.EXPLOSION.value) & (rng.random(n) < 0.3)
        km = frame.distance(x, y) / 1000.0
        tables.append(
            EventTable.make(
                n,
                category=Category.TRAINING.value,
                kind=kinds.astype(object),
                t=t,
                x=x,
                y=y,
                party=party,
                burn_until=np.where(burns, t + _burn_seconds(rng, n, median_h=1.0), np.nan),
                frp_mw=np.where(burns, fire_power(rng, n, median_mw=SHELL_FIRE_FRP_MW), np.nan),
                note=[
                    f"live-fire training {d:.0f} km from the line, beyond the "
                    f"{reach:.0f} km in which fire is prohibited"
                    for d in km
                ],
            )
        )
    return EventTable.concat(tables)


def plan_harvest_fires(
    frame: TheatreFrame, window: Window, rng: np.random.Generator, intensity: float
) -> EventTable:
    """Agricultural fires on any land near and far from the line; only satellites see them.

    Vectorised: the number scales with line length, days, intensity and the season.
    """
    season = HARVEST_SEASON[window.start.month - 1]
    mean = HARVEST_FIRES_PER_100KM_DAY * frame.length_m / 100_000.0 * window.days
    n = int(rng.poisson(mean * intensity * season))
    if n == 0:
        return EventTable.empty()
    x, y = frame.sample_near_line(
        rng, n, party=None, min_m=500.0, max_m=HARVEST_MAX_KM * 1000.0, what="harvest fires"
    )
    day = rng.integers(window.days, size=n)
    hour = np.clip(rng.normal(11.5, 2.5, n), 4.0, 19.0)
    t = np.floor(window.t0 + day * DAY_S + hour * HOUR_S)
    return EventTable.make(
        n,
        category=Category.HARVEST_FIRE.value,
        kind=Kind.THERMAL_ANOMALY.value,
        t=t,
        x=x,
        y=y,
        burn_until=t + _burn_seconds(rng, n, median_h=2.5),
        frp_mw=fire_power(rng, n, median_mw=HARVEST_FRP_MW),
    )


# Permitted activity -----------------------------------------------------------------------


def plan_permitted(
    frame: TheatreFrame,
    agreement: Agreement,
    window: Window,
    rng: np.random.Generator,
    intensity: float,
) -> tuple[EventTable, list[PreNotification]]:
    """Pre-notified permitted activity, and exactly one activity notified too late."""
    tables: list[EventTable] = []
    notices: list[PreNotification] = []
    late_done = False
    scale = min(intensity, NOTICE_INTENSITY_CAP)
    mean = NOTICES_PER_100KM_DAY * frame.length_m / 100_000.0 * window.days * scale
    for activity in agreement.permitted_activities:
        setting = _activity_setting(agreement, activity)
        if setting is None:
            continue
        for party in frame.parties:
            count = max(1, int(rng.poisson(mean)))
            for _ in range(count):
                table, notice = _one_notice(
                    frame, agreement, window, rng, activity, setting, party, late=False
                )
                if table is not None and notice is not None:
                    tables.append(table)
                    notices.append(notice)
        if not late_done and activity.notice_hours > 0:
            party = frame.parties[int(rng.integers(len(frame.parties)))]
            table, notice = _one_notice(
                frame, agreement, window, rng, activity, setting, party, late=True
            )
            if table is not None and notice is not None:
                tables.append(table)
                notices.append(notice)
                late_done = True
    return EventTable.concat(tables), notices


@dataclass(frozen=True)
class _Setting:
    kinds: list[Kind]
    in_buffer: bool
    reach_km: float
    rules: dict[str, str]
    """Kind -> the exempted rule it would break without a valid notice."""


def _activity_setting(agreement: Agreement, activity: PermittedActivity) -> _Setting | None:
    acts = [agreement.prohibited_act(code) for code in activity.exempts]
    rules: dict[str, str] = {}
    for kind in activity.kinds:
        for act in acts:
            if kind in act.kinds and kind.value not in rules:
                rules[kind.value] = act.code
    kinds = [k for k in activity.kinds if k.value in rules]
    if not kinds:
        return None
    in_buffer = agreement.zones.buffer is not None and any(BUFFER in a.zones for a in acts)
    reaches = [a.within_km for a in acts if a.within_km is not None]
    return _Setting(kinds, in_buffer, min([15.0, *reaches]), rules)


def _one_notice(
    frame: TheatreFrame,
    agreement: Agreement,
    window: Window,
    rng: np.random.Generator,
    activity: PermittedActivity,
    setting: _Setting,
    party: str,
    *,
    late: bool,
) -> tuple[EventTable | None, PreNotification | None]:
    n = 1 if late else int(rng.integers(1, 4))
    duration_h = min(activity.max_duration_hours, float(rng.uniform(4.0, 10.0)))
    latest = max(window.t0, window.t1 - duration_h * HOUR_S)
    starts = float(np.floor(rng.uniform(window.t0, latest) / 600.0) * 600.0)
    ends = starts + duration_h * HOUR_S
    if setting.in_buffer:
        max_m = _buffer_km(agreement, party) * 1000.0
        min_m = 50.0
    else:
        min_m, max_m = 300.0, setting.reach_km * 1000.0
    if max_m <= min_m:
        return None, None
    cx, cy = frame.points_along(np.array([rng.uniform(0.0, frame.length_m)]), np.zeros(1))
    try:
        x, y = frame.sample_near_line(
            rng,
            n,
            party=party,
            min_m=min_m,
            max_m=max_m,
            near=(np.repeat(cx, n), np.repeat(cy, n)),
            spread_m=400.0,
            reach_m=max_m + 2_000.0,
            what=f"{activity.code} by {party}",
        )
    except AgreementError:
        return None, None
    t = np.floor(rng.uniform(starts + 600.0, ends - 600.0, n))
    # The activity's first kind (e.g. a demining explosion) is the most frequent, and the
    # late notice is always about it.
    weights = np.array([3.0] + [0.0 if late else 1.0] * (len(setting.kinds) - 1))
    kinds = np.array([k.value for k in setting.kinds], dtype=object)[
        rng.choice(len(setting.kinds), size=n, p=weights / weights.sum())
    ]
    if late:
        lead_h = activity.notice_hours * float(rng.uniform(0.2, 0.6))
    else:
        lead_h = activity.notice_hours + float(rng.uniform(2.0, 36.0))
    hull = shapely.convex_hull(shapely.multipoints(np.column_stack([x, y])))
    area = frame.unproject(shapely.buffer(hull, 1_000.0))
    notice = _notice(party, activity, area, starts, ends, starts - lead_h * HOUR_S, n)
    if late:
        category = Category.VIOLATION.value
        rules: list[str | None] = [setting.rules[k] for k in kinds]
        notes = [
            f"{activity.code} notified by {party} only {lead_h:.0f} h ahead; "
            f"{activity.notice_hours:g} h are needed, so the notice does not cover it"
        ]
    else:
        category = Category.PERMITTED_ACTIVITY.value
        rules = [None] * n  # a timely notice: no rule is broken
        notes = [
            f"{activity.code} notified by {party} {lead_h:.0f} h ahead "
            f"({activity.notice_hours:g} h needed); exempts {', '.join(activity.exempts)}"
        ] * n
    table = EventTable.make(
        n,
        category=category,
        kind=kinds,
        t=t,
        x=x,
        y=y,
        party=party,
        victim=_others(rng, frame.parties, party, n),
        rule=rules,
        prenotification_id=notice.id,
        note=notes,
    )
    return table, notice


def _notice(
    party: str,
    activity: PermittedActivity,
    area: Any,
    starts: float,
    ends: float,
    notified: float,
    sites: int,
) -> PreNotification:
    geometry = json.loads(shapely.to_geojson(shapely.set_precision(area, 1e-6)))
    key = f"{party}|{activity.code}|{starts:.0f}|{shapely.to_wkt(area, rounding_precision=6)}"
    return PreNotification(
        id="pn-" + hashlib.sha256(key.encode()).hexdigest()[:16],
        party=party,
        activity=activity.code,
        area=geometry,
        starts_at=to_datetime(starts),
        ends_at=to_datetime(ends),
        notified_at=to_datetime(notified),
        description=f"{activity.description} ({sites} site{'s' if sites > 1 else ''})",
    )
