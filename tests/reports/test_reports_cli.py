"""`truceline report` end to end: a simulated theatre through the pipeline into a store,
then both editions from the command line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from truceline.adjudication.determination import Status
from truceline.cli.report import report
from truceline.pipeline import run_all
from truceline.reports.period import ReportingPeriod
from truceline.simulation.files import GAPS_FILE, write_scenario
from truceline.simulation.scenario import simulate
from truceline.simulation.tables import simulate_tables
from truceline.simulation.theatre import generate_theatre
from truceline.store import open_store

DAYS = 4
SEED = 5
REPORT_DAY = date(2025, 9, 4)
PUBLIC_TYPES = {"acoustic", "fixed_camera", "ground_patrol", "satellite_thermal", "open_source"}


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(report)
    return app


@pytest.fixture(scope="module")
def scenario_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A store filled by the simulator and the pipeline, some sources released to the
    public, and the scenario's coverage gaps file."""
    folder = tmp_path_factory.mktemp("scenario")
    loaded = generate_theatre(seed=SEED)
    write_scenario(simulate_tables(loaded, days=DAYS, seed=SEED), folder / "files", days=DAYS)
    scenario = simulate(loaded, days=DAYS, seed=SEED)
    types = {s.id: s.type.value for s in scenario.sources}
    observations = [
        o.model_copy(update={"releasability": "public"})
        if types.get(o.source_id) in PUBLIC_TYPES
        else o
        for o in scenario.observations
    ]
    db = folder / "store.sqlite"
    with open_store(db) as store:
        store.upsert_sources(scenario.sources)
        store.add_observations(observations)
        for notice in scenario.prenotifications:
            store.add_prenotification(notice)
        run_all(store, loaded)
    return db, folder / "files" / GAPS_FILE


def test_report_writes_both_editions_from_a_simulated_store(
    scenario_store: tuple[Path, Path], tmp_path: Path
) -> None:
    db, gaps = scenario_store
    out = tmp_path / "out"
    result = CliRunner().invoke(
        _app(),
        ["--db", str(db), "--date", REPORT_DAY.isoformat(), "--out", str(out), "--gaps", str(gaps)],
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "truceline-report-2025-09-04-public.html",
        "truceline-report-2025-09-04-public.pdf",
        "truceline-report-2025-09-04-restricted.html",
        "truceline-report-2025-09-04-restricted.pdf",
    ]
    # the restricted edition counts exactly the determinations whose incident starts in
    # the period
    period = ReportingPeriod(REPORT_DAY)
    with open_store(db, create=False) as store:
        starts = {i.id: i.start for i in store.incidents(window=period.window)}
        statuses = [
            d.status
            for d in store.determinations(window=period.window)
            if d.incident_id in starts and period.contains(starts[d.incident_id])
        ]
    violations = sum(s in (Status.CLEAR_BREACH, Status.SUSPECTED_BREACH) for s in statuses)
    clear = statuses.count(Status.CLEAR_BREACH)
    assert violations > 0
    assert f"restricted: {violations} violations ({clear} clear)" in " ".join(result.output.split())
    restricted = (out / "truceline-report-2025-09-04-restricted.html").read_text(encoding="utf-8")
    public = (out / "truceline-report-2025-09-04-public.html").read_text(encoding="utf-8")
    assert "Coverage was incomplete" in restricted
    assert "uav-" in restricted
    assert "uav-" not in public
    assert "det-" not in public
    assert "NASA FIRMS" in public


def test_one_edition_and_a_cutoff_with_an_offset(
    scenario_store: tuple[Path, Path], tmp_path: Path
) -> None:
    db, _ = scenario_store
    result = CliRunner().invoke(
        _app(),
        [
            "--db", str(db), "--date", "2025-09-03", "--out", str(tmp_path),
            "--edition", "public", "--cutoff", "19:30+02:00", "--html-only",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (html,) = tmp_path.iterdir()
    text = html.read_text(encoding="utf-8")
    assert "19:30 UTC+02:00 (17:30 UTC)" in text
    assert "No coverage information was supplied; areas not observed are not known." in text


@pytest.mark.parametrize(
    ("arguments", "code", "message"),
    [
        (["--date", "4 Sept"], 1, "date: '4 Sept' is not a date"),
        (["--date", "2025-09-04", "--cutoff", "25:00"], 1, "cutoff:"),
        (["--date", "2025-09-04", "--edition", "secret"], 2, "give one of public"),
        (["--date", "2025-09-04", "--gaps", "missing.csv"], 1, "no such coverage-gaps file"),
        (["--date", "2025-09-04", "--region-names", "n.csv"], 2, "--region-names needs"),
    ],
)
def test_bad_arguments_are_refused_with_what_to_do(
    scenario_store: tuple[Path, Path],
    tmp_path: Path,
    arguments: list[str],
    code: int,
    message: str,
) -> None:
    db, _ = scenario_store
    result = CliRunner().invoke(
        _app(), ["--db", str(db), "--out", str(tmp_path / "out"), *arguments]
    )
    assert result.exit_code == code
    assert message in " ".join(result.output.split())


def test_a_missing_store_or_one_without_agreement_exits_3(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(
        _app(), ["--db", str(tmp_path / "none.sqlite"), "--date", "2025-09-04", "--out", "x"]
    )
    assert missing.exit_code == 3
    assert "no store at" in missing.output
    empty = tmp_path / "empty.sqlite"
    open_store(empty).close()
    result = runner.invoke(
        _app(), ["--db", str(empty), "--date", "2025-09-04", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 3
    assert "holds no agreement" in " ".join(result.output.split())
