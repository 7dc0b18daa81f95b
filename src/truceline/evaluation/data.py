"""What an evaluation needs from a simulated scenario, as columns.

`EvaluationData` is the one form the matching, the metrics and the replay read: the
observations as an `ObservationTable`, when each arrived, which true event each came from,
and the ground truth as columns. `from_tables` builds it from the columnar simulation
(`simulate_tables`, which scales to millions of observations), `from_scenario` from the
object form (`simulate`, or a scenario built by hand). `Observation` objects, which the
incremental path needs, are made only for the rows asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
import numpy.typing as npt

from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.prenotification import PreNotification
from truceline.errors import InputError
from truceline.observations.model import Observation
from truceline.observations.table import ObservationTable
from truceline.simulation.scenario import Scenario, observations_of
from truceline.simulation.tables import ScenarioTables
from truceline.simulation.truth import Category
from truceline.sources.registry import Source, SourceRegistry

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.int64]
StrArray = npt.NDArray[np.str_]
BoolArray = npt.NDArray[np.bool_]

BACKGROUND: tuple[Category, ...] = (
    Category.HARVEST_FIRE,
    Category.PERMITTED_ACTIVITY,
    Category.TRAINING,
)
"""Real activity that breaks no rule: what must not be called a breach."""

ObjectMaker = Callable[[IndexArray], list[Observation]]
"""Makes the `Observation` objects of some table rows (sorted rows in, same order out)."""


@dataclass(frozen=True, eq=False)
class GroundTruth:
    """The true events of a scenario as columns, row k being event k."""

    ids: StrArray
    category: StrArray
    """`Category` values."""
    rules: tuple[tuple[str, ...], ...]
    """Every rule the event truly breaks (empty for anything but a violation)."""
    party: tuple[str | None, ...]
    """The perpetrator of a violation; the acting party of other events, or None."""
    t: FloatArray
    """When the event happened, seconds since the epoch."""
    observations: IndexArray
    """How many observations each event gave rise to."""
    independent: IndexArray
    """How many independence groups (operator and source type, party channels excluded)
    reported each event: what the clear-breach threshold can count."""

    def __len__(self) -> int:
        return len(self.ids)

    def is_category(self, *categories: Category) -> BoolArray:
        """Which events are of any of these categories."""
        return np.isin(self.category, [c.value for c in categories])


@dataclass(frozen=True, eq=False)
class EvaluationData:
    """Observations, their arrival and origin, and the ground truth of one scenario.

    Row k of `table`, `event_of` and `received_t` describe the same observation; rows are
    sorted by observation id.
    """

    loaded: LoadedAgreement
    sources: tuple[Source, ...]
    table: ObservationTable
    event_of: IndexArray
    """Row in `truth` of the event each observation came from."""
    received_t: FloatArray
    """When each observation arrived, seconds since the epoch (simulated time)."""
    truth: GroundTruth
    prenotifications: tuple[PreNotification, ...]
    start: datetime
    end: datetime
    seed: int
    make_objects: ObjectMaker

    @property
    def observation_ids(self) -> StrArray:
        return self.table.ids

    def registry(self) -> SourceRegistry:
        """A source registry of exactly this scenario's sources."""
        return SourceRegistry(list(self.sources))

    def objects(self, rows: IndexArray) -> list[Observation]:
        """The `Observation` objects of these rows, in the order given."""
        rows = np.asarray(rows, dtype=np.int64)
        order = np.argsort(rows, kind="stable")
        made = self.make_objects(rows[order])
        out: list[Observation] = [made[0]] * len(rows) if made else []
        for position, obs in zip(order.tolist(), made, strict=True):
            out[position] = obs
        return out

    def rows_of(self, observation_ids: Sequence[str]) -> IndexArray:
        """The rows of these observation ids; InputError for an id the scenario lacks."""
        ids = self.table.ids
        wanted = np.asarray(observation_ids, dtype=str)
        rows = np.searchsorted(ids, wanted)
        ok = rows < len(ids)
        ok[ok] = ids[rows[ok]] == wanted[ok]
        if not bool(ok.all()):
            missing = str(wanted[np.argmin(ok)])
            raise InputError(
                f"observation {missing!r} is not part of the scenario being evaluated; evaluate "
                "the determinations of the same scenario",
                field="observation_ids",
            )
        return rows.astype(np.int64)


def _independent(table: ObservationTable, event_of: IndexArray, n_events: int) -> IndexArray:
    """Per event, the number of independence groups among its non-party observations."""
    own = ~table.is_party
    pairs = np.unique(event_of[own] * (len(table.groups) + 1) + table.group[own])
    events = pairs // (len(table.groups) + 1)
    return np.bincount(events, minlength=n_events).astype(np.int64)


