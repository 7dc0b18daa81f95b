"""End to end on a small simulated scenario: the batch pass, the streaming replay, and
the same figures twice from the same seed."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from truceline.errors import InputError
from truceline.evaluation.data import EvaluationData, from_scenario, from_tables
from truceline.evaluation.matching import match
from truceline.evaluation.metrics import quality
from truceline.evaluation.replay import Replay, replay
from truceline.evaluation.run import determine, evaluate, replay_window
from truceline.fusion.incident import Incident
from truceline.simulation.scenario import scenario_of
from truceline.simulation.tables import simulate_tables
from truceline.simulation.theatre import generate_theatre
from truceline.simulation.truth import Category

SEED = 3
BATCH_S = 180.0


@pytest.fixture(scope="module")
def data() -> EvaluationData:
    return from_tables(simulate_tables(generate_theatre(seed=SEED), days=1, seed=SEED))


@pytest.fixture(scope="module")
def batch(data: EvaluationData) -> tuple[list[Incident], list[object]]:
    incidents, determinations, _ = determine(data)
    return incidents, list(determinations)


@pytest.fixture(scope="module")
def replayed(data: EvaluationData) -> Replay:
    return replay(data, batch_seconds=BATCH_S)


def test_the_scenario_has_what_the_checks_below_need(data: EvaluationData) -> None:
    truth = data.truth
    assert int(truth.is_category(Category.VIOLATION).sum()) > 5
    assert int((truth.independent >= 2).sum()) > 0
    assert len(data.observation_ids) > 100


def test_object_and_column_forms_of_one_scenario_agree(data: EvaluationData) -> None:
    tables = simulate_tables(generate_theatre(seed=SEED), days=1, seed=SEED)
    objects = from_scenario(scenario_of(tables))
    assert np.array_equal(objects.observation_ids, data.observation_ids)
    assert np.array_equal(objects.truth.ids[objects.event_of], data.truth.ids[data.event_of])
    assert np.array_equal(objects.received_t, data.received_t)
    rows = np.array([5, 0, 17], dtype=np.int64)
    assert data.objects(rows) == objects.objects(rows)


def test_the_replay_ends_where_the_batch_pass_does(
    batch: tuple[list[Incident], list[object]], replayed: Replay
) -> None:
    """Fed in order of arrival, batch by batch, the store ends with the incidents and
    determinations of one pass over everything."""
    incidents, determinations = batch
    assert list(replayed.incidents) == sorted(incidents, key=lambda i: i.id)
    assert list(replayed.determinations) == sorted(
        determinations,
        key=lambda d: d.incident_id,  # type: ignore[attr-defined]
    )


def test_every_alert_is_a_violation_found_as_a_clear_breach(
    data: EvaluationData, batch: tuple[list[Incident], list[object]], replayed: Replay
) -> None:
    incidents, determinations = batch
    result = quality(match(data, incidents, determinations), data)  # type: ignore[arg-type]
    assert replayed.alerts, "the scenario should raise at least one alert"
    # Each violation is alerted at most once; the final state finds every alerted one.
    events = [a.event for a in replayed.alerts]
    assert len(events) == len(set(events))
    assert len(events) >= result.clear.found_all
    violation = data.truth.is_category(Category.VIOLATION)
    assert all(bool(violation[e]) for e in events)


def test_alert_times_are_consistent(data: EvaluationData, replayed: Replay) -> None:
    for alert in replayed.alerts:
        # The tipping report arrived in the alert's batch window, before it closed.
        assert alert.ready_t - BATCH_S <= alert.tipping_received_t < alert.ready_t
        assert alert.done_t >= alert.ready_t + alert.processing_s - 1e-9
        assert alert.from_observation_s > 0
        assert alert.from_event_s >= alert.from_observation_s
    assert replayed.batches == len(replayed.processing_s) == len(replayed.batch_sizes)
    assert int(replayed.batch_sizes.sum()) == replayed.observations == len(data.observation_ids)
    assert bool((replayed.processing_s > 0).all())


def test_a_window_replays_only_its_arrivals_after_judging_the_rest(
    data: EvaluationData, replayed: Replay
) -> None:
    window = replay_window(data, from_day=0.5, hours=3)
    assert window.start == (data.start + timedelta(hours=12)).timestamp()
    part = replay(data, batch_seconds=BATCH_S, window=window)
    before = int((data.received_t < window.start).sum())
    inside = int(((data.received_t >= window.start) & (data.received_t < window.end)).sum())
    assert (part.preloaded, part.observations) == (before, inside)
    # Alerts raised inside the window are those the full replay raises there.
    assert window.start is not None
    assert window.end is not None
    full = {a.event for a in replayed.alerts if window.start <= a.tipping_received_t < window.end}
    assert {a.event for a in part.alerts} == full


def test_bad_replay_settings_are_refused(data: EvaluationData) -> None:
    with pytest.raises(InputError) as caught:
        replay(data, batch_seconds=0.0)
    assert caught.value.field == "batch_seconds"
    with pytest.raises(InputError) as caught:
        replay_window(data, from_day=-1.0, hours=None)
    assert caught.value.field == "from_day"


def test_the_same_seed_gives_the_same_figures(data: EvaluationData) -> None:
    again = from_tables(simulate_tables(generate_theatre(seed=SEED), days=1, seed=SEED))
    first = evaluate(data, run_replay=False).to_json()
    second = evaluate(again, run_replay=False).to_json()
    first.pop("seconds")
    second.pop("seconds")
    assert first == second
    assert first["quality"]["clear"]["determinations"] > 0
