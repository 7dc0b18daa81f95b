"""`truceline export`: one layer of the store as GeoJSON, CSV or GeoParquet (docs/opendata.md).

Register it on the main command with ``app.command("export")(export)``;
`python -m truceline.cli.export` runs it on its own.

Exit codes: 0 written; 1 a filter refused (the message names it); 2 wrong usage; 3 the
store could not be opened or read. The file is written beside its final name and moved
there when complete, so a failed export never leaves half a file.
"""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from truceline.adjudication.determination import Status
from truceline.errors import InputError, StoreError, TrucelineError
from truceline.opendata import (
    Edition,
    Format,
    Layer,
    LayerFilter,
    Written,
    edition_principal,
    export_layer,
    open_data,
)
from truceline.store import BBox, TimeWindow, is_url, open_store

err = Console(stderr=True)

EARLIEST = datetime(1, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


def _fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    raise typer.Exit(code)


def _time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        _fail(f"{option}: {value!r} is not an ISO 8601 time, e.g. 2025-09-01T06:00:00Z")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        _fail(f"{option}: {value!r} has no time zone; add Z or an offset such as +02:00")
    return parsed.astimezone(UTC)


def _bbox(value: str | None) -> BBox | None:
    if value is None:
        return None
    try:
        numbers = [float(v) for v in value.split(",")]
    except ValueError:
        numbers = []
    if len(numbers) != 4:
        _fail(f"--bbox: expected min_lon,min_lat,max_lon,max_lat in degrees, got {value!r}")
    try:
        return BBox(*numbers)
    except InputError as exc:
        _fail(f"--bbox: {exc}")


def _window(start: str | None, end: str | None) -> TimeWindow | None:
    first, last = _time(start, "--start"), _time(end, "--end")
    if first is None and last is None:
        return None
    try:
        return TimeWindow(first or EARLIEST, last or LATEST)
    except InputError as exc:
        _fail(f"--start/--end: {exc}")


def _write(
    db: str,
    agreement_id: str | None,
    layer: Layer,
    fmt: Format,
    target: Path,
    edition: Edition,
    chosen: LayerFilter,
) -> Written:
    """Write the export next to `target`, then move it there."""
    with open_store(db, create=False) as store:
        data = open_data(store, agreement_id)
        total = data.extent(edition_principal(edition), layer, chosen).count
        temporary = target.with_name(f".{target.name}.{os.getpid()}.part")
        try:
            with (
                temporary.open("wb") as out,
                Progress(
                    TextColumn("[bold]{task.description}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                    console=err,
                    transient=True,
                ) as progress,
            ):
                task = progress.add_task(f"exporting {layer.value}", total=total)
                written = export_layer(
                    data,
                    layer,
                    fmt,
                    out,
                    principal=edition_principal(edition),
                    layer_filter=chosen,
                    on_chunk=lambda n: progress.advance(task, n),
                )
            temporary.replace(target)
        except BaseException:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise
    return written


def export(
    what: Annotated[
        Layer,
        typer.Option("--what", help="What to export: incidents, determinations, line, zones."),
    ],
    fmt: Annotated[Format, typer.Option("--format", "-f", help="geojson, csv or parquet.")],
    out: Annotated[Path, typer.Option("--out", help="The file to write (replaced if it exists).")],
    db: Annotated[
        str,
        typer.Option("--db", help="The store: a SQLite file, or a PostgreSQL URL (docs/store.md)."),
    ] = "truceline.sqlite",
    edition: Annotated[
        Edition,
        typer.Option(
            "--edition",
            help="public: only what is marked public (for publication); restricted: "
            "everything (the cell's).",
        ),
    ] = Edition.PUBLIC,
    start: Annotated[
        str | None, typer.Option("--start", help="From this time (ISO 8601, with zone).")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--end", help="Until this time (ISO 8601, with zone).")
    ] = None,
    bbox: Annotated[
        str | None, typer.Option("--bbox", help="min_lon,min_lat,max_lon,max_lat (WGS 84).")
    ] = None,
    min_confidence: Annotated[
        float | None,
        typer.Option("--min-confidence", min=0.0, max=1.0, help="At least this confident."),
    ] = None,
    status: Annotated[
        Status | None, typer.Option("--status", help="Judged with this status.")
    ] = None,
    clear_breach: Annotated[
        bool | None,
        typer.Option("--clear-breach/--not-clear-breach", help="Judged a clear breach, or not."),
    ] = None,
    zone: Annotated[str | None, typer.Option("--zone", help="Judged in this zone.")] = None,
    party: Annotated[
        str | None, typer.Option("--party", help="On this party's side or attributed to it.")
    ] = None,
    agreement_version: Annotated[
        int | None,
        typer.Option(
            "--agreement-version", min=1, help="Under this agreement version (default: latest)."
        ),
    ] = None,
    all_versions: Annotated[
        bool, typer.Option("--all-versions", help="Determinations under every version.")
    ] = False,
    agreement_id: Annotated[
        str | None,
        typer.Option(
            "--agreement-id", help="The agreement in force, when the store holds several."
        ),
    ] = None,
) -> None:
    """Export incidents, determinations, the line or the zones as GeoJSON, CSV or
    GeoParquet, for publication (--edition public) or for the cell (restricted)."""
    if not is_url(db) and not Path(db).exists():
        _fail(f"no store at {db}: check --db", 3)
    target = out.resolve()
    if target.is_dir():
        _fail(f"--out {out}: is a folder; give a file name, e.g. {what.value}{fmt.suffix}")
    if not target.parent.is_dir():
        _fail(f"--out {out}: folder {target.parent} does not exist; create it first")
    chosen = LayerFilter(
        window=_window(start, end),
        bbox=_bbox(bbox),
        min_confidence=min_confidence,
        status=status,
        clear_breach=clear_breach,
        zone=zone,
        party=party,
        agreement_version=agreement_version,
        all_versions=all_versions,
    )
    try:
        chosen.check_for(what)
        written = _write(db, agreement_id, what, fmt, target, edition, chosen)
    except InputError as exc:
        field = exc.field or "filter"
        message = str(exc).removeprefix(f"{field}: ")
        _fail(f"--{field.replace('_', '-')}: {message}")
    except StoreError as exc:
        _fail(str(exc), 3)
    except TrucelineError as exc:
        _fail(str(exc))
    err.print(
        f"Wrote {written.count} {what.value} ({edition.value} edition) to {out} as {fmt.value}."
    )


def main() -> None:
    """Run `export` as a command of its own."""
    typer.run(export)


if __name__ == "__main__":
    main()
