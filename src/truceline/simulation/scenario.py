"""A simulated scenario: a week of multi-sensor observations of a theatre, with ground truth.

`simulate` works for any agreement, generated or real: it places events from the
agreement's own data (rules, zones, parties, held areas) and lets every sensor model look
at them. Everything is drawn from generators seeded by `seed` and a fixed label per
component, so the same inputs always give the same scenario.
"""

from __future__ import annotations

import math
import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from shapely.geometry.base import BaseGeometry

from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.prenotification import PreNotification
from truceline.errors import InputError
from truceline.observations.model import Kind, Observation
from truceline.simulation.broken_rules import broken_rules
from truceline.simulation.events import EventTable, Window
from truceline.simulation.placement import TheatreFrame
from truceline.simulation.planning import plan
from truceline.simulation.sensors import SensorContext, SensorModel, default_sensors
from truceline.simulation.truth import Category, TruthEvent
from truceline.sources.registry import Source, SourceRegistry

__all__ = ["DEFAULT_START", "Scenario", "TruthEvent", "component_rng", "simulate"]

DEFAULT_START = datetime(2025, 9, 1, tzinfo=UTC)
MAX_INTENSITY = 1_000.0


@dataclass(frozen=True)
class Scenario:
    """What a simulation produced: the sources, their observations, the parties'
    pre-notifications, and the ground truth behind them."""

    loaded: LoadedAgreement
    sources: list[Source]
    """Every source that can report in this scenario, sorted by id."""
    observations: list[Observation]
    """Sorted by observed time, then id."""
    prenotifications: list[PreNotification]
    """Sorted by start, then id."""
    truth: list[TruthEvent]
    """Every simulated event, seen or not; sorted by time, then id."""
    start: datetime
    end: datetime
    seed: int

    def registry(self) -> SourceRegistry:
        """A source registry holding exactly this scenario's sources."""
        return SourceRegistry(self.sources)


def component_rng(seed: int, label: str) -> np.random.Generator:
    """The generator of one component of the simulation, independent of the others."""
    return np.random.default_rng([seed, zlib.crc32(label.encode())])


def simulate(
    loaded: LoadedAgreement,
    *,
    days: int = 7,
    start: datetime = DEFAULT_START,
    seed: int = 7,
    intensity: float = 1.0,
    land: BaseGeometry | None = None,
    sensors: Sequence[SensorModel] | None = None,
) -> Scenario:
    """Simulate `days` of events and observations under an agreement.

    `intensity` scales every rate (violations, background, noise); 1 gives a few thousand
    observations a week on a 350 km line. `land` (WGS 84 polygons, e.g. a country outline)
    keeps land events inside it, which matters when the agreement's "rest" of the theatre
    includes sea or foreign ground. `sensors` replaces the default sensor models.
    """
    if not isinstance(seed, int) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}", field="seed")
    if not (isinstance(intensity, int | float) and math.isfinite(intensity)) or not (
        0 < intensity <= MAX_INTENSITY
    ):
        raise InputError(
            f"intensity must be a number above 0 and at most {MAX_INTENSITY:g}, got {intensity!r}",
            field="intensity",
        )
    window = Window(start, days)
    frame = TheatreFrame(loaded, land)
    ctx = SensorContext(frame, window, loaded.agreement)
    rngs = {
        label: component_rng(seed, label)
        for label in ("violations", "permitted", "training", "harvest", "satellite", "patrol")
    }
    if sensors is None:
        sensors = default_sensors(ctx, rngs)

    planned = plan(frame, loaded.agreement, window, rngs, float(intensity))
    noise = [s.plan_noise(ctx, component_rng(seed, f"noise:{s.name}"), intensity) for s in sensors]
    events = EventTable.concat([planned.events, *noise]).locate(frame)

    seen: dict[int, list[str]] = defaultdict(list)
    observations: list[Observation] = []
    for sensor in sensors:
        for index, observation in sensor.observe(
            events, ctx, component_rng(seed, f"observe:{sensor.name}")
        ):
            seen[index].append(observation.id)
            observations.append(observation)

    sources = sorted({s.id: s for sensor in sensors for s in sensor.sources}.values(), key=_id)
    observations.sort(key=lambda o: (o.observed_at, o.id))
    agreement = loaded.agreement
    lifted = {
        notice.id: frozenset(agreement.permitted_activity(notice.activity).exempts)
        for notice in planned.prenotifications
    }
    rules = broken_rules(events, frame, agreement, lifted)
    truth = sorted(_truth(events, rules, seen), key=lambda e: (e.time, e.id))
    notices = sorted(planned.prenotifications, key=lambda p: (p.starts_at, p.id))
    return Scenario(
        loaded=loaded,
        sources=sources,
        observations=observations,
        prenotifications=notices,
        truth=truth,
        start=window.start,
        end=window.end,
        seed=seed,
    )


def _id(source: Source) -> str:
    return source.id


def _truth(
    events: EventTable, rules: list[tuple[str, ...]], seen: dict[int, list[str]]
) -> list[TruthEvent]:
    categories = {c.value: c for c in Category}
    kinds = {k.value: k for k in Kind}
    has_origin = np.isfinite(events.origin_lon).tolist()
    origin_lon = events.origin_lon.tolist()
    origin_lat = events.origin_lat.tolist()
    return [
        TruthEvent(
            id=event_id,
            category=categories[category],
            rule=rule,
            rules=rules[i],
            party=party,
            kind=kinds[kind],
            time=datetime.fromtimestamp(t, tz=UTC),
            lon=lon,
            lat=lat,
            weapon_class=weapon_class,
            observation_ids=tuple(sorted(seen[i])) if i in seen else (),
            prenotification_id=prenotification_id,
            note=note,
            origin_lon=origin_lon[i] if has_origin[i] else None,
            origin_lat=origin_lat[i] if has_origin[i] else None,
        )
        for i, (
            event_id,
            category,
            rule,
            party,
            kind,
            t,
            lon,
            lat,
            weapon_class,
            prenotification_id,
            note,
        ) in enumerate(
            zip(
                events.id.tolist(),
                events.category.tolist(),
                events.rule.tolist(),
                events.party.tolist(),
                events.kind.tolist(),
                events.t.tolist(),
                events.lon.tolist(),
                events.lat.tolist(),
                events.weapon_class.tolist(),
                events.prenotification_id.tolist(),
                events.note.tolist(),
                strict=True,
            )
        )
    ]
