"""The generated theatre: its geometry and the Minsk II style terms of its agreement."""

from __future__ import annotations

import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from simulation_checks import Metric

from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.model import ANYWHERE, BUFFER, WITHDRAWAL, Severity
from truceline.observations.model import Domain, Kind
from truceline.simulation import generate_theatre


def test_parties_and_sides(theatre: LoadedAgreement) -> None:
    agreement = theatre.agreement
    assert [(p.code, p.name, p.adjective) for p in agreement.parties] == [
        ("BLU", "Blue Forces", "Blue"),
        ("RED", "Red Forces", "Red"),
    ]
    assert agreement.line.rest_held_by == "BLU"
    assert set(theatre.held_areas) == {"BLU", "RED"}
    blu, red = theatre.held_areas["BLU"], theatre.held_areas["RED"]
    # Blue holds the west, Red the east.
    assert blu.centroid.x < theatre.line.centroid.x < red.centroid.x


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**31 - 1))
def test_every_seed_gives_a_sound_theatre(seed: int) -> None:
    theatre = generate_theatre(seed)
    metric = Metric(theatre)
    assert 300.0 <= metric.line.length / 1000.0 <= 400.0
    blu, red = metric.held["BLU"], metric.held["RED"]
    assert blu.is_valid
    assert red.is_valid
    assert blu.intersection(red).area < 1.0  # m², shared boundary only
    # The line is the boundary between the two held areas.
    vertices = shapely.points(shapely.get_coordinates(metric.line))
    assert float(shapely.distance(blu, vertices).max()) < 1.0
    assert float(shapely.distance(red, vertices).max()) < 1.0
    # One end of the line is at the coast; the maritime zone lies at sea off that end.
    mez = metric.project(theatre.exclusions["MEZ-1"])
    start = shapely.Point(shapely.get_coordinates(metric.line)[0])
    assert not mez.intersects(blu)
    assert not mez.intersects(red)
    assert mez.distance(start) < 20_000.0
    assert mez.distance(blu.union(red)) < 10_000.0
    # The no-fly zone spans the line, over both sides.
    nfz = metric.project(theatre.exclusions["NFZ-1"])
    assert nfz.intersects(metric.line)
    assert nfz.intersection(blu).area > 1e8
    assert nfz.intersection(red).area > 1e8


def test_same_seed_same_theatre() -> None:
    a, b, c = generate_theatre(3), generate_theatre(3), generate_theatre(4)
    assert a.line.equals_exact(b.line, 0.0)
    assert all(a.held_areas[k].equals_exact(b.held_areas[k], 0.0) for k in a.held_areas)
    assert all(a.exclusions[k].equals_exact(b.exclusions[k], 0.0) for k in a.exclusions)
    assert a.agreement == b.agreement
    assert not a.line.equals_exact(c.line, 1e-6)


def test_weapon_classes_and_zones_follow_minsk_ii(theatre: LoadedAgreement) -> None:
    agreement = theatre.agreement
    bands = {b.weapon_class: b.width_km for b in agreement.zones.withdrawal_bands}
    assert bands == {
        "artillery_100mm_plus": {"BLU": 25.0, "RED": 25.0},
        "mlrs": {"BLU": 35.0, "RED": 35.0},
        "heavy_mlrs": {"BLU": 70.0, "RED": 70.0},
        "light_heavy_weapons": {"BLU": 15.0, "RED": 15.0},
    }
    heavy = next(w for w in agreement.weapon_classes if w.code == "heavy_mlrs")
    assert {"Tornado-S", "Uragan", "Smerch", "Tochka-U"} <= set(heavy.examples)
    artillery = next(w for w in agreement.weapon_classes if w.code == "artillery_100mm_plus")
    assert artillery.min_calibre_mm == 100
    assert agreement.zones.buffer is not None
    assert agreement.zones.buffer.width_km == {"BLU": 2.0, "RED": 2.0}
    assert [(z.id, z.type) for z in agreement.zones.exclusions] == [
        ("NFZ-1", "no_fly"),
        ("MEZ-1", "maritime"),
    ]


def test_prohibited_and_permitted_acts(theatre: LoadedAgreement) -> None:
    agreement = theatre.agreement
    acts = {a.code: a for a in agreement.prohibited_acts}
    assert list(acts) == ["CV-FIRE", "HW-WITHDRAWAL", "DMZ-PRESENCE", "NFZ-AIR", "MEZ-SEA"]
    fire = acts["CV-FIRE"]
    assert set(fire.kinds) == {Kind.EXPLOSION, Kind.IMPACT, Kind.LAUNCH, Kind.SMALL_ARMS_FIRE}
    assert (fire.zones, fire.within_km, fire.severity) == ([ANYWHERE], 40, Severity.HIGH)
    assert (acts["HW-WITHDRAWAL"].zones, acts["HW-WITHDRAWAL"].severity) == (
        [WITHDRAWAL],
        Severity.HIGH,
    )
    dmz = acts["DMZ-PRESENCE"]
    assert set(dmz.kinds) == {Kind.ARMED_PRESENCE, Kind.WEAPON_SIGHTING, Kind.MOVEMENT}
    assert (dmz.zones, dmz.severity) == ([BUFFER], Severity.MEDIUM)
    assert (acts["NFZ-AIR"].zones, acts["NFZ-AIR"].domains) == (["NFZ-1"], [Domain.AIR])
    assert (acts["MEZ-SEA"].zones, acts["MEZ-SEA"].domains) == (["MEZ-1"], [Domain.SEA])
    permitted = {
        p.code: (sorted(p.exempts), p.notice_hours) for p in agreement.permitted_activities
    }
    assert permitted == {
        "DEMINING": (["CV-FIRE", "DMZ-PRESENCE"], 24),
        "REPAIRS": (["DMZ-PRESENCE"], 24),
        "ROTATION": (["DMZ-PRESENCE"], 48),
    }
    assert (
        agreement.clear_breach.min_confidence,
        agreement.clear_breach.min_independent_sources,
    ) == (
        0.9,
        2,
    )
    assert [t.deadline_hours for t in agreement.response_protocol] == [1, 24, 72]


def test_terms_without_exclusion_zones_have_no_zone_rules(real: LoadedAgreement) -> None:
    codes = [a.code for a in real.agreement.prohibited_acts]
    assert codes == ["CV-FIRE", "HW-WITHDRAWAL", "DMZ-PRESENCE"]
    assert real.agreement.zones.exclusions == []
