"""`truceline agreement ...`: check, show and amend agreement files; derive a line of contact."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from truceline.agreement.derive_line import (
    DEFAULT_MIN_LENGTH_M,
    DEFAULT_OFFSHORE_MARGIN_M,
    DEFAULT_TOLERANCE_M,
    derive_line,
    geodesic_length_m,
)
from truceline.agreement.documents import agreement_digest
from truceline.agreement.geometry_files import areas_from_geojson, feature_collection, read_geojson
from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.loader import amend_agreement, load_agreement, write_agreement
from truceline.agreement.model import Agreement
from truceline.agreement.summary import summarise_agreement
from truceline.agreement.yaml_source import parse_yaml
from truceline.errors import AgreementError, GeometryError

agreement_app = typer.Typer(
    name="agreement",
    help="The agreement as data: validate, show and amend agreement files; derive the line.",
    no_args_is_help=True,
)

FileArgument = Annotated[
    Path, typer.Argument(help="Agreement YAML file (see docs/agreement.md).", show_default=False)
]


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code=1)


def _load(file: Path, notices: list[str] | None = None) -> LoadedAgreement:
    try:
        return load_agreement(file, notices=notices)
    except AgreementError as exc:
        raise _fail(str(exc)) from None


@agreement_app.command()
def validate(file: FileArgument) -> None:
    """Check an agreement file and the geometry it names; print OK or every error."""
    notices: list[str] = []
    loaded = _load(file, notices)
    for notice in notices:
        typer.echo(f"note: {notice}", err=True)
    a = loaded.agreement
    summary = summarise_agreement(loaded)
    typer.echo(
        f"OK {a.id} version {a.version}: {len(a.parties)} parties, line "
        f"{summary['line']['length_km']:.1f} km in {summary['line']['parts']} parts, "
        f"{len(a.zone_ids)} zones, {len(a.prohibited_acts)} prohibited acts, "
        f"{len(a.permitted_activities)} permitted activities, "
        f"{len(a.response_protocol)} response tiers"
    )


def _widths(widths: dict[str, float]) -> str:
    return ", ".join(f"{code} {km:g} km" for code, km in widths.items())


def _table(title: str, *columns: str, show_header: bool = True) -> Table:
    table = Table(title=title, show_header=show_header)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _tables(summary: dict[str, Any]) -> list[Table]:
    head = _table(summary["title"], "field", "value", show_header=False)
    head.add_row("agreement", f"{summary['id']} version {summary['version']}")
    head.add_row("effective from", summary["effective_from"])
    if summary["amends"] is not None:
        head.add_row("amends", f"version {summary['amends']}: {summary['amendment_note'] or ''}")
    head.add_row("parties", ", ".join(f"{p['code']} ({p['name']})" for p in summary["parties"]))
    line = summary["line"]
    head.add_row("line", f"{line['length_km']:.1f} km in {line['parts']} parts")
    for code, km2 in line["held_areas_km2"].items():
        head.add_row(f"held by {code}", f"{km2:,.0f} km²")
    head.add_row("rest held by", line["rest_held_by"])
    threshold = summary["clear_breach"]
    head.add_row(
        "clear breach",
        f"confidence ≥ {threshold['min_confidence']:g}, ≥ {threshold['min_independent_sources']} "
        f"independent sources, severity ≥ {threshold['min_severity']}",
    )
    head.add_row("digest", summary["digest"])

    zones = _table("Zones", "zone", "type", "extent")
    for zone in summary["zones"]:
        extent = (
            _widths(zone["width_km"])
            if "width_km" in zone
            else f"{zone['area_km2']:,.0f} km², binds {', '.join(zone['applies_to'])}"
        )
        zones.add_row(zone["id"], zone["type"], extent)

    rules = _table("Prohibited acts", "code", "title", "kinds", "zones", "severity")
    for act in summary["prohibited_acts"]:
        rules.add_row(
            act["code"],
            act["title"],
            ", ".join(act["kinds"]),
            ", ".join(act["zones"]),
            act["severity"],
        )

    permitted = _table("Permitted with notice", "code", "exempts", "notice", "max duration")
    for act in summary["permitted_activities"]:
        permitted.add_row(
            act["code"],
            ", ".join(act["exempts"]),
            f"{act['notice_hours']:g} h",
            f"{act['max_duration_hours']:g} h",
        )

    response = _table("Response protocol", "tier", "starts on", "deadline")
    for tier in summary["response_protocol"]:
        start = "clear breach" if tier["clear_breach"] else "any breach"
        response.add_row(
            tier["name"],
            f"{start}, severity ≥ {tier['min_severity']}",
            f"{tier['deadline_hours']:g} h",
        )
    return [head, zones, rules, permitted, response]


@agreement_app.command()
def show(
    file: FileArgument,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Summarise an agreement: parties, line, zones, rules, permitted activities, response."""
    summary = summarise_agreement(_load(file))
    if as_json:
        typer.echo(json.dumps(summary, indent=2, ensure_ascii=False))
        return
    console = Console()
    for table in _tables(summary):
        console.print(table)