def _checked_events(event_of: IndexArray, n_events: int, ids: StrArray) -> None:
    bad = (event_of < 0) | (event_of >= n_events)
    if bool(bad.any()):
        raise InputError(
            f"observation {str(ids[np.argmax(bad)])!r} belongs to no true event of the scenario",
            field="event_index",
        )


def from_tables(tables: ScenarioTables) -> EvaluationData:
    """The evaluation form of a columnar scenario (`simulate_tables`)."""
    table = tables.observations
    event_of = np.asarray(tables.event_index, dtype=np.int64)
    n_events = len(tables.truth)
    _checked_events(event_of, n_events, table.ids)
    truth = GroundTruth(
        ids=tables.truth.ids,
        category=tables.truth.category,
        rules=tuple(tuple(r.split(";")) if r else () for r in tables.truth.rules.tolist()),
        party=tuple(p or None for p in tables.truth.party.tolist()),
        t=np.asarray(tables.truth.t, dtype=np.float64),
        observations=np.bincount(event_of, minlength=n_events).astype(np.int64),
        independent=_independent(table, event_of, n_events),
    )

    def make(rows: IndexArray) -> list[Observation]:
        return observations_of(_rows_of_tables(tables, rows))

    return EvaluationData(
        loaded=tables.loaded,
        sources=tuple(tables.sources),
        table=table,
        event_of=event_of,
        received_t=np.asarray(tables.received_t, dtype=np.float64),
        truth=truth,
        prenotifications=tuple(tables.prenotifications),
        start=tables.start,
        end=tables.end,
        seed=tables.seed,
        make_objects=make,
    )


_COLUMNS = (
    "ids",
    "lon",
    "lat",
    "t",
    "time_unc",
    "loc_unc",
    "kind",
    "domain",
    "grade",
    "source",
    "group",
    "is_party",
    "party",
    "weapon",
    "calibre",
    "origin_lon",
    "origin_lat",
    "bearing",
)
"""The row columns of an `ObservationTable`."""


def table_rows(table: ObservationTable, rows: IndexArray) -> ObservationTable:
    """The table cut down to some rows (sorted), with the same vocabularies."""
    return ObservationTable(
        **{name: getattr(table, name)[rows] for name in _COLUMNS},
        sources=table.sources,
        groups=table.groups,
        parties=table.parties,
        weapon_classes=table.weapon_classes,
    )


def _rows_of_tables(tables: ScenarioTables, rows: IndexArray) -> ScenarioTables:
    """The scenario cut down to some observation rows (sorted), for `observations_of`."""
    return replace(
        tables,
        observations=table_rows(tables.observations, rows),
        received_t=tables.received_t[rows],
        event_index=tables.event_index[rows],
        source_refs=tables.source_refs[rows],
        attributes={name: column[rows] for name, column in tables.attributes.items()},
    )


def from_scenario(scenario: Scenario) -> EvaluationData:
    """The evaluation form of a scenario of objects (`simulate`, or built by hand)."""
    observations = sorted(scenario.observations, key=lambda o: o.id)
    table = ObservationTable.from_observations(observations, scenario.registry())
    if len(table) != len(observations):
        raise InputError(
            "the scenario holds two observations with one id; give each report its own id",
            field="observations",
        )
    position = {obs_id: k for k, obs_id in enumerate(table.ids.tolist())}
    event_of = np.full(len(table), -1, dtype=np.int64)
    for k, event in enumerate(scenario.truth):
        for obs_id in event.observation_ids:
            if obs_id not in position:
                raise InputError(
                    f"true event {event.id!r} names observation {obs_id!r}, which the scenario "
                    "does not hold",
                    field="observation_ids",
                )
            event_of[position[obs_id]] = k
    n_events = len(scenario.truth)
    _checked_events(event_of, n_events, table.ids)
    truth = GroundTruth(
        ids=np.array([e.id for e in scenario.truth], dtype=str),
        category=np.array([e.category.value for e in scenario.truth], dtype=str),
        rules=tuple(e.rules for e in scenario.truth),
        party=tuple(e.party for e in scenario.truth),
        t=np.array([e.time.timestamp() for e in scenario.truth], dtype=np.float64),
        observations=np.bincount(event_of, minlength=n_events).astype(np.int64),
        independent=_independent(table, event_of, n_events),
    )

    def make(rows: IndexArray) -> list[Observation]:
        return [observations[r] for r in rows.tolist()]

    return EvaluationData(
        loaded=scenario.loaded,
        sources=tuple(scenario.sources),
        table=table,
        event_of=event_of,
        received_t=np.array([o.received_at.timestamp() for o in observations], dtype=np.float64),
        truth=truth,
        prenotifications=tuple(scenario.prenotifications),
        start=scenario.start,
        end=scenario.end,
        seed=scenario.seed,
        make_objects=make,
    )
