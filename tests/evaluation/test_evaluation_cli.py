"""`truceline evaluate` as a user meets it: a table, a JSON file, clear refusals."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from truceline.cli.evaluate import evaluate

app = typer.Typer()
app.command()(evaluate)
runner = CliRunner()


def test_evaluate_prints_the_figures_and_writes_them_as_json(tmp_path: Path) -> None:
    out = tmp_path / "quality.json"
    result = runner.invoke(
        app,
        ["--days", "1", "--seed", "3", "--replay-hours", "4", "--json", str(out)],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "clear breaches: F1" in result.output
    assert "false clear breaches per 10,000 background events" in result.output
    assert "time to alert after the corroborating observation, p95" in result.output
    figures = json.loads(out.read_text())
    assert figures["scenario"]["seed"] == 3
    assert figures["latency"]["window_end"] == "2025-09-01T04:00:00Z"
    names = [check["name"] for check in figures["checks"]]
    assert names == [
        "clear-breach F1",
        "false clear breaches per 10,000 background events",
        "time to alert after the corroborating observation, p95 (s)",
    ]
    clear = figures["quality"]["clear"]
    assert 0.0 <= clear["precision"] <= 1.0
    assert clear["found"] <= clear["violations"]


def test_without_replay_there_is_no_time_to_alert(tmp_path: Path) -> None:
    out = tmp_path / "quality.json"
    result = runner.invoke(app, ["--days", "1", "--seed", "3", "--no-replay", "--json", str(out)])
    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text())
    assert figures["latency"] is None
    assert figures["checks"][2]["passed"] is None


def test_a_folder_for_json_is_refused_with_what_to_do(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--days", "1", "--no-replay", "--json", str(tmp_path)])
    assert result.exit_code == 1
    assert "is a folder; give a file name" in result.output


def test_a_missing_scenario_folder_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--scenario", str(tmp_path / "nowhere"), "--no-replay"])
    assert result.exit_code == 1
    assert "--scenario" in result.output or "saved scenarios" in result.output


def test_a_scenario_written_by_simulate_is_evaluated(tmp_path: Path) -> None:
    from truceline.cli.app import app as truceline

    folder = tmp_path / "scenario"
    written = runner.invoke(truceline, ["simulate", "--out", str(folder), "--days", "1"])
    assert written.exit_code == 0, written.output
    out = tmp_path / "quality.json"
    result = runner.invoke(
        app, ["--scenario", str(folder), "--no-replay", "--json", str(out)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text())
    assert figures["scenario"]["start"] == "2025-09-01T00:00:00Z"
    assert figures["scenario"]["observations"] > 0
    # The same day simulated in memory scores the same: the files lose nothing.
    direct = tmp_path / "direct.json"
    again = runner.invoke(app, ["--days", "1", "--seed", "7", "--no-replay", "--json", str(direct)])
    assert again.exit_code == 0, again.output
    assert json.loads(direct.read_text())["quality"] == figures["quality"]


def test_a_damaged_scenario_is_refused_naming_the_file(tmp_path: Path) -> None:
    from truceline.cli.app import app as truceline

    folder = tmp_path / "scenario"
    assert (
        runner.invoke(truceline, ["simulate", "--out", str(folder), "--days", "1"]).exit_code == 0
    )
    truth = folder / "truth.csv"
    truth.write_text(truth.read_text() + "tampered\n")
    result = runner.invoke(app, ["--scenario", str(folder), "--no-replay"])
    assert result.exit_code == 1
    assert "truth.csv" in result.output
