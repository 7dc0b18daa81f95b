"""The `truceline` command: one sub-command per step of the data flow.

Exit codes: 0 success; 1 the input or the request was refused (the message says why);
2 wrong usage (unknown option, missing argument); 3 the store could not be opened or written.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from typer.core import TyperGroup

from truceline.adjudication.determination import Determination, Status
from truceline.agreement.loaded import LoadedAgreement
from truceline.cli.access import org_app, token_app, user_app
from truceline.cli.agreement import agreement_app
from truceline.cli.evaluate import evaluate
from truceline.cli.export import export
from truceline.cli.keys import evidence_app, keygen
from truceline.cli.ledger import export_bundle, ledger_app, verify
from truceline.cli.output import (
    OutputFormat,
    determinations_geojson,
    determinations_table,
    incidents_geojson,
    incidents_table,
    print_determination,
    to_json,
)
from truceline.cli.report import report
from truceline.cli.serve import serve
from truceline.cli.simulate import simulate as simulate_command
from truceline.cli.thermal import baseline_app, thermal_app
from truceline.errors import AgreementError, InputError, StoreError, TrucelineError
from truceline.fusion.incident import Incident
from truceline.store import BBox, Store, TimeWindow, delete_store, is_url, open_store, store_exists

console = Console()
err = Console(stderr=True)


class _Commands(TyperGroup):
    """Turns Truceline's own errors into a message and an exit code, never a traceback."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except StoreError as exc:
            err.print(f"[bold red]error:[/] {exc}")
            raise typer.Exit(3) from None
        except TrucelineError as exc:
            err.print(f"[bold red]error:[/] {exc}")
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=_Commands,
    name="truceline",
    help="Ceasefire monitoring and verification: sensor feeds in, explained determinations out.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(
    agreement_app, name="agreement", help="Validate, show, amend agreements; derive a line."
)
incidents_app = typer.Typer(help="List and show incidents.", no_args_is_help=True)
determinations_app = typer.Typer(help="List and show determinations.", no_args_is_help=True)
sources_app = typer.Typer(help="Register and list sources.", no_args_is_help=True)
app.add_typer(incidents_app, name="incidents")
app.add_typer(determinations_app, name="determinations")
app.add_typer(sources_app, name="sources")
app.add_typer(baseline_app, name="baseline")
app.command("simulate")(simulate_command)
app.command()(serve)
app.command("report")(report)
app.command("export")(export)
app.command()(evaluate)
app.add_typer(org_app, name="org", help="Add and list organisations.")
app.add_typer(user_app, name="user", help="Add and list users.")
app.add_typer(token_app, name="token", help="Create, list and revoke API tokens.")
app.command("verify")(verify)
app.command("export-bundle")(export_bundle)
ledger_app.command("keygen")(keygen)
app.add_typer(ledger_app, name="ledger")
app.add_typer(evidence_app, name="evidence")
app.add_typer(thermal_app, name="thermal")

DbOption = Annotated[
    str,
    typer.Option(
        "--db",
        help="The store: a SQLite file, or a PostgreSQL URL "
        "postgresql://USER@HOST:PORT/DATABASE?schema=NAME (docs/store.md).",
    ),
]
DEFAULT_DB = "truceline.sqlite"
AgreementOption = Annotated[
    Path | None,
    typer.Option(
        "--agreement", help="Agreement YAML file; default: the latest version in the store."
    ),
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]
StartOption = Annotated[
    str | None, typer.Option("--start", help="From this time (ISO 8601, with zone).")
]
EndOption = Annotated[
    str | None, typer.Option("--end", help="Until this time (ISO 8601, with zone).")
]
BBoxOption = Annotated[
    str | None, typer.Option("--bbox", help="min_lon,min_lat,max_lon,max_lat (WGS 84).")
]
LimitOption = Annotated[int | None, typer.Option("--limit", min=1, help="At most this many.")]


def fail(message: str, code: int = 1) -> NoReturn:
    """Print an error the user can act on, and exit with a meaningful code."""
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def _open(db: str, *, create: bool = False) -> Store:
    """The store at `db` (a path or a URL); only commands that bring data in create a
    missing one."""
    if not create and not is_url(db) and not Path(db).exists():
        fail(
            f"no store at {db}: check --db, or create one with 'truceline ingest' or "
            "'truceline demo'",
            3,
        )
    try:
        return open_store(db, create=create)
    except StoreError as exc:
        fail(str(exc), 3)


