"""The thermal background on the real NASA FIRMS history, the strategies on real and
synthetic batches, the ingest of a FIRMS file with and without a baseline, the commands."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from truceline.cli.thermal import baseline_app, thermal_app
from truceline.errors import InputError
from truceline.observations.model import Credibility, Kind
from truceline.sources.ingest import ThermalOptions, ingest_file
from truceline.sources.registry import SourceRegistry
from truceline.sources.thermal.baseline import (
    BaselineModel,
    build,
    load,
    save,
    season_day,
)
from truceline.sources.thermal.classify import Strategy, classify
from truceline.sources.thermal.history import Detections, read_detections, read_many
from truceline.store import Store

NORMAL = (2012, 2013, 2016, 2018, 2019, 2020, 2021)


@pytest.fixture(scope="module")
def history(shared_data: Path) -> Detections:
    folder = shared_data / "firms" / "history"
    return read_many([folder / f"ukr_fire_data_{y}.csv" for y in NORMAL])


@pytest.fixture(scope="module")
def model(history: Detections) -> BaselineModel:
    return build(history, set(NORMAL))


def _one_day_file(shared_data: Path) -> Path:
    return (
        shared_data
        / "firms"
        / "viirs_noaa20_2025"
        / "J1_VIIRS_C2_Global_VJ114IMGTDL_NRT_2025250.csv"
    )


def test_history_is_read_whole(history: Detections) -> None:
    assert len(history) == 692_344
    assert set(np.unique(history.years()).tolist()) == set(NORMAL)


def test_the_busiest_cell_day_of_the_season_at_its_usual_level_is_normal(
    model: BaselineModel,
) -> None:
    season = 222  # 11 August: harvest and stubble burning
    cell = int(np.argmax(model.mean[:, season]))
    row = model.stats.row0 + cell // model.stats.n_cols
    col = model.stats.col0 + cell % model.stats.n_cols
    usual = max(1, round(float(model.mean[cell, season])))
    lat, lon = np.array([(row + 0.5) / 10]), np.array([(col + 0.5) / 10])
    p, _ = model.exceedance(lat, lon, np.array([season]), np.array([usual]))
    assert p[0] > 0.5
    batch = Detections.of([lat[0]] * usual, [lon[0]] * usual, ["2024-08-11"] * usual)
    for strategy in Strategy:
        assert not classify(batch, model, strategy).anomalous.any()


def test_a_burst_in_a_cell_without_history_is_anomalous_the_same_day(
    model: BaselineModel,
) -> None:
    totals = np.zeros(model.stats.n_cells * 365)
    totals[model.stats.index] = model.stats.total
    quiet = np.flatnonzero(totals.reshape(model.stats.n_cells, 365).sum(axis=1) == 0)
    cell = int(quiet[len(quiet) // 2])
    row = model.stats.row0 + cell // model.stats.n_cols
    col = model.stats.col0 + cell % model.stats.n_cols
    lat, lon = (row + 0.5) / 10, (col + 0.5) / 10
    batch = Detections.of([lat] * 12, [lon] * 12, ["2024-05-20"] * 12)
    result = classify(batch, model, Strategy.SAME_DAY)
    assert result.anomalous.all()
    assert result.p[0] < 1e-3
    assert result.score[0] >= 3.0
    assert result.credibility(0, Credibility.PROBABLY_TRUE) <= Credibility.POSSIBLY_TRUE
    # once, it is not yet war-related for the retrospective rule; repeated 7 days later it is
    again = Detections.of([lat] * 24, [lon] * 24, ["2024-05-20"] * 12 + ["2024-05-27"] * 12)
    assert not classify(batch, model, Strategy.RETROSPECTIVE).anomalous.any()
    assert classify(again, model, Strategy.RETROSPECTIVE).anomalous.all()


def test_save_and_load_give_the_same_model(model: BaselineModel, tmp_path: Path) -> None:
    path = tmp_path / "baseline.npz"
    size = save(model, path)
    assert 0 < size < 4_000_000
    loaded = load(path)
    assert loaded.years == model.years
    assert np.array_equal(loaded.mean, model.mean)
    assert np.array_equal(loaded.phi, model.phi)


def test_a_file_that_is_not_a_baseline_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "baseline.npz"
    path.write_bytes(b"not numpy")
    with pytest.raises(InputError) as caught:
        load(path)
    assert caught.value.field == "baseline"
    with pytest.raises(InputError):
        load(tmp_path / "missing.npz")


def test_a_year_without_detections_is_refused(history: Detections) -> None:
    with pytest.raises(InputError) as caught:
        build(history, {2021, 2017})
    assert caught.value.field == "years"
    assert "2017" in str(caught.value)


def test_same_inputs_same_labels(model: BaselineModel, shared_data: Path) -> None:
    batch = read_detections(_one_day_file(shared_data))
    for strategy in Strategy:
        first = classify(batch, model, strategy)
        second = classify(batch, model, strategy)
        assert np.array_equal(first.anomalous, second.anomalous)
        assert np.array_equal(first.score, second.score)
        assert np.array_equal(first.reason, second.reason)


@settings(max_examples=15)
@given(st.randoms(use_true_random=False))
def test_labels_do_not_depend_on_the_order_of_detections(model: BaselineModel, rng: object) -> None:
    lat = np.array([48.01, 48.02, 48.03, 48.01, 47.55, 47.56, 50.1, 48.01])
    lon = np.array([37.81, 37.82, 37.83, 37.81, 35.11, 35.12, 30.5, 37.81])
    days = [
        "2024-06-01",
        "2024-06-01",
        "2024-06-01",
        "2024-06-09",
        "2024-06-01",
        "2024-06-03",
        "2024-06-01",
        "2024-06-12",
    ]
    batch = Detections.of(lat, lon, days)
    order = list(range(len(lat)))
    rng.shuffle(order)  # type: ignore[attr-defined]
    shuffled = batch.take(np.array(order))
    for strategy in Strategy:
        a = classify(batch, model, strategy)
        b = classify(shuffled, model, strategy)
        assert np.array_equal(b.anomalous, a.anomalous[order])
        assert np.array_equal(b.score, a.score[order])


def test_a_normal_year_held_out_is_rarely_flagged(history: Detections) -> None:
    years = history.years()
    held_out = build(history.take(years != 2021), set(NORMAL) - {2021})
    batch = history.take(years == 2021)
    for strategy in Strategy:
        share = classify(batch, held_out, strategy).anomalous.mean()
        assert share < 0.05, strategy


def test_context_counts_for_persistence_but_gets_no_label(model: BaselineModel) -> None:
    lat, lon = 46.05, 31.05
    earlier = Detections.of([lat] * 8, [lon] * 8, ["2024-05-12"] * 8)
    today = Detections.of([lat] * 8, [lon] * 8, ["2024-05-20"] * 8)
    alone = classify(today, model, Strategy.SAME_DAY)
    with_context = classify(today, model, Strategy.SAME_DAY, context=earlier)
    assert len(with_context) == len(today)
    assert "excess in the 10 days before" in str(with_context.reason[0])
    assert with_context.score[0] == pytest.approx(alone.score[0] + 1.0, abs=1e-3)


def test_near_the_line_adds_a_point(model: BaselineModel) -> None:
    batch = Detections.of([48.05, 48.05], [36.05, 36.05], ["2024-05-20"] * 2)
    far = classify(batch, model, distance_to_line_km=np.array([100.0, 100.0]))
    near = classify(batch, model, distance_to_line_km=np.array([5.0, 5.0]))
    assert near.score[0] == pytest.approx(far.score[0] + 1.0, abs=1e-3)
    assert "near the line" in str(near.reason[0])


def test_ingest_with_a_baseline_stores_usual_fires_as_fire(
    model: BaselineModel, shared_data: Path, store: Store, received_at: datetime
) -> None:
    path = _one_day_file(shared_data)
    report = ingest_file(
        path,
        store,
        registry=SourceRegistry(),
        progress=False,
        received_at=received_at,
        thermal=ThermalOptions(model=model, strategy=Strategy.SAME_DAY, name="test.npz"),
    )
    stored = store.observations()
    kinds = {o.kind for o in stored}
    assert report.anomalous + report.normal == report.stored_new == len(stored)
    assert report.normal > 0
    assert Kind.FIRE in kinds
    assert "strategy same-day" in report.thermal
    detections = read_detections(path)
    expected = classify(detections, model, Strategy.SAME_DAY)
    assert report.anomalous == int(expected.anomalous.sum())
    for o in stored:
        assert o.attributes["thermal_strategy"] == "same-day"
        assert isinstance(o.attributes["thermal_score"], float)
        if o.kind is Kind.THERMAL_ANOMALY:
            assert str(o.attributes["thermal_reason"]).startswith("excess")
            assert o.credibility >= Credibility.PROBABLY_TRUE
        else:
            assert o.kind is Kind.FIRE


def test_ingest_without_a_baseline_is_unchanged_and_says_so(
    shared_data: Path, store: Store, received_at: datetime
) -> None:
    report = ingest_file(
        _one_day_file(shared_data),
        store,
        registry=SourceRegistry(),
        progress=False,
        received_at=received_at,
    )
    assert "no thermal baseline" in report.thermal
    stored = store.observations()
    assert stored
    assert {o.kind for o in stored} == {Kind.THERMAL_ANOMALY}
    assert all("thermal_score" not in o.attributes for o in stored)


def test_commands_build_show_and_classify(shared_data: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    history = shared_data / "firms" / "history"
    db = tmp_path / "ua.sqlite"
    built = runner.invoke(
        baseline_app,
        [
            "build",
            str(history / "ukr_fire_data_2021.csv"),
            str(history / "ukr_fire_data_2020.csv"),
            "--years",
            "2020-2021",
            "--db",
            str(db),
        ],
    )
    assert built.exit_code == 0, built.output
    assert (tmp_path / "ua.thermal-baseline.npz").is_file()
    shown = runner.invoke(baseline_app, ["show", "--db", str(db)])
    assert shown.exit_code == 0, shown.output
    assert "2020, 2021" in shown.output
    out = tmp_path / "labels.csv"
    day = _one_day_file(shared_data)
    done = runner.invoke(
        thermal_app,
        ["classify", str(day), "--db", str(db), "--strategy", "retrospective", "--out", str(out)],
    )
    assert done.exit_code == 0, done.output
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["latitude", "longitude", "date", "label", "score"]
    assert len(rows) - 1 == len(read_detections(day))
    assert {r[3] for r in rows[1:]} <= {"anomalous", "normal"}


def test_build_without_normal_years_in_the_files_fails_with_advice(
    shared_data: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    history = shared_data / "firms" / "history"
    result = runner.invoke(
        baseline_app,
        [
            "build",
            str(history / "ukr_fire_data_2021.csv"),
            "--years",
            "2019",
            "--db",
            str(tmp_path / "x.sqlite"),
        ],
    )
    assert result.exit_code == 1
    bad = runner.invoke(
        baseline_app,
        [
            "build",
            str(history / "ukr_fire_data_2021.csv"),
            "--years",
            "twenty",
            "--db",
            str(tmp_path / "x.sqlite"),
        ],
    )
    assert bad.exit_code == 1


def test_season_day_of_real_dates(history: Detections) -> None:
    days = season_day(history.day[:1000])
    assert days.min() >= 0
    assert days.max() <= 364
