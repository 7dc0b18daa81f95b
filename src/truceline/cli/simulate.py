"""`truceline simulate`: write a simulated scenario as feed files, with its ground truth.

The folder it writes is read by `truceline ingest` like real feeds (docs/simulation.md,
"A scenario on disk"); `truceline.simulation.files.load_scenario` reads it back whole.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from truceline.errors import InputError, TrucelineError

console = Console()
err = Console(stderr=True)


def _fail(message: str) -> None:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(1)


def simulate(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the scenario into.")],
    days: Annotated[int, typer.Option(min=1, max=366, help="Days to simulate.")] = 7,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the simulation.")] = 7,
    agreement: Annotated[
        Path | None,
        typer.Option(
            "--agreement", help="Simulate under this agreement instead of a generated theatre."
        ),
    ] = None,
    land: Annotated[
        Path | None,
        typer.Option(
            "--land",
            help="GeoJSON outline of the land (e.g. a country): keeps land events inside it.",
        ),
    ] = None,
    observations: Annotated[
        int | None,
        typer.Option(
            "--observations",
            min=1,
            help="Scale the intensity so that about this many observations (within 10 %) "
            "are written.",
        ),
    ] = None,
    intensity: Annotated[
        float, typer.Option(help="Scale every rate (a first guess with --observations).")
    ] = 1.0,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace a scenario already in the folder.")
    ] = False,
) -> None:
    """Simulate a theatre and days of sensor feeds; write feeds, truth and manifest."""
    from truceline.agreement.geometry_files import areas_from_geojson, read_geojson
    from truceline.agreement.loader import load_agreement
    from truceline.simulation.files import write_scenario
    from truceline.simulation.tables import simulate_tables
    from truceline.simulation.theatre import generate_theatre

    if land is not None and agreement is None:
        _fail("--land needs --agreement: the generated theatre has no outside land to mask")
    if out.exists() and not out.is_dir():
        _fail(f"--out {out} is a file; give a folder")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        _fail(f"--out {out} is not empty; pass --overwrite to replace it, or choose another folder")
    try:
        loaded = load_agreement(agreement) if agreement else generate_theatre(seed)
        mask = areas_from_geojson(read_geojson(land)) if land else None
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as progress:
            simulating = progress.add_task("simulating", total=None)

            def say(step: str) -> None:
                progress.update(simulating, description=f"simulating: {step}")

            tables = simulate_tables(
                loaded,
                days=days,
                seed=seed,
                intensity=intensity,
                land=mask,
                target_observations=observations,
                progress=say,
            )
            progress.remove_task(simulating)
            current: list[TaskID] = []

            def step(name: str, rows: int) -> None:
                if current:
                    progress.remove_task(current.pop())
                current.append(progress.add_task(f"writing {name}", total=rows))

            def advance(rows: int) -> None:
                if current:
                    progress.advance(current[0], rows)

            manifest = write_scenario(
                tables, out, days=days, overwrite=overwrite, step=step, advance=advance
            )
    except InputError as exc:
        option = {
            "target_observations": "--observations",
            "intensity": "--intensity",
            "out": "--out",
        }.get(exc.field or "", "")
        _fail(f"{option + ': ' if option else ''}{exc}")
    except TrucelineError as exc:
        _fail(str(exc))
    counts = manifest["counts"]
    console.print(
        f"wrote {counts['observations']} observations of {counts['true_events']} true events "
        f"({days} days, seed {seed}, intensity {manifest['intensity']:g}), "
        f"{counts['prenotifications']} pre-notifications and {counts['coverage_gaps']} "
        f"coverage gaps to {out}\n"
        f"  read them in: truceline ingest --sources {out / 'sources.yaml'} {out / 'feeds'}/*.csv"
    )
