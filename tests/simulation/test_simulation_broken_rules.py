"""The truth names every rule a violation breaks, not only the one it was planned for."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from simulation_checks import Metric, where_problems

from truceline.agreement.loaded import LoadedAgreement
from truceline.simulation import Category, Scenario
from truceline.simulation.broken_rules import broken_rules
from truceline.simulation.events import EventTable
from truceline.simulation.placement import TheatreFrame

WEAPON = "weapon_sighting"


@pytest.fixture(scope="module")
def frame(theatre: LoadedAgreement) -> TheatreFrame:
    return TheatreFrame(theatre)


def _violations(scenario: Scenario) -> list[Any]:
    return [e for e in scenario.truth if e.category is Category.VIOLATION]


def test_every_violation_lists_its_primary_rule_among_sorted_rules(scenario: Scenario) -> None:
    codes = {a.code for a in scenario.loaded.agreement.prohibited_acts}
    for event in _violations(scenario):
        assert event.rules, event
        assert event.rule in event.rules, event
        assert list(event.rules) == sorted(set(event.rules))
        assert set(event.rules) <= codes
    others = [e for e in scenario.truth if e.category is not Category.VIOLATION]
    assert others
    assert all(e.rules == () for e in others)


def test_a_weapon_in_the_buffer_breaks_the_buffer_and_the_band_rule(scenario: Scenario) -> None:
    in_buffer = [
        e
        for e in _violations(scenario)
        if e.rule == "DMZ-PRESENCE"
        and e.kind.value == WEAPON
        and e.note.startswith("in the buffer")
    ]
    assert in_buffer
    for event in in_buffer:
        assert event.weapon_class is not None
        assert event.rules == ("DMZ-PRESENCE", "HW-WITHDRAWAL"), event
    people = [
        e for e in _violations(scenario) if e.rule == "DMZ-PRESENCE" and e.kind.value != WEAPON
    ]
    assert people
    assert all(e.rules == ("DMZ-PRESENCE",) for e in people)


def test_every_listed_rule_applies_where_the_violation_lies(
    scenario: Scenario, theatre_metric: Metric
) -> None:
    problems = {
        (e.id, code): where_problems(theatre_metric, replace(e, rule=code))
        for e in _violations(scenario)
        for code in e.rules
    }
    assert {k: v for k, v in problems.items() if v} == {}


def _at(frame: TheatreFrame, km: float, party: str, seed: int) -> tuple[float, float]:
    x, y = frame.sample_near_line(
        np.random.default_rng(seed), 1, party=party, min_m=km * 1000.0, max_m=km * 1000.0 + 50.0
    )
    return float(x[0]), float(y[0])


def _table(frame: TheatreFrame, rows: list[dict[str, Any]]) -> EventTable:
    columns: dict[str, list[Any]] = {
        k: [r.get(k) for r in rows]
        for k in ("category", "kind", "x", "y", "party", "weapon_class", "prenotification_id")
    }
    table = EventTable.make(
        len(rows),
        t=1.75e9,
        domain=[r.get("domain", "land") for r in rows],
        rule=None,
        victim=None,
        forced_source=None,
        **columns,
    )
    return table.locate(frame)


def test_rules_follow_kind_zone_distance_class_and_notice(
    theatre: LoadedAgreement, frame: TheatreFrame
) -> None:
    v = Category.VIOLATION.value
    cases: list[tuple[dict[str, Any], tuple[str, ...]]] = [
        (
            {"kind": WEAPON, "weapon_class": "light_heavy_weapons", "km": 1.0},
            ("DMZ-PRESENCE", "HW-WITHDRAWAL"),
        ),
        ({"kind": WEAPON, "weapon_class": "light_heavy_weapons", "km": 10.0}, ("HW-WITHDRAWAL",)),
        ({"kind": WEAPON, "weapon_class": "light_heavy_weapons", "km": 20.0}, ()),
        ({"kind": WEAPON, "weapon_class": "artillery_100mm_plus", "km": 20.0}, ("HW-WITHDRAWAL",)),
        ({"kind": "movement", "km": 1.0}, ("DMZ-PRESENCE",)),
        ({"kind": "movement", "km": 3.0}, ()),
        ({"kind": "explosion", "km": 30.0}, ("CV-FIRE",)),
        ({"kind": "explosion", "km": 45.0}, ()),
        (
            {
                "kind": "movement",
                "km": 1.0,
                "category": Category.PERMITTED_ACTIVITY.value,
                "prenotification_id": "pn-x",
            },
            (),
        ),
        (
            {
                "kind": "explosion",
                "km": 1.0,
                "category": Category.PERMITTED_ACTIVITY.value,
                "prenotification_id": "pn-x",
            },
            (),
        ),
        (
            {
                "kind": "movement",
                "km": 1.0,
                "category": Category.PERMITTED_ACTIVITY.value,
                "prenotification_id": "pn-other",
            },
            ("DMZ-PRESENCE",),
        ),
        ({"kind": "explosion", "km": 1.0, "category": Category.FALSE_REPORT.value}, ()),
        ({"kind": "explosion", "km": 1.0, "category": Category.HARVEST_FIRE.value}, ()),
    ]
    rows = []
    for i, (case, _) in enumerate(cases):
        party = "RED" if i % 2 else "BLU"
        x, y = _at(frame, case.pop("km"), party, seed=i)
        rows.append({"category": v, "party": party, "x": x, "y": y, **case})
    lifted = {"pn-x": frozenset({"CV-FIRE", "DMZ-PRESENCE"}), "pn-other": frozenset({"CV-FIRE"})}
    got = broken_rules(_table(frame, rows), frame, theatre.agreement, lifted)
    assert got == [expected for _, expected in cases]


def test_an_exclusion_zone_binds_only_the_parties_it_names(
    theatre: LoadedAgreement, frame: TheatreFrame
) -> None:
    agreement = theatre.agreement
    zones = agreement.zones.model_copy(
        update={
            "exclusions": [
                z.model_copy(update={"applies_to": ["RED"]}) if z.id == "NFZ-1" else z
                for z in agreement.zones.exclusions
            ]
        }
    )
    red_only = agreement.model_copy(update={"zones": zones})
    x, y = frame.sample_in_zone(np.random.default_rng(3), 2, "NFZ-1")
    rows = [
        {
            "category": Category.VIOLATION.value,
            "kind": "aircraft",
            "domain": "air",
            "party": p,
            "x": float(x[i]),
            "y": float(y[i]),
        }
        for i, p in enumerate(("RED", "BLU"))
    ]
    table = _table(frame, rows)
    assert broken_rules(table, frame, agreement, {}) == [("NFZ-AIR",), ("NFZ-AIR",)]
    assert broken_rules(table, frame, red_only, {}) == [("NFZ-AIR",), ()]
    on_land = _table(frame, [{**rows[0], "domain": "land"}])
    assert broken_rules(on_land, frame, agreement, {}) == [()]