def _in_force(store: Store, version: int | None, all_versions: bool) -> dict[str, Any]:
    """Filters that keep the determinations of one agreement version (the latest by default)."""
    if all_versions:
        return {}
    try:
        loaded = store.agreement(version=version)
    except StoreError as exc:
        if version is not None:
            fail(str(exc))
        return {}  # nothing judged yet
    return {"agreement_id": loaded.agreement.id, "agreement_version": loaded.agreement.version}


VersionOption = Annotated[
    int | None,
    typer.Option(
        "--agreement-version", min=1, help="Under this agreement version (default: the latest)."
    ),
]
AllVersionsOption = Annotated[
    bool, typer.Option("--all-versions", help="Determinations under every agreement version.")
]


def _agreement(store: Store, path: Path | None) -> LoadedAgreement:
    from truceline.agreement.loader import load_agreement

    try:
        if path is not None:
            loaded = load_agreement(path)
            store.add_agreement(loaded)
            return loaded
        return store.agreement()
    except (AgreementError, StoreError) as exc:
        fail(f"{exc}\nGive the agreement with --agreement FILE.", 1)


def _utc(value: str, option: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        fail(f"{option}: {value!r} is not an ISO 8601 time, e.g. 2025-09-01T06:00:00Z")
    if parsed.tzinfo is None:
        fail(f"{option}: {value!r} has no time zone; add Z or an offset such as +02:00")
    return parsed.astimezone(UTC)


@app.command()
def version() -> None:
    """Print the version of Truceline."""
    from truceline import __version__

    console.print(__version__)


@app.command()
def demo(
    db: Annotated[
        str,
        typer.Option(
            "--db", help="Where to keep the demo's store: a SQLite file or a PostgreSQL URL."
        ),
    ] = "truceline-demo.sqlite",
    agreement: Annotated[
        Path | None,
        typer.Option("--agreement", help="Run on this agreement instead of a generated theatre."),
    ] = None,
    land: Annotated[
        Path | None,
        typer.Option(
            "--land",
            help="GeoJSON outline of the land (e.g. a country): keeps land events inside it.",
        ),
    ] = None,
    days: Annotated[int, typer.Option(min=1, max=366, help="Days to simulate.")] = 7,
    seed: Annotated[int, typer.Option(help="Seed of the simulation.")] = 7,
    overwrite: Annotated[
        bool,
        typer.Option(
            "--overwrite",
            help="Replace the store if it exists (in PostgreSQL: drop the store's tables in "
            "that schema, nothing else).",
        ),
    ] = False,
) -> None:
    """Simulate a theatre and a week of sensor feeds, run the whole pipeline, show results."""
    from truceline.demo import run_demo

    if not is_url(db) and Path(db).is_dir():
        fail(f"--db {db} is a folder; give a file name, e.g. {Path(db) / 'demo.sqlite'}")
    if store_exists(db):
        if not overwrite:
            fail(f"{db} exists; pass --overwrite to replace it, or choose another --db")
        delete_store(db)
    try:
        run_demo(
            db, agreement_path=agreement, land_path=land, days=days, seed=seed, console=console
        )
    except TrucelineError as exc:
        fail(str(exc))


@sources_app.command("add")
def sources_add(
    file: Annotated[Path, typer.Argument(help="YAML list of sources (docs/formats.md).")],
    db: DbOption = DEFAULT_DB,
) -> None:
    """Register the sources of a YAML file in the store."""
    from truceline.sources.registry import SourceRegistry

    registry = SourceRegistry.from_yaml(file, with_builtin=False)
    with _open(db, create=True) as store:
        store.upsert_sources(list(registry))
    console.print(f"registered {len(registry)} sources in {db}")


@sources_app.command("list")
def sources_list(db: DbOption = DEFAULT_DB) -> None:
    """List the sources known to the store (built-in ones included)."""
    from rich.table import Table

    from truceline.pipeline import registry_of

    with _open(db) as store:
        registry = registry_of(store)
    table = Table(title=f"{len(registry)} sources", title_justify="left")
    for column in ("id", "name", "operator", "type", "party", "grade"):
        table.add_column(column)
    for s in registry:
        grade = f"{s.reliability.value}{s.credibility.value}"
        table.add_row(s.id, s.name, s.operator, s.type.value, s.party or "-", grade)
    console.print(table)


@app.command()
def ingest(
    files: Annotated[list[Path], typer.Argument(help="Files to read.", exists=True)],
    db: DbOption = DEFAULT_DB,
    format: Annotated[
        str | None, typer.Option("--format", help="Adapter name (firms, geojson, csv).")
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Store nothing from a file with any bad row.")
    ] = False,
    sources: Annotated[
        Path | None, typer.Option("--sources", help="Register these sources first (YAML).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            help="Thermal baseline for FIRMS files; default: the one beside --db, if any.",
        ),
    ] = None,
    thermal_strategy: Annotated[
        str | None,
        typer.Option("--thermal-strategy", help="same-day (default) or retrospective."),
    ] = None,
) -> None:
    """Read feed files into the store; bad rows are reported and the good ones kept."""
    from truceline.cli.thermal import ingest_thermal
    from truceline.pipeline import registry_of
    from truceline.sources.ingest import ingest_file
    from truceline.sources.registry import SourceRegistry

    refused: list[str] = []
    thermal = ingest_thermal(Path(db), baseline, thermal_strategy)  # no baseline beside a URL
    with _open(db, create=True) as store:
        if sources is not None:
            store.upsert_sources(list(SourceRegistry.from_yaml(sources, with_builtin=False)))
        registry = registry_of(store)
        for path in files:
            try:
                report = ingest_file(
                    path,
                    store,
                    registry=registry,
                    adapter=format,
                    strict=strict,
                    progress=not quiet,
                    thermal=thermal,
                )
            except InputError as exc:
                # A refused file does not stop the others; the exit code tells at the end.
                err.print(f"[bold red]refused[/] {exc}")
                refused.append(path.name)
                continue
            console.print(
                f"{path.name}: {report.rows_read} read, {report.stored_new} new, "
                f"{report.duplicates} already stored, {report.rejected} rejected"
            )
            if report.anomalous or report.normal:
                console.print(
                    f"  {report.thermal}: {report.anomalous} thermal anomalies, "
                    f"{report.normal} usual fires"
                )
            for rejection in report.rejections[:20]:
                err.print(f"  [yellow]rejected[/] {rejection}")
            if report.rejected > 20:
                err.print(f"  ... and {report.rejected - 20} more rejected rows")
    if refused:
        fail(f"{len(refused)} of {len(files)} files refused: {', '.join(refused)}")


@app.command()
def fuse(db: DbOption = DEFAULT_DB) -> None:
    """Fuse the stored observations into incidents (only what changed is rewritten)."""
    from truceline.pipeline import fuse_all, registry_of

    with _open(db) as store:
        kept, removed = fuse_all(store, registry_of(store))
    console.print(f"{kept} incidents ({removed} replaced or removed)")


@app.command()
def adjudicate(db: DbOption = DEFAULT_DB, agreement: AgreementOption = None) -> None:
    """Judge every incident against the agreement and store the determinations."""
    from truceline.pipeline import adjudicate_all, registry_of

    with _open(db) as store:
        loaded = _agreement(store, agreement)
        count = adjudicate_all(store, loaded, registry_of(store))
        clear = _count_clear(store, loaded)
    console.print(
        f"{count} determinations under {loaded.agreement.id} "
        f"v{loaded.agreement.version}; {clear} clear breaches"
    )


@app.command()
def run(
    files: Annotated[list[Path], typer.Argument(help="Feed files to ingest first.")] = [],  # noqa: B006
    db: DbOption = DEFAULT_DB,
    agreement: AgreementOption = None,
    format: Annotated[str | None, typer.Option("--format", help="Adapter name.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Ingest files (if any), fuse and adjudicate: the whole pipeline in one command."""
    if files:
        ingest(files, db=db, format=format, strict=False, sources=None, quiet=quiet)
    from truceline.pipeline import run_all

    with _open(db, create=True) as store:
        loaded = _agreement(store, agreement)
        report = run_all(store, loaded)
        clear = _count_clear(store, loaded)
    console.print(
        f"{report.observations} observations -> {report.incidents} incidents -> "
        f"{report.determinations} determinations; {clear} clear breaches "
        f"(fusion {report.times.fusion:.1f} s, adjudication {report.times.adjudication:.1f} s)"
    )


def _count_clear(store: Store, loaded: LoadedAgreement) -> int:
    version = loaded.agreement
    return len(
        store.determinations(
            clear_breach=True, agreement_id=version.id, agreement_version=version.version
        )
    )


@incidents_app.command("list")
def incidents_list(
    db: DbOption = DEFAULT_DB,
    start: StartOption = None,
    end: EndOption = None,
    bbox: BBoxOption = None,
    limit: LimitOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """List incidents, filtered by time window and bounding box."""
    with _open(db) as store:
        items = store.incidents(window=_window(start, end), bbox=_bbox(bbox), limit=limit)
    if fmt is OutputFormat.JSON:
        typer.echo(to_json(items))
    elif fmt is OutputFormat.GEOJSON:
        typer.echo(incidents_geojson(items))
    else:
        console.print(incidents_table(items))


@incidents_app.command("show")
def incidents_show(
    incident_id: str,
    db: DbOption = DEFAULT_DB,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table (text) or json.")
    ] = OutputFormat.TABLE,
) -> None:
    """Show one incident with its observations and determinations."""
    with _open(db) as store:
        incident = store.incident(incident_id)
        if incident is None:
            fail(f"no incident {incident_id!r} in {db}; list them with 'truceline incidents list'")
        observations = store.observations(ids=list(incident.observation_ids))
        determinations = _determinations_of(store, incident)
    if fmt is not OutputFormat.TABLE:
        document = {
            "incident": incident.model_dump(mode="json"),
            "observations": [o.model_dump(mode="json") for o in observations],
            "determinations": [d.model_dump(mode="json") for d in determinations],
        }
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    console.print(incidents_table([incident]))
    for o in observations:
        console.print(
            f"  {o.observed_at:%Y-%m-%d %H:%M:%S} {o.source_id:<24} {o.kind.value:<16} "
            f"{o.reliability.value}{o.credibility.value} ±{o.location_uncertainty_m:.0f} m"
        )
    for d in determinations:
        print_determination(console, d)


def _determinations_of(store: Store, incident: Incident) -> list[Determination]:
    """Every determination of one incident, under any agreement version."""
    nearby = store.determinations(
        window=TimeWindow(incident.start, incident.end),
        bbox=BBox(incident.lon, incident.lat, incident.lon, incident.lat),
    )
    return [d for d in nearby if d.incident_id == incident.id]


@determinations_app.command("list")
def determinations_list(
    db: DbOption = DEFAULT_DB,
    start: StartOption = None,
    end: EndOption = None,
    bbox: BBoxOption = None,
    zone: Annotated[str | None, typer.Option(help="Zone id, e.g. buffer.")] = None,
    party: Annotated[str | None, typer.Option(help="Party code (side or attribution).")] = None,
    status: Annotated[Status | None, typer.Option(help="Status.")] = None,
    rule: Annotated[str | None, typer.Option(help="Rule code, e.g. CV-FIRE.")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Only clear breaches.")] = False,
    version: VersionOption = None,
    all_versions: AllVersionsOption = False,
    limit: LimitOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """List determinations, filtered by time, place, zone, party, status and rule.

    Only the determinations under the latest agreement version are listed, unless
    --agreement-version or --all-versions says otherwise.
    """
    with _open(db) as store:
        items = store.determinations(
            window=_window(start, end),
            bbox=_bbox(bbox),
            zone=zone,
            party=party,
            status=status,
            rule=rule,
            clear_breach=True if clear else None,
            limit=limit,
            **_in_force(store, version, all_versions),
        )
        incidents = {i.id: i for i in store.incidents(ids=[d.incident_id for d in items])}
    if fmt is OutputFormat.JSON:
        typer.echo(to_json(items))
    elif fmt is OutputFormat.GEOJSON:
        typer.echo(determinations_geojson(items, incidents))
    else:
        console.print(determinations_table(items))


@determinations_app.command("show")
def determinations_show(
    determination_id: Annotated[
        str, typer.Argument(help="A determination id, or an incident id for its determinations.")
    ],
    db: DbOption = DEFAULT_DB,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table (text) or json.")
    ] = OutputFormat.TABLE,
) -> None:
    """Show a determination and its explanation."""
    with _open(db) as store:
        found = store.determination(determination_id)
        items = [found] if found is not None else []
        if not items and (incident := store.incident(determination_id)) is not None:
            items = _determinations_of(store, incident)
    if not items:
        fail(
            f"no determination {determination_id!r}; list them with 'truceline determinations list'"
        )
    if fmt is not OutputFormat.TABLE:
        typer.echo(to_json(items))
        return
    for d in items:
        print_determination(console, d)


@app.command()
def prenotify(
    party: Annotated[str, typer.Option(help="Code of the notifying party.")],
    activity: Annotated[str, typer.Option(help="Code of a permitted activity.")],
    area: Annotated[Path, typer.Option(help="GeoJSON Polygon/MultiPolygon of the area.")],
    start: Annotated[str, typer.Option(help="Start (ISO 8601 with zone).")],
    end: Annotated[str, typer.Option(help="End (ISO 8601 with zone).")],
    notified_at: Annotated[
        str | None, typer.Option(help="When the notice was received; default now.")
    ] = None,
    notice_id: Annotated[
        str | None, typer.Option("--id", help="Notice id; derived if absent.")
    ] = None,
    description: Annotated[str, typer.Option(help="What will be done.")] = "",
    db: DbOption = DEFAULT_DB,
    agreement: AgreementOption = None,
) -> None:
    """Record a party's pre-notification of permitted activity (deconfliction)."""
    import hashlib

    from pydantic import ValidationError

    from truceline.agreement.geometry_files import (
        areas_from_geojson,
        geometry_to_geojson,
        read_geojson,
    )
    from truceline.agreement.prenotification import PreNotification

    try:
        # Every polygon of the file counts, whether it is a geometry, a Feature or a
        # FeatureCollection of several parts.
        geometry = geometry_to_geojson(areas_from_geojson(read_geojson(area)))
    except TrucelineError as exc:
        fail(f"--area: {exc}")
    received = _utc(notified_at, "--notified-at") if notified_at else datetime.now(UTC)
    with _open(db, create=True) as store:
        loaded = _agreement(store, agreement)
        agreement_model = loaded.agreement
        if party not in [p.code for p in agreement_model.parties]:
            fail(
                f"--party: unknown party {party!r}; expected one of "
                f"{[p.code for p in agreement_model.parties]}"
            )
        try:
            permitted = agreement_model.permitted_activity(activity)
        except KeyError:
            fail(
                f"--activity: {activity!r} is not a permitted activity of the agreement; "
                f"expected one of {[a.code for a in agreement_model.permitted_activities]}"
            )
        key = f"{party}|{activity}|{start}|{end}|{json.dumps(geometry, sort_keys=True)}"
        digest = hashlib.sha256(key.encode()).hexdigest()
        try:
            notice = PreNotification(
                id=notice_id or f"pn-{digest[:16]}",
                party=party,
                activity=activity,
                area=geometry,
                starts_at=_utc(start, "--start"),
                ends_at=_utc(end, "--end"),
                notified_at=received,
                description=description,
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            fail(f"{'.'.join(str(p) for p in first['loc']) or 'notice'}: {first['msg']}")
        stored = store.add_prenotification(notice)
    lead = notice.starts_at - notice.notified_at
    if lead < permitted.notice:
        err.print(
            f"[yellow]warning:[/] notice given {lead.total_seconds() / 3600:.1f} h before "
            f"start; {activity} needs {permitted.notice_hours:g} h, so it covers nothing"
        )
    console.print(f"{notice.id} {'recorded' if stored else 'was already recorded'}")


def _window(start: str | None, end: str | None) -> TimeWindow | None:
    if start is None and end is None:
        return None
    lo = _utc(start, "--start") if start else datetime(1970, 1, 1, tzinfo=UTC)
    hi = _utc(end, "--end") if end else datetime(9999, 1, 1, tzinfo=UTC)
    if hi < lo:
        fail("--end is before --start")
    return TimeWindow(lo, hi)


def _bbox(text: str | None) -> BBox | None:
    if text is None:
        return None
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) != 4:
        fail(f"--bbox: expected min_lon,min_lat,max_lon,max_lat in degrees, got {text!r}")
    try:
        return BBox(*values)
    except InputError as exc:
        fail(f"--bbox: {exc}")


def main() -> None:
    app()
