"""docs/simulation.md describes the sensors and the truth as the code has them."""

from __future__ import annotations

from pathlib import Path

import pytest

from truceline.simulation import Category, TruthEvent, generate_theatre
from truceline.simulation.planning import HARVEST_FIRES_PER_100KM_DAY, UNSEEN_FRACTION
from truceline.simulation.sensors import (
    ORBITS,
    AcousticArrays,
    EventSensor,
    FixedCameras,
    GroundPatrols,
    OpenSources,
    PartyReports,
    SatelliteImagery,
    SatelliteThermal,
    SensorModel,
    UavFleet,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "simulation.md"
TABLED: list[type[EventSensor]] = [
    UavFleet,
    AcousticArrays,
    FixedCameras,
    GroundPatrols,
    SatelliteImagery,
    OpenSources,
]


@pytest.fixture(scope="module")
def text() -> str:
    return DOC.read_text(encoding="utf-8")


def test_detection_tables_are_the_code(text: str) -> None:
    for cls in TABLED:
        cells = ", ".join(f"{kind.value} {p:g}" for kind, p in cls.detection.items())
        assert f"| `{cls.__name__}` | {cells} |" in text, cls.__name__


def test_every_sensor_and_source_is_documented(text: str) -> None:
    documented: list[type[SensorModel]] = [*TABLED, PartyReports, SatelliteThermal]
    for cls in documented:
        assert f"`{cls.__name__}`" in text
    for orbit in ORBITS:
        assert f"`{orbit.source_id}`" in text
    for prefix in ("uav-1", "acoustic-01", "camera-01", "patrol-teams", "imagery-desk"):
        assert f"`{prefix}`" in text
    assert "`osint-monitor`" in text
    assert "`party-<code>`" in text


def test_truth_fields_and_categories_are_documented(text: str) -> None:
    for name in TruthEvent.__dataclass_fields__:
        assert f"`{name}`" in text, name
    for category in Category:
        assert f"| `{category.value}` |" in text, category


def test_rates_and_theatre_terms_are_documented(text: str) -> None:
    assert f"`UNSEEN_FRACTION` = {UNSEEN_FRACTION:.0%}".replace("%", " %") in text
    assert f"{HARVEST_FIRES_PER_100KM_DAY:g} per 100 km and day" in text
    agreement = generate_theatre().agreement
    for act in agreement.prohibited_acts:
        assert f"| `{act.code}` |" in text
    for band in agreement.zones.withdrawal_bands:
        assert f"| `{band.weapon_class}` |" in text
