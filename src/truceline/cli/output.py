"""How the command line shows incidents and determinations: table, JSON or GeoJSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from truceline.adjudication.determination import Determination
from truceline.fusion.incident import Incident


class OutputFormat(StrEnum):
    """Output formats of the list and show commands."""

    TABLE = "table"
    JSON = "json"
    GEOJSON = "geojson"


def to_json(items: Sequence[BaseModel]) -> str:
    """A JSON array of the items, in their documented field names."""
    return json.dumps([i.model_dump(mode="json") for i in items], indent=2, ensure_ascii=False)


def _feature(properties: dict[str, Any], lon: float, lat: float) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": properties["id"],
        "geometry": {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]},
        "properties": properties,
    }


def incidents_geojson(incidents: Sequence[Incident]) -> str:
    """An RFC 7946 FeatureCollection of incidents at their best location."""
    features = [_feature(i.model_dump(mode="json"), i.lon, i.lat) for i in incidents]
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def determinations_geojson(
    determinations: Sequence[Determination], incidents: dict[str, Incident]
) -> str:
    """An RFC 7946 FeatureCollection of determinations at their incident's location."""
    features = []
    for d in determinations:
        incident = incidents[d.incident_id]
        properties = d.model_dump(mode="json")
        properties["start"] = incident.start.isoformat()
        properties["end"] = incident.end.isoformat()
        features.append(_feature(properties, incident.lon, incident.lat))
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def incidents_table(incidents: Sequence[Incident]) -> Table:
    table = Table(title=f"{len(incidents)} incidents", title_justify="left")
    for column in ("id", "start (UTC)", "kind", "lon", "lat", "obs", "sources", "confidence"):
        table.add_column(column, no_wrap=column != "kind")
    for i in incidents:
        table.add_row(
            i.id,
            i.start.strftime("%Y-%m-%d %H:%M"),
            i.primary_kind.value,
            f"{i.lon:.4f}",
            f"{i.lat:.4f}",
            str(len(i.observation_ids)),
            str(i.independent_sources),
            f"{i.confidence:.2f}",
        )
    return table


STATUS_STYLE = {
    "clear_breach": "bold red",
    "suspected_breach": "yellow",
    "deconflicted": "cyan",
    "no_violation": "green",
}


def determinations_table(determinations: Sequence[Determination]) -> Table:
    table = Table(title=f"{len(determinations)} determinations", title_justify="left")
    for column in ("id", "status", "rules", "attributed", "side", "km", "conf.", "v"):
        table.add_column(column, no_wrap=column == "id")
    for d in determinations:
        table.add_row(
            d.id,
            f"[{STATUS_STYLE[d.status.value]}]{d.status.value.replace('_', ' ')}[/]",
            ", ".join(d.rules) or "-",
            d.attributed_to or "-",
            d.side,
            f"{d.signed_distance_m / 1000:+.1f}",
            f"{d.confidence:.2f}",
            str(d.agreement_version),
        )
    return table


def print_determination(console: Console, d: Determination) -> None:
    """One determination in full, explanation first."""
    console.print(f"[bold]{d.id}[/] — incident {d.incident_id}")
    console.print(f"[{STATUS_STYLE[d.status.value]}]{d.status.value.replace('_', ' ')}[/]")
    console.print(d.explanation)
    console.print(
        f"agreement {d.agreement_id} v{d.agreement_version}; zones: {', '.join(d.zones) or '-'}"
    )
