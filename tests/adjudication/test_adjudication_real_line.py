"""Adjudication against the real line of contact of 1 September 2025 (DeepStateMap)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from adjudication_builders import agreement_data, incident, registry
from shapely.geometry import MultiLineString, MultiPolygon, shape

from truceline.adjudication.adjudicator import Adjudicator
from truceline.adjudication.determination import Status
from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.model import Agreement
from truceline.geometry.theatre import Theatre
from truceline.observations.model import Kind


def _geometry(path: Path) -> object:
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("type") == "FeatureCollection":
        data = data["features"][0]
    if data.get("type") == "Feature":
        data = data["geometry"]
    return shape(data)


@pytest.fixture(scope="module")
def real_adjudicator(shared_data: Path) -> Adjudicator:
    folder = shared_data / "contact_line"
    line = _geometry(folder / "line_of_contact_20250901.geojson")
    occupied = _geometry(folder / "deepstate_occupied_20250901.geojson")
    if not isinstance(line, MultiLineString):
        line = MultiLineString([line])
    if not isinstance(occupied, MultiPolygon):
        occupied = MultiPolygon([occupied])
    data = agreement_data()
    data["zones"]["exclusions"] = []
    data["prohibited_acts"] = [
        act for act in data["prohibited_acts"] if act["code"] not in {"NFZ-AIR", "MEZ-SEA"}
    ]
    loaded = LoadedAgreement(
        agreement=Agreement.model_validate(data), line=line, held_areas={"RU": occupied}
    )
    return Adjudicator(loaded, Theatre(loaded), registry())


def test_shelling_of_kramatorsk_from_the_east(real_adjudicator: Adjudicator) -> None:
    kramatorsk = incident(
        "kramatorsk", 37.56, 48.73, (Kind.EXPLOSION,), fire_from_bearing_deg=100.0
    )
    (determination,) = real_adjudicator.adjudicate([kramatorsk], [])
    assert determination.side == "UA"
    assert determination.signed_distance_m > 0
    # 20.1 km by an independent computation: the line densified, the nearest vertex by Geod.
    assert abs(determination.distance_to_line_m - 20_107.0) < 200.0
    assert determination.attributed_to == "RU"
    assert determination.rules == ("CV-FIRE",)
    assert determination.status is Status.CLEAR_BREACH
    assert "from Russian-held territory" in determination.attribution_basis
    assert "on the Ukrainian-held side" in determination.explanation


def test_artillery_seen_in_donetsk_is_beyond_its_band(real_adjudicator: Adjudicator) -> None:
    donetsk = incident("donetsk", 37.80, 48.00, (Kind.WEAPON_SIGHTING,), calibre_mm=152.0)
    (determination,) = real_adjudicator.adjudicate([donetsk], [])
    assert determination.side == "RU"
    assert determination.signed_distance_m < 0
    # 42.6 km from the line by the same independent computation: beyond the 25 km band.
    assert abs(determination.distance_to_line_m - 42_598.0) < 400.0
    assert determination.attributed_to == "RU"
    assert determination.rules == ()
    assert determination.status is Status.NO_VIOLATION
    assert "withdrawal:artillery" not in determination.zones
