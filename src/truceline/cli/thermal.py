"""`truceline baseline ...` and `truceline thermal ...`: the satellite thermal channel.

`baseline build` builds the background model of fire detections from the history files of
normal years and stores it beside the store; `baseline show` describes it; `thermal
classify` labels the detections of FIRMS files and writes them to a CSV file.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Annotated, NoReturn

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from truceline.errors import InputError, TrucelineError
from truceline.sources.ingest import ThermalOptions
from truceline.sources.thermal.baseline import (
    BaselineModel,
    baseline_path_for,
    fit,
    load,
    save,
    statistics,
)
from truceline.sources.thermal.classify import Strategy, classify, parse_strategy
from truceline.sources.thermal.history import Detections, read_detections

console = Console()
err = Console(stderr=True)

baseline_app = typer.Typer(
    help="Build and show the background model of satellite fire detections.",
    no_args_is_help=True,
)
thermal_app = typer.Typer(
    help="Label satellite fire detections as anomalous or normal.", no_args_is_help=True
)


@thermal_app.callback()
def _thermal() -> None:
    """Label satellite fire detections as anomalous or normal."""


DbOption = Annotated[Path, typer.Option("--db", help="The store; the baseline lives beside it.")]
BaselineOption = Annotated[
    Path | None,
    typer.Option("--baseline", help="The baseline file; default: the one beside --db."),
]
DEFAULT_DB = Path("truceline.sqlite")


def _fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def parse_years(text: str) -> set[int]:
    """'2012,2013,2016,2018-2021' as a set of years; InputError (field ``years``) otherwise."""
    years: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        try:
            if "-" in part:
                low, high = (int(v) for v in part.split("-", 1))
                if high < low:
                    raise ValueError
                years.update(range(low, high + 1))
            else:
                years.add(int(part))
        except ValueError:
            raise InputError(
                f"--years: {part!r} is not a year or a range of years; write e.g. "
                "2012,2013,2016,2018-2021",
                field="years",
            ) from None
    if not years or min(years) < 1970 or max(years) > 9999:
        raise InputError(f"--years: {text!r} names no year between 1970 and 9999", field="years")
    return years


def _read(files: list[Path], what: str) -> Detections:
    """Read FIRMS files with a progress bar (by bytes)."""
    sizes = [f.stat().st_size if f.is_file() else 0 for f in files]
    parts: list[Detections] = []
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(what, total=max(sum(sizes), 1))
        for path, size in zip(files, sizes, strict=True):
            bar.update(task, description=f"{what} {path.name}")
            parts.append(read_detections(path))
            bar.advance(task, size)
    return Detections.concatenate(parts)


def resolve_baseline(db: Path, baseline: Path | None) -> Path | None:
    """The baseline file to use: the one given, else the one beside the store if it exists."""
    if baseline is not None:
        return baseline
    beside = baseline_path_for(db)
    return beside if beside.is_file() else None


def ingest_thermal(db: Path, baseline: Path | None, strategy: str | None) -> ThermalOptions | None:
    """Thermal options of `truceline ingest`: None when there is no baseline (and none was
    asked for); InputError for a baseline that cannot be read or an unknown strategy."""
    chosen = parse_strategy(strategy, "--thermal-strategy") if strategy else Strategy.SAME_DAY
    path = resolve_baseline(db, baseline)
    if path is None:
        return None
    return ThermalOptions(model=load(path), strategy=chosen, name=path.name)


@baseline_app.command("build")
def baseline_build(
    files: Annotated[
        list[Path], typer.Argument(help="FIRMS CSV files of the history.", exists=True)
    ],
    years: Annotated[
        str,
        typer.Option(
            "--years",
            help="The normal years (no war), e.g. 2012,2013,2016,2018-2021; detections of "
            "other years in the files are left out.",
        ),
    ],
    db: DbOption = DEFAULT_DB,
    out: Annotated[
        Path | None, typer.Option("--out", help="Where to write it; default: beside --db.")
    ] = None,
) -> None:
    """Build the background model from the history of normal years and store it."""
    try:
        normal = parse_years(years)
        started = time.perf_counter()
        detections = _read(files, "reading")
        with err.status("fitting the background"):
            stats = statistics(detections, normal)
            model = fit(stats)
        target = out if out is not None else baseline_path_for(db)
        size = save(model, target)
    except TrucelineError as exc:
        _fail(str(exc))
    seconds = time.perf_counter() - started
    console.print(
        f"baseline {target}: {stats.detections:,} detections of {len(stats.years)} normal "
        f"years ({', '.join(map(str, stats.years))}), {model.active_cells:,} active cells, "
        f"{size / 1024:.0f} KiB, built in {seconds:.1f} s"
    )


def _describe(path: Path, model: BaselineModel) -> None:
    s = model.settings
    st = model.stats
    lat0, lon0 = st.row0 / 10, st.col0 / 10
    console.print(f"baseline {path} ({path.stat().st_size / 1024:.0f} KiB)")
    console.print(f"  normal years      {', '.join(map(str, st.years))}")
    console.print(f"  detections        {st.detections:,}")
    console.print(
        f"  grid              0.1° cells, lat {lat0:.1f}..{lat0 + st.n_rows / 10:.1f}, "
        f"lon {lon0:.1f}..{lon0 + st.n_cols / 10:.1f} ({st.n_rows} × {st.n_cols}); "
        f"{model.active_cells:,} active"
    )
    console.print(
        f"  season            ±{s.half_window_days} days, triangular weights; "
        f"neighbourhood {2 * s.neighbourhood_radius + 1}×{2 * s.neighbourhood_radius + 1} "
        f"cells, prior weight {s.prior:g} cell-days"
    )
    busiest = np.argsort(model.national_mean)[::-1][:3]
    days = ", ".join(
        str(np.datetime64("2001-01-01") + np.timedelta64(int(d), "D"))[5:] for d in busiest
    )
    console.print(f"  busiest days      {days} (month-day)")


@baseline_app.command("show")
def baseline_show(db: DbOption = DEFAULT_DB, baseline: BaselineOption = None) -> None:
    """Describe the background model: years, grid, smoothing."""
    path = resolve_baseline(db, baseline)
    if path is None:
        _fail(
            f"no baseline beside {db} ({baseline_path_for(db).name}); build one with "
            "'truceline baseline build FILES... --years ...', or give --baseline"
        )
    try:
        model = load(path)
    except TrucelineError as exc:
        _fail(str(exc))
    _describe(path, model)


@thermal_app.command("classify")
def thermal_classify(
    files: Annotated[list[Path], typer.Argument(help="FIRMS CSV files, one batch.", exists=True)],
    out: Annotated[Path, typer.Option("--out", help="CSV file of labels to write.")],
    strategy: Annotated[
        str | None,
        typer.Option(
            "--strategy",
            help="same-day or retrospective; default: the agreement's, else same-day.",
        ),
    ] = None,
    agreement: Annotated[
        Path | None,
        typer.Option(
            "--agreement",
            help="Agreement YAML: its line of contact feeds the same-day 'near the line' term "
            "and its thermal strategy is the default.",
        ),
    ] = None,
    db: DbOption = DEFAULT_DB,
    baseline: BaselineOption = None,
    reasons: Annotated[
        bool, typer.Option("--reasons", help="Add the columns p and reason to the CSV.")
    ] = False,
) -> None:
    """Label every detection of the files (one batch) and write latitude, longitude, date,
    label, score to a CSV file."""
    path = resolve_baseline(db, baseline)
    if path is None:
        _fail(
            f"no baseline beside {db}; build one with 'truceline baseline build FILES... "
            "--years ...', or give --baseline"
        )
    try:
        model = load(path)
        chosen = parse_strategy(strategy, "--strategy") if strategy else None
        distance = None
        detections = _read(files, "reading")
        if agreement is not None:
            from truceline.agreement.loader import load_agreement
            from truceline.geometry.theatre import Theatre

            loaded = load_agreement(agreement)
            if chosen is None and loaded.agreement.thermal is not None:
                chosen = Strategy(loaded.agreement.thermal.strategy)
            with err.status("measuring distances to the line"):
                distance = Theatre(loaded).distance_to_line_m(detections.lon, detections.lat)
            distance = distance / 1000.0
        chosen = chosen or Strategy.SAME_DAY
        result = classify(detections, model, chosen, distance_to_line_km=distance)
        if reasons:
            write_labels(out, detections, result.labels, result.score, result.p, result.reason)
        else:
            write_labels(out, detections, result.labels, result.score)
    except TrucelineError as exc:
        _fail(str(exc))
    flagged = int(result.anomalous.sum())
    console.print(
        f"{len(detections):,} detections, strategy {chosen.value}: {flagged:,} anomalous, "
        f"{len(detections) - flagged:,} normal; written to {out}"
    )


def write_labels(
    out: Path,
    detections: Detections,
    labels: np.typing.NDArray[np.str_],
    score: np.typing.NDArray[np.float64],
    p: np.typing.NDArray[np.float64] | None = None,
    reason: np.typing.NDArray[np.str_] | None = None,
) -> None:
    """Write one row per detection: latitude, longitude, date, label, score (and p and
    reason when given), in the order of the detections."""
    out.parent.mkdir(parents=True, exist_ok=True)
    header = ["latitude", "longitude", "date", "label", "score"]
    if p is not None:
        header.append("p")
    if reason is not None:
        header.append("reason")
    days = detections.day.astype(str)
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for i in range(len(detections)):
            row = [
                f"{detections.lat[i]:.5f}",
                f"{detections.lon[i]:.5f}",
                days[i],
                str(labels[i]),
                f"{score[i]:.3f}",
            ]
            if p is not None:
                row.append(f"{p[i]:.4g}")
            if reason is not None:
                row.append(str(reason[i]))
            writer.writerow(row)
