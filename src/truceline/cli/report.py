"""`truceline report`: the daily report of one period, as HTML and PDF, in a public and a
restricted edition (docs/reports.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from truceline.errors import InputError, StoreError, TrucelineError

console = Console()
err = Console(stderr=True)

EDITIONS = ("public", "restricted", "both")


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def report(
    date: Annotated[
        str,
        typer.Option("--date", help="The report date, YYYY-MM-DD: the period ends at its cut-off."),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Folder to write the reports into (created if missing).")
    ],
    db: Annotated[
        str,
        typer.Option("--db", help="The store: a SQLite file, or a PostgreSQL URL (docs/store.md)."),
    ] = "truceline.sqlite",
    cutoff: Annotated[
        str,
        typer.Option(
            "--cutoff",
            help="Cut-off time, HH:MM in UTC, or with an offset (19:30+02:00). Default 18:00.",
        ),
    ] = "18:00",
    regions: Annotated[
        Path | None,
        typer.Option(
            "--regions",
            help="Regions grid CSV (LATITUDE, LONGITUDE, region id); default: 50 km sectors "
            "along the line.",
        ),
    ] = None,
    region_names: Annotated[
        Path | None,
        typer.Option(
            "--region-names", help="CSV naming the regions (the grid's id column and a name)."
        ),
    ] = None,
    gaps: Annotated[
        Path | None,
        typer.Option(
            "--gaps", help="Coverage gaps CSV, as 'truceline simulate' writes coverage_gaps.csv."
        ),
    ] = None,
    edition: Annotated[str, typer.Option("--edition", help="public, restricted or both.")] = "both",
    credit: Annotated[
        list[str] | None,
        typer.Option("--credit", help="A data source to credit (repeatable)."),
    ] = None,
    html_only: Annotated[
        bool, typer.Option("--html-only", help="Write HTML only, no PDF.")
    ] = False,
) -> None:
    """Write the daily report of one period: HTML and PDF, public and restricted editions."""
    from truceline.reports import Edition, write_reports
    from truceline.reports.coverage import read_gaps
    from truceline.reports.period import ReportingPeriod, parse_cutoff, parse_date
    from truceline.reports.sectors import RegionGrid
    from truceline.store import is_url, open_store

    if edition not in EDITIONS:
        _fail(f"--edition {edition!r}: give one of {', '.join(EDITIONS)}", 2)
    if region_names is not None and regions is None:
        _fail("--region-names needs --regions: the names belong to a regions grid", 2)
    if out.exists() and not out.is_dir():
        _fail(f"--out {out} is a file; give a folder")
    if not is_url(db) and not Path(db).exists():
        _fail(
            f"no store at {db}: check --db, or create one with 'truceline ingest' or "
            "'truceline demo'",
            3,
        )
    try:
        period = ReportingPeriod(parse_date(date), parse_cutoff(cutoff))
        areas = RegionGrid.from_csv(regions, region_names) if regions is not None else None
        gap_list = read_gaps(gaps) if gaps is not None else None
    except InputError as exc:
        _fail(str(exc))
        return
    chosen = list(Edition) if edition == "both" else [Edition(edition)]
    out.mkdir(parents=True, exist_ok=True)
    steps = len(chosen) * (2 if html_only else 3)
    try:
        with (
            open_store(db, create=False) as store,
            Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TimeElapsedColumn(),
                console=err,
                transient=True,
            ) as progress,
        ):
            task = progress.add_task("report", total=steps)

            def on_step(text: str) -> None:
                progress.update(task, description=text)
                progress.advance(task)

            written = write_reports(
                store,
                period,
                out,
                editions=chosen,
                areas=areas,
                gaps=gap_list,
                credits=credit or (),
                pdf=not html_only,
                on_step=on_step,
            )
    except StoreError as exc:
        _fail(str(exc), 3)
        return
    except TrucelineError as exc:
        _fail(str(exc))
        return
    console.print(f"Report for {period.words} (cut-off {period.cutoff_words}):")
    for w in written:
        t = w.facts.totals.today
        files = ", ".join(str(p) for p in (w.html, w.pdf) if p is not None)
        console.print(
            f"  {w.facts.edition.value}: {t.violations} violations ({t.clear} clear), "
            f"{w.facts.redactions.total} redactions counted -> {files}"
        )
