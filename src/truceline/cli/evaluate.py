"""`truceline evaluate`: the quality of determinations against a scenario's ground truth.

Register it on the main command with ``app.command()(evaluate)``; `python -m
truceline.cli.evaluate` runs it on its own. docs/evaluation.md defines every figure.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from truceline.errors import TrucelineError
from truceline.evaluation.data import EvaluationData
from truceline.evaluation.replay import DEFAULT_BATCH_SECONDS
from truceline.evaluation.run import Evaluation

console = Console()
err = Console(stderr=True)


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    return typer.Exit(code)


def _load_scenario(folder: Path) -> EvaluationData:
    """A scenario saved by `truceline simulate`, in evaluation form."""
    from truceline.evaluation.data import from_tables
    from truceline.simulation.files import load_scenario

    if not folder.is_dir():
        raise _fail(
            f"--scenario {folder}: no such folder; give the folder `truceline simulate --out` wrote"
        )
    try:
        return from_tables(load_scenario(folder))
    except TrucelineError as exc:
        raise _fail(f"--scenario {folder}: {exc}") from None


def evaluate(
    scenario: Annotated[
        Path | None,
        typer.Option(
            "--scenario",
            help="Evaluate on a saved scenario (a folder written by the simulator) instead of "
            "simulating one.",
        ),
    ] = None,
    days: Annotated[int, typer.Option(min=1, max=366, help="Days to simulate.")] = 7,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the simulation.")] = 7,
    observations: Annotated[
        int | None,
        typer.Option(
            "--observations",
            min=1,
            help="Simulate about this many observations (default: the normal intensity).",
        ),
    ] = None,
    json_out: Annotated[
        Path | None,
        typer.Option("--json", help="Also write every figure to this JSON file."),
    ] = None,
    batch_seconds: Annotated[
        float,
        typer.Option(
            "--batch-seconds", min=0.001, help="Replay: seconds of arrivals in one batch."
        ),
    ] = DEFAULT_BATCH_SECONDS,
    replay_from_day: Annotated[
        float | None,
        typer.Option(
            "--replay-from-day",
            min=0,
            help="Replay: start this many days into the scenario (what arrived before is "
            "judged in one pass first). Default: from the start.",
        ),
    ] = None,
    replay_hours: Annotated[
        float | None,
        typer.Option(
            "--replay-hours", min=0, help="Replay: this many hours of arrivals (default: all)."
        ),
    ] = None,
    no_replay: Annotated[
        bool, typer.Option("--no-replay", help="Skip the replay (no time to alert).")
    ] = False,
) -> None:
    """Score determinations against the ground truth of a simulated scenario.

    Fuses and judges every observation, matches determinations with the true events, and
    replays the stream in order of arrival to measure the time to alert. Prints each figure
    beside its target; exit code 0 whether or not the targets are met.
    """
    from truceline.evaluation.run import evaluate as run_evaluation
    from truceline.evaluation.run import replay_window, simulated
    from truceline.simulation.theatre import generate_theatre

    if json_out is not None and json_out.is_dir():
        raise _fail(f"--json {json_out} is a folder; give a file name, e.g. {json_out / 'q.json'}")
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as progress:
            step = progress.add_task("preparing", total=None)

            def stage(name: str) -> None:
                progress.update(step, description=name)

            if scenario is not None:
                stage("reading the scenario")
                data = _load_scenario(scenario)
            else:
                data = simulated(
                    generate_theatre(seed),
                    days=days,
                    seed=seed,
                    observations=observations,
                    progress=lambda name: stage(f"simulating: {name}"),
                )
            window = replay_window(data, from_day=replay_from_day, hours=replay_hours)
            bar = progress.add_task("replay", total=None, visible=False)

            def advance(n: int) -> None:
                progress.update(bar, advance=n, visible=True)

            def staged(name: str) -> None:
                stage(name)
                if name.startswith("replaying"):
                    progress.update(bar, total=_replayed(data, window), visible=True)

            result = run_evaluation(
                data,
                window=window,
                batch_seconds=batch_seconds,
                run_replay=not no_replay,
                advance=advance,
                stage=staged,
            )
    except TrucelineError as exc:
        raise _fail(str(exc)) from None
    print_evaluation(console, result)
    if json_out is not None:
        try:
            json_out.write_text(json.dumps(result.to_json(), indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise _fail(f"cannot write --json {json_out}: {exc.strerror}; check the path") from None
        console.print(f"Every figure is in {json_out}.")


def _replayed(data: EvaluationData, window: Any) -> int:
    received = data.received_t
    inside = received >= (window.start if window.start is not None else -float("inf"))
    if window.end is not None:
        inside &= received < window.end
    return int(inside.sum())


def _number(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 3600:
        return f"{value / 3600:.1f} h"
    if value >= 120:
        return f"{value / 60:.1f} min"
    return f"{value:.1f} s"


def print_evaluation(console: Console, result: Evaluation) -> None:
    """The figures beside their targets, then why breaches were missed or false."""
    s = result.scenario
    console.print(
        f"[bold]Evaluation[/] on {s['agreement']}, {s['start']} to {s['end']}, seed {s['seed']}: "
        f"{s['observations']} observations, {s['events']} true events"
    )
    q = result.quality
    passed = {c.name: c for c in result.checks}
    table = Table(title="Quality against the ground truth", title_justify="left")
    for column in ("figure", "value", "target", "result"):
        table.add_column(column, justify="left" if column == "figure" else "right")

    def verdict(name: str) -> tuple[str, str]:
        check = passed[name]
        if check.passed is None:
            return check.target, "n/a"
        return check.target, "[green]pass[/]" if check.passed else "[red]fail[/]"

    c, b = q.clear, q.breach
    table.add_row(
        "clear breaches: precision",
        _number(c.precision),
        "",
        "",
    )
    table.add_row(
        f"clear breaches: recall ({c.found}/{c.violations} corroborated violations)",
        _number(c.recall),
        "",
        "",
    )
    table.add_row("clear breaches: F1", _number(c.f1), *verdict("clear-breach F1"))
    table.add_row(
        f"clear breaches: recall of every violation ({c.found_all}/{c.violations_all})",
        _number(c.recall_all),
        "",
        "",
    )
    table.add_row("all breaches: precision", _number(b.precision), "", "")
    table.add_row(
        f"all breaches: recall ({b.found}/{b.violations} reported violations)",
        _number(b.recall),
        "",
        "",
    )
    table.add_row("all breaches: F1", _number(b.f1), "", "")
    bg = q.background
    table.add_row(
        f"false clear breaches per 10,000 background events ({bg.false_clear} in {bg.events})",
        _number(bg.per_10k, 2),
        *verdict("false clear breaches per 10,000 background events"),
    )
    a = q.attribution
    table.add_row(
        f"attribution accuracy ({a.right}/{a.attributed} attributed breaches)",
        _number(a.accuracy),
        "",
        "",
    )
    table.add_row(
        f"attribution accuracy, clear breaches ({a.clear_right}/{a.clear_attributed})",
        _number(a.clear_accuracy),
        "",
        "",
    )
    latency = result.latency
    if latency is not None:
        name = "time to alert after the corroborating observation, p95 (s)"
        table.add_row(
            "time to alert after the corroborating observation, median",
            _seconds(latency.from_observation_median_s),
            "",
            "",
        )
        target, outcome = verdict(name)
        table.add_row(
            f"time to alert after the corroborating observation, p95 ({latency.alerts} alerts)",
            _seconds(latency.from_observation_p95_s),
            target.replace("< ", "< ") + " s",
            outcome,
        )
        table.add_row(
            "time to alert after the event, median (simulated delay + processing)",
            _seconds(latency.from_event_median_s),
            "",
            "",
        )
        table.add_row(
            "time to alert after the event, p95", _seconds(latency.from_event_p95_s), "", ""
        )
        table.add_row(
            f"processing time per batch, p95 ({latency.batches} batches, measured)",
            _seconds(latency.batch_processing_p95_s),
            "",
            "",
        )
    console.print(table)
    causes = Table(title="Why some determinations are wrong", title_justify="left")
    causes.add_column("what")
    causes.add_column("cause")
    causes.add_column("count", justify="right")
    from truceline.evaluation.metrics import MISSED_CAUSES

    for cause, count in q.missed_clear_by_cause.items():
        causes.add_row("corroborated violation, no clear breach", MISSED_CAUSES[cause], str(count))
    for cause, count in q.false_clear_by_cause.items():
        causes.add_row("false clear breach", _false_words(cause), str(count))
    causes.add_row("incidents holding reports of several true events", "", str(q.mixed_incidents))
    causes.add_row(
        "reported violations whose reports lie in several incidents", "", str(q.split_violations)
    )
    console.print(causes)


def _false_words(cause: str) -> str:
    if cause == "duplicate":
        return "a second clear breach of one violation (its reports split between incidents)"
    if cause == "wrong_rule":
        return "belongs to a violation, but of another rule"
    if cause.startswith("merged:"):
        category = cause.removeprefix("merged:").replace("_", " ")
        return f"belongs to a {category}, but also holds reports of a violation of the rule"
    return f"belongs to a {cause.replace('_', ' ')}"


if __name__ == "__main__":
    typer.run(evaluate)
