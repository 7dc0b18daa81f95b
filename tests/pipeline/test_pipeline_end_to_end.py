"""The whole data flow through the store, as the command line and the demo run it."""

from __future__ import annotations

from pathlib import Path

import pytest

from truceline.adjudication.determination import Status
from truceline.pipeline import process_new, registry_of, run_all
from truceline.simulation.scenario import Scenario, simulate
from truceline.simulation.theatre import generate_theatre
from truceline.store import Store, open_store


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return simulate(generate_theatre(3), days=2, seed=3)


def _load(store: Store, scenario: Scenario) -> None:
    store.upsert_sources(scenario.sources)
    store.add_observations(scenario.observations)
    for notice in scenario.prenotifications:
        store.add_prenotification(notice)


def test_the_pipeline_finds_clear_breaches_and_explains_each(
    tmp_path: Path, scenario: Scenario
) -> None:
    with open_store(tmp_path / "run.sqlite") as store:
        _load(store, scenario)
        report = run_all(store, scenario.loaded)
        determinations = store.determinations()
        incidents = store.incidents()
    assert report.observations == len(scenario.observations)
    assert report.incidents == len(incidents) == len(determinations)
    clear = [d for d in determinations if d.status is Status.CLEAR_BREACH]
    assert clear, "a simulated week with violations seen by several sensors has clear breaches"
    for d in clear:
        assert "meets the clear-breach threshold" in d.explanation
        assert d.rules
        assert d.independent_sources >= 2
        assert d.agreement_id == scenario.loaded.agreement.id
    statuses = {d.status for d in determinations}
    assert Status.NO_VIOLATION in statuses
    assert Status.DECONFLICTED in statuses


def test_same_inputs_and_agreement_give_the_same_determinations(
    tmp_path: Path, scenario: Scenario
) -> None:
    results = []
    for name, observations in (
        ("a", scenario.observations),
        ("b", list(reversed(scenario.observations))),
    ):
        with open_store(tmp_path / f"{name}.sqlite") as store:
            store.upsert_sources(scenario.sources)
            store.add_observations(observations)
            for notice in scenario.prenotifications:
                store.add_prenotification(notice)
            run_all(store, scenario.loaded)
            results.append([d.model_dump() for d in store.determinations()])
    assert results[0] == results[1]


def test_feeding_observations_in_batches_gives_the_batch_result(
    tmp_path: Path, scenario: Scenario
) -> None:
    with open_store(tmp_path / "batch.sqlite") as store:
        _load(store, scenario)
        run_all(store, scenario.loaded)
        expected_incidents = store.incidents()
        expected = store.determinations()

    with open_store(tmp_path / "stream.sqlite") as store:
        store.upsert_sources(scenario.sources)
        store.add_agreement(scenario.loaded)
        for notice in scenario.prenotifications:
            store.add_prenotification(notice)
        registry = registry_of(store)
        by_arrival = sorted(scenario.observations, key=lambda o: (o.received_at, o.id))
        third = len(by_arrival) // 3
        for batch in (by_arrival[:third], by_arrival[third : 2 * third], by_arrival[2 * third :]):
            store.add_observations(batch)
            process_new(store, scenario.loaded, batch, registry)
        assert store.incidents() == expected_incidents
        assert store.determinations() == expected


def test_running_again_changes_nothing(tmp_path: Path, scenario: Scenario) -> None:
    with open_store(tmp_path / "again.sqlite") as store:
        _load(store, scenario)
        run_all(store, scenario.loaded)
        before = store.determinations()
        report = run_all(store, scenario.loaded)
        assert report.incidents_removed == 0
        assert store.determinations() == before
