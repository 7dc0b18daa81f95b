"""The shipped Minsk II template loads with the real line of contact and occupied area."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from agreement_testdata import TEMPLATE, line_file, occupied_file, template_folder, variant
from shapely.geometry import Point

from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.loader import load_agreement
from truceline.agreement.model import ANYWHERE, BUFFER, WITHDRAWAL, Severity
from truceline.agreement.summary import area_km2, length_km


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> LoadedAgreement:
    folder = tmp_path_factory.mktemp("template")
    notices: list[str] = []
    loaded = load_agreement(template_folder(folder, shared_data), notices=notices)
    assert notices == []
    return loaded


def test_template_identifies_itself_and_its_parties(template: LoadedAgreement) -> None:
    a = template.agreement
    assert (a.id, a.version, a.amends) == ("minsk-ii-template", 1, None)
    assert [p.code for p in a.parties] == ["UA", "RU"]
    assert a.effective_from.isoformat() == "2015-02-14T22:00:00+00:00"
    assert a.line.rest_held_by == "UA"
    assert list(a.line.held_areas) == ["RU"]


def test_template_has_the_minsk_ii_withdrawal_bands(template: LoadedAgreement) -> None:
    bands = {b.weapon_class: b.width_km for b in template.agreement.zones.withdrawal_bands}
    assert bands == {
        "artillery-100mm-plus": {"UA": 25, "RU": 25},
        "mlrs": {"UA": 35, "RU": 35},
        "long-range-rockets": {"UA": 70, "RU": 70},
        "tanks": {"UA": 15, "RU": 15},
        "artillery-under-100mm": {"UA": 15, "RU": 15},
        "mortars": {"UA": 15, "RU": 15},
    }
    classes = {w.code: w for w in template.agreement.weapon_classes}
    assert classes["artillery-100mm-plus"].min_calibre_mm == 100
    assert classes["mortars"].max_calibre_mm == 120
    assert any("Tornado-S" in e for e in classes["long-range-rockets"].examples)
    buffer = template.agreement.zones.buffer
    assert buffer is not None
    assert buffer.width_km == {"UA": 2, "RU": 2}


def test_template_prohibits_fire_weapons_presence_air_and_sea(template: LoadedAgreement) -> None:
    a = template.agreement
    fire = a.prohibited_act("CV-FIRE")
    assert fire.zones == [ANYWHERE]
    assert {k.value for k in fire.kinds} == {"explosion", "impact", "launch", "small_arms_fire"}
    assert a.prohibited_act("HW-WITHDRAWAL").zones == [WITHDRAWAL]
    assert a.prohibited_act("DMZ-PRESENCE").zones == [BUFFER]
    no_fly = a.prohibited_act("NFZ-AIR")
    sea = a.prohibited_act("MEZ-SEA")
    zone_types = {z.id: z.type for z in a.zones.exclusions}
    assert [zone_types[z] for z in no_fly.zones] == ["no_fly"]
    assert [zone_types[z] for z in sea.zones] == ["maritime"]
    assert fire.severity is Severity.HIGH


def test_template_permits_notified_demining_repairs_and_rotations(
    template: LoadedAgreement,
) -> None:
    a = template.agreement
    demining = a.permitted_activity("DEMINING")
    assert demining.notice_hours == 24
    assert set(demining.exempts) == {"CV-FIRE", "DMZ-PRESENCE"}
    assert "explosion" in demining.kinds
    assert {p.code for p in a.permitted_activities} == {"DEMINING", "REPAIRS", "ROTATION"}


def test_template_threshold_and_response_tiers(template: LoadedAgreement) -> None:
    a = template.agreement
    assert (a.clear_breach.min_confidence, a.clear_breach.min_independent_sources) == (0.9, 2)
    assert [t.deadline_hours for t in a.response_protocol] == [1, 24, 72]
    assert all(t.trigger.clear_breach for t in a.response_protocol)


def test_template_geometry_is_the_real_line_and_area(template: LoadedAgreement) -> None:
    assert 1500 < length_km(template.line) < 1600
    occupied = template.held_areas["RU"]
    assert 110_000 < area_km2(occupied) < 120_000
    assert occupied.contains(Point(37.80, 48.00))  # Donetsk
    assert occupied.contains(Point(33.52, 44.60))  # Sevastopol
    assert not occupied.contains(Point(37.56, 48.73))  # Kramatorsk
    assert not occupied.contains(Point(32.62, 46.64))  # Kherson
    assert set(template.exclusions) == {"znpp-no-fly", "azov-maritime"}
    assert template.exclusions["znpp-no-fly"].contains(Point(34.5856, 47.5119))
    assert template.source is not None
    assert template.source.is_absolute()


def test_template_reads_absolute_paths_into_the_data(tmp_path: Path, shared_data: Path) -> None:
    data = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    data["line"]["file"] = str(line_file(shared_data))
    data["line"]["held_areas"]["RU"] = str(occupied_file(shared_data))
    for zone in data["zones"]["exclusions"]:
        zone["file"] = str(TEMPLATE.parent / zone["file"])
    path = tmp_path / "elsewhere" / "agreement.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    loaded = load_agreement(path)
    assert len(loaded.line.geoms) == len(
        json.loads(line_file(shared_data).read_text())["features"][0]["geometry"]["coordinates"]
    )


def test_template_without_exclusion_zones_still_loads(tmp_path: Path, shared_data: Path) -> None:
    template = template_folder(tmp_path, shared_data)
    data = yaml.safe_load(template.read_text(encoding="utf-8"))
    del data["zones"]["exclusions"]
    data["prohibited_acts"] = [
        act for act in data["prohibited_acts"] if act["code"] not in {"NFZ-AIR", "MEZ-SEA"}
    ]
    path = variant(template, "plain.yaml")
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    loaded = load_agreement(path)
    assert loaded.exclusions == {}
    assert [a.code for a in loaded.agreement.prohibited_acts] == [
        "CV-FIRE",
        "HW-WITHDRAWAL",
        "DMZ-PRESENCE",
    ]
