"""The geometry files an agreement names, and loading them all at once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from shapely.geometry import MultiLineString, MultiPolygon

from truceline.agreement.geometry_files import (
    areas_from_geojson,
    lines_from_geojson,
    read_geojson,
)
from truceline.agreement.model import Agreement
from truceline.agreement.validation_messages import format_location
from truceline.agreement.yaml_source import Location
from truceline.errors import AgreementError, GeometryError

LINE = "line"
"""Role of the line of contact's file."""


def held_role(party: str) -> str:
    """Role of the file of the area one party holds."""
    return f"held:{party}"


def exclusion_role(zone_id: str) -> str:
    """Role of the file of one exclusion zone."""
    return f"exclusion:{zone_id}"


@dataclass(frozen=True)
class AgreementGeometry:
    """The geometry an agreement's files hold."""

    line: MultiLineString
    held_areas: dict[str, MultiPolygon] = field(default_factory=dict)
    exclusions: dict[str, MultiPolygon] = field(default_factory=dict)


def geometry_references(agreement: Agreement) -> list[tuple[Location, str, str]]:
    """Every geometry file the agreement names: (YAML location, file, role)."""
    refs: list[tuple[Location, str, str]] = [(("line", "file"), agreement.line.file, LINE)]
    refs += [
        (("line", "held_areas", code), file, held_role(code))
        for code, file in agreement.line.held_areas.items()
    ]
    refs += [
        (("zones", "exclusions", i, "file"), zone.file, exclusion_role(zone.id))
        for i, zone in enumerate(agreement.zones.exclusions)
    ]
    return refs


def load_geometry(
    agreement: Agreement,
    *,
    base: Path | None,
    where: str,
    line_of: Callable[[Location], int | None] | None = None,
    reuse: Mapping[str, tuple[str, MultiLineString | MultiPolygon]] | None = None,
    notices: list[str] | None = None,
) -> AgreementGeometry:
    """Read the files the agreement names, relative to `base`; report every failure at once.

    `reuse` maps a role (``line``, ``held:UA``, ``exclusion:<id>``) to a file name and the
    geometry already loaded from it, taken as is when the agreement names the same file.
    """
    problems: list[str] = []
    lines: dict[str, MultiLineString] = {}
    areas: dict[str, MultiPolygon] = {}
    for loc, file, role in geometry_references(agreement):
        head = where
        line = line_of(loc) if line_of else None
        if line is not None:
            head += f", line {line}"
        head += f", {format_location(loc)}"
        if reuse is not None and role in reuse and reuse[role][0] == file:
            known = reuse[role][1]
            if isinstance(known, MultiLineString):
                lines[role] = known
            else:
                areas[role] = known
            continue
        if base is None and not Path(file).is_absolute():
            problems.append(
                f"{head}: geometry file {file!r} cannot be read: this version was not read "
                "from a file, so there is no folder to read it from; give an absolute path"
            )
            continue
        path = Path(file) if Path(file).is_absolute() or base is None else base / file
        if not path.is_file():
            problems.append(
                f"{head}: geometry file {file!r} not found (tried {path}); relative paths "
                "are read from the agreement file's folder"
            )
            continue
        found: list[str] = []
        try:
            obj = read_geojson(path)
            if role == LINE:
                lines[role] = lines_from_geojson(obj)
            else:
                areas[role] = areas_from_geojson(obj, notices=found)
        except GeometryError as exc:
            problems.append(
                f"{head}: {exc}" if str(exc).startswith(str(path)) else f"{head}: in {path}: {exc}"
            )
        if notices is not None:
            notices += [f"{head}: in {path}: {notice}" for notice in found]
    if problems:
        raise AgreementError("\n".join(problems))
    return AgreementGeometry(
        line=lines[LINE],
        held_areas={code: areas[held_role(code)] for code in agreement.line.held_areas},
        exclusions={z.id: areas[exclusion_role(z.id)] for z in agreement.zones.exclusions},
    )
