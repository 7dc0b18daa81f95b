"""Builders of the open data tests: a store of a simulated day whose incidents carry three
releasability markings."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shapely.geometry import LinearRing, shape

from truceline.opendata import COLUMNS, Layer
from truceline.pipeline import run_all
from truceline.simulation.scenario import Scenario, simulate
from truceline.simulation.theatre import generate_theatre
from truceline.store import open_store

MARKINGS = ("public", "cell+members:FR", "cell")
"""The k-th incident (by start, id) gets MARKINGS[k % 3]."""


@dataclass(frozen=True)
class Marked:
    """A store and what it holds, by marking."""

    path: Path | str
    scenario: Scenario
    incident_ids: dict[str, frozenset[str]]
    """Incident ids by marking."""
    determination_ids: dict[str, frozenset[str]]
    """Determination ids (the latest agreement version) by their incident's marking."""

    def incidents(self, *markings: str) -> frozenset[str]:
        """The incidents of these markings (of all when none is named)."""
        return frozenset().union(*(self.incident_ids[m] for m in markings or MARKINGS))

    def determinations(self, *markings: str) -> frozenset[str]:
        """The determinations of incidents of these markings (of all when none is named)."""
        return frozenset().union(*(self.determination_ids[m] for m in markings or MARKINGS))


def make_marked(path: Path | str) -> Marked:
    """One simulated day (about 140 incidents), judged, a third of it public, a third
    released to the member FR, a third the cell's, in a new store at `path` (a SQLite
    file or a PostgreSQL URL)."""
    scenario = simulate(generate_theatre(3), days=1, seed=3)
    incidents: dict[str, set[str]] = {m: set() for m in MARKINGS}
    determinations: dict[str, set[str]] = {m: set() for m in MARKINGS}
    with open_store(path) as store:
        store.upsert_sources(scenario.sources)
        for notice in scenario.prenotifications:
            store.add_prenotification(notice)
        store.add_observations(scenario.observations)
        run_all(store, scenario.loaded)
        marking_of: dict[str, str] = {}
        for k, incident in enumerate(store.incidents()):
            marking = MARKINGS[k % 3]
            store.set_incident_releasability(incident.id, marking)
            incidents[marking].add(incident.id)
            marking_of[incident.id] = marking
        for d in store.determinations():
            determinations[marking_of[d.incident_id]].add(d.id)
    assert all(incidents.values()), "every marking must be used"
    return Marked(
        path=path,
        scenario=scenario,
        incident_ids={m: frozenset(v) for m, v in incidents.items()},
        determination_ids={m: frozenset(v) for m, v in determinations.items()},
    )


def _positions(geometry: dict[str, Any]) -> Iterator[list[float]]:
    """Every position of a GeoJSON geometry."""

    def walk(value: Any) -> Iterator[list[float]]:
        if value and isinstance(value[0], int | float):
            yield value
        else:
            for part in value:
                yield from walk(part)

    yield from walk(geometry["coordinates"])


def check_rfc7946(document: dict[str, Any], layer: Layer) -> None:
    """The rules of RFC 7946 a FeatureCollection of ours must follow."""
    assert document["type"] == "FeatureCollection"
    assert "crs" not in document
    columns = [c.name for c in COLUMNS[layer]]
    west, south, east, north = document["bbox"]
    assert -180 <= west <= east <= 180
    assert -90 <= south <= north <= 90
    for feature in document["features"]:
        assert set(feature) == {"type", "id", "geometry", "properties"}
        assert feature["type"] == "Feature"
        assert isinstance(feature["id"], str)
        assert feature["id"] == feature["properties"]["id"]
        assert list(feature["properties"]) == columns
        geometry = feature["geometry"]
        for lon, lat in _positions(geometry):  # two numbers: longitude, latitude
            assert west <= lon <= east
            assert south <= lat <= north
        polygons = {"Polygon": [geometry["coordinates"]], "MultiPolygon": geometry["coordinates"]}
        for rings in polygons.get(geometry["type"], []):
            exterior, *holes = rings
            assert exterior[0] == exterior[-1]
            assert LinearRing(exterior).is_ccw, "exterior rings are counterclockwise"
            assert all(not LinearRing(h).is_ccw for h in holes), "holes are clockwise"
        assert shape(geometry).is_valid