def _read_area(path: Path, what: str) -> Any:
    try:
        return areas_from_geojson(read_geojson(path))
    except GeometryError as exc:
        raise _fail(f"{what} {path}: {exc}") from None


@agreement_app.command("derive-line")
def derive_line_command(
    occupied: Annotated[
        Path, typer.Argument(help="GeoJSON of the occupied area (Polygon/MultiPolygon).")
    ],
    land: Annotated[Path, typer.Option("--land", help="GeoJSON outline of the country's land.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the line here (default: print it).")
    ] = None,
    min_length_km: Annotated[
        float, typer.Option("--min-length-km", help="Drop pieces of front shorter than this.")
    ] = DEFAULT_MIN_LENGTH_M / 1000,
    tolerance_km: Annotated[
        float,
        typer.Option(
            "--tolerance-km", help="Boundary this close to a coast or border is not front."
        ),
    ] = DEFAULT_TOLERANCE_M / 1000,
    offshore_margin_km: Annotated[
        float,
        typer.Option(
            "--offshore-margin-km",
            help="How far the land outline may run out to sea; 0 if it follows the coast.",
        ),
    ] = DEFAULT_OFFSHORE_MARGIN_M / 1000,
) -> None:
    """Derive the line of contact: where the occupied area meets the other party's land."""
    occupied_area = _read_area(occupied, "occupied area")
    land_area = _read_area(land, "land")
    try:
        line = derive_line(
            occupied_area,
            land_area,
            tolerance_m=tolerance_km * 1000,
            offshore_margin_m=offshore_margin_km * 1000,
            min_length_m=min_length_km * 1000,
        )
    except GeometryError as exc:
        raise _fail(str(exc)) from None
    length = geodesic_length_m(line) / 1000
    properties = {
        "derived_from": occupied.name,
        "land": land.name,
        "length_km": round(length, 3),
        "tolerance_km": tolerance_km,
        "offshore_margin_km": offshore_margin_km,
        "min_length_km": min_length_km,
    }
    text = json.dumps(feature_collection(line, properties), ensure_ascii=False) + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise _fail(f"{out}: cannot write ({exc.strerror})") from None
    typer.echo(f"wrote {out}: {len(line.geoms)} parts, {length:.1f} km", err=True)


def _set_path(target: dict[str, Any], path: list[str], value: Any, setting: str) -> None:
    node = target
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            raise _fail(f"--set {setting}: {key!r} is not a mapping, so it has no field below it")
        node = child
    node[path[-1]] = value


def _changes(settings: list[str], agreement: Agreement) -> dict[str, Any]:
    current = agreement.model_dump(mode="json")
    changes: dict[str, Any] = {}
    for setting in settings:
        key, sep, text = setting.partition("=")
        path = key.strip().split(".")
        if not sep or not all(path):
            raise _fail(
                f"--set {setting}: expected key=value, e.g. clear_breach.min_confidence=0.95"
            )
        try:
            value = parse_yaml(text, f"--set {key}").data
        except AgreementError as exc:
            raise _fail(str(exc)) from None
        top = path[0]
        if len(path) == 1:
            changes[top] = value
            continue
        if top not in changes:
            changes[top] = current.get(top)
        if not isinstance(changes[top], dict):
            raise _fail(f"--set {setting}: {top!r} is not a mapping, so it has no field below it")
        _set_path(changes[top], path[1:], value, setting)
    return changes


@agreement_app.command()
def amend(
    file: FileArgument,
    settings: Annotated[
        list[str],
        typer.Option(
            "--set",
            help="A change, key=YAML value, e.g. clear_breach.min_confidence=0.95 or "
            "'zones={buffer: {width_km: {UA: 3, RU: 3}}}'. Repeat for several.",
        ),
    ],
    note: Annotated[str, typer.Option("--note", help="What the amendment changes, and why.")],
    effective_from: Annotated[
        str, typer.Option("--effective-from", help="When it takes effect, ISO 8601 with offset.")
    ],
    out_dir: Annotated[
        Path, typer.Option("--out-dir", help="Folder to write the new version's files to.")
    ],
) -> None:
    """Write a new version of an agreement with some fields changed; the old one stays."""
    try:
        when = datetime.fromisoformat(effective_from)
    except ValueError:
        raise _fail(
            f"--effective-from {effective_from!r}: expected an ISO 8601 time with a UTC "
            "offset, e.g. 2015-03-01T00:00:00+02:00"
        ) from None
    if when.tzinfo is None:
        raise _fail(
            f"--effective-from {effective_from!r}: the time has no UTC offset; add one, "
            "e.g. 2015-03-01T00:00:00+02:00 or 2015-03-01T00:00:00Z"
        )
    loaded = _load(file)
    changes = _changes(settings, loaded.agreement)
    try:
        amended = amend_agreement(loaded, changes=changes, note=note, effective_from=when)
        written = write_agreement(amended, out_dir)
    except AgreementError as exc:
        raise _fail(str(exc)) from None
    a = amended.agreement
    typer.echo(
        f"wrote {written}: {a.id} version {a.version} (amends version {a.amends}), "
        f"digest {agreement_digest(amended)}"
    )
