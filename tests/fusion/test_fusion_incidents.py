"""Incident fields, with the worked examples quoted in docs/fusion.md."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import numpy as np
import pytest
from fusion_support import LAT0, LON0, T0, obs, registry

from truceline.fusion.fuse import fuse
from truceline.fusion.incident import INCIDENT_ATTRIBUTES, Incident
from truceline.fusion.sphere import haversine_m
from truceline.observations.model import Domain, Kind, Observation


def _one(*batch: Observation) -> Incident:
    incidents = fuse(batch, registry())
    assert len(incidents) == 1
    return incidents[0]


def test_worked_example_shelling() -> None:
    """Two UAVs of one wing, an acoustic array and a party report of one explosion."""
    incident = _one(
        obs("uav-1", "u1", kind=Kind.EXPLOSION, grade="B2", r=50.0, u=30.0),
        obs("uav-2", "u2", kind=Kind.EXPLOSION, grade="A2", r=50.0, u=30.0, east_m=60.0, dt_s=20.0),
        obs("acoustic", "a1", kind=Kind.EXPLOSION, grade="C2", r=1000.0, u=5.0, east_m=400.0,
            north_m=-300.0, dt_s=2.0),
        obs("party-ru", "p1", kind=Kind.IMPACT, grade="C3", r=1000.0, u=900.0, north_m=200.0,
            dt_s=300.0),
    )  # fmt: skip
    # UAV wing: max(B2 0.7225, A2 0.8075); acoustic C2 0.595; the party report is left out.
    assert incident.independent_sources == 2
    assert incident.confidence == pytest.approx(1 - (1 - 0.8075) * (1 - 0.595))
    assert incident.confidence == pytest.approx(0.9220375)
    assert incident.party_reporters == ("RU",)
    assert incident.source_ids == ("acoustic", "party-ru", "uav-1", "uav-2")
    assert incident.primary_kind is Kind.IMPACT
    assert incident.kinds == (Kind.EXPLOSION, Kind.IMPACT)
    assert incident.attributes["kind_counts"] == {"explosion": 3, "impact": 1}
    assert incident.attributes["source_grades"] == {
        "acoustic": "C2",
        "party-ru": "C3",
        "uav-1": "B2",
        "uav-2": "A2",
    }
    # Windows: [-30, 30], [-10, 50], [-3, 7], [-600, 1200] seconds: intersection [-3, 7].
    assert incident.start == T0 - timedelta(seconds=3)
    assert incident.end == T0 + timedelta(seconds=7)


def test_worked_example_location() -> None:
    """r = 100 m at the origin and r = 200 m 300 m east: mean 60 m east, uncertainty 120 m."""
    incident = _one(obs("uav-1", "a", r=100.0), obs("camera", "b", r=200.0, east_m=300.0))
    east = haversine_m(*(np.array([v]) for v in (LON0, LAT0, incident.lon, LAT0)))
    assert float(east[0]) == pytest.approx(60.0, rel=1e-3)
    assert incident.lat == pytest.approx(LAT0, abs=1e-7)
    # combined sigma 1 / sqrt(1/100^2 + 1/200^2) = 89.4 m < weighted RMS spread 120 m
    assert incident.location_uncertainty_m == pytest.approx(120.0, rel=1e-3)


def test_agreeing_reports_shrink_the_uncertainty() -> None:
    incident = _one(obs("uav-1", "a", r=100.0), obs("camera", "b", r=100.0, east_m=1.0))
    assert incident.location_uncertainty_m == pytest.approx(100.0 / 2**0.5, rel=1e-3)


def test_a_single_observation_keeps_its_own_values() -> None:
    single = obs("uav-1", "a", r=5.0, u=60.0)
    incident = _one(single)
    assert (incident.lon, incident.lat) == (single.lon, single.lat)
    assert incident.location_uncertainty_m == 10.0  # the 10 m floor
    assert incident.start == T0 - timedelta(seconds=60)
    assert incident.end == T0 + timedelta(seconds=60)
    assert incident.confidence == pytest.approx(0.7225)
    assert incident.observation_ids == (single.id,)


def test_the_time_window_is_the_span_when_the_windows_do_not_all_meet() -> None:
    incident = _one(
        obs("uav-1", "a", u=60.0),
        obs("camera", "b", u=60.0, dt_s=100.0),
        obs("acoustic", "c", u=0.0, dt_s=300.0),
    )
    assert incident.start == T0 - timedelta(seconds=60)
    assert incident.end == T0 + timedelta(seconds=300)


def test_primary_kind_follows_the_priority() -> None:
    incident = _one(
        obs("firms-viirs-noaa20", "t", kind=Kind.THERMAL_ANOMALY),
        obs("camera", "e", kind=Kind.EXPLOSION),
        obs("acoustic", "l", kind=Kind.LAUNCH),
    )
    assert incident.primary_kind is Kind.LAUNCH
    assert incident.kinds == (Kind.EXPLOSION, Kind.LAUNCH, Kind.THERMAL_ANOMALY)


def test_weapon_class_and_calibre_are_the_most_frequent_ties_to_the_first() -> None:
    sighting = Kind.WEAPON_SIGHTING
    incident = _one(
        obs("uav-1", "a", kind=sighting, weapon_class="mlrs", calibre_mm=122.0),
        obs("uav-2", "b", kind=sighting, weapon_class="tank", calibre_mm=125.0),
        obs("camera", "c", kind=sighting, weapon_class="tank", calibre_mm=122.0),
        obs("patrol", "d", kind=Kind.ARMED_PRESENCE),
    )
    assert incident.weapon_class == "tank"
    assert incident.calibre_mm == 122.0
    tie = _one(
        obs("uav-1", "a", kind=sighting, weapon_class="tank", calibre_mm=152.0),
        obs("uav-2", "b", kind=sighting, weapon_class="mlrs", calibre_mm=122.0),
    )
    assert (tie.weapon_class, tie.calibre_mm) == ("mlrs", 122.0)
    plain = _one(obs("uav-1", "a"))
    assert (plain.weapon_class, plain.calibre_mm) == (None, None)


def test_fire_origin_and_bearing() -> None:
    incident = _one(
        obs("uav-1", "a", attributes={"fire_from_bearing_deg": 350, "origin_lon": 38.0,
                                      "origin_lat": 49.0}),
        obs("camera", "b", attributes={"fire_from_bearing_deg": 10.0}),
        obs("acoustic", "c", attributes={"origin_lon": 38.2, "origin_lat": 49.0}),
    )  # fmt: skip
    assert incident.attributes["fire_from_bearing_deg"] == pytest.approx(0.0, abs=1e-9)
    assert incident.attributes["origin_lon"] == pytest.approx(38.1, abs=1e-6)
    assert incident.attributes["origin_lat"] == pytest.approx(49.0, abs=1e-3)
    assert set(incident.attributes) <= set(INCIDENT_ATTRIBUTES)
    opposed = _one(
        obs("uav-1", "a", attributes={"fire_from_bearing_deg": 90}),
        obs("camera", "b", attributes={"fire_from_bearing_deg": 270}),
    )
    assert "fire_from_bearing_deg" not in opposed.attributes
    assert "origin_lon" not in opposed.attributes


def test_the_best_grade_of_each_source() -> None:
    incident = _one(obs("uav-1", "a", grade="C3"), obs("uav-1", "b", grade="B2", east_m=5.0))
    assert incident.attributes["source_grades"] == {"uav-1": "B2"}
    assert incident.confidence == pytest.approx(0.7225)


def test_the_id_is_derived_from_the_smallest_observation_id() -> None:
    batch = [obs("uav-1", f"r{n}", east_m=10.0 * n) for n in range(4)]
    incident = _one(*batch)
    smallest = min(o.id for o in batch)
    assert incident.id == "inc-" + hashlib.sha256(smallest.encode()).hexdigest()[:24]
    assert incident.observation_ids == tuple(sorted(o.id for o in batch))


def test_incidents_are_sorted_by_id_and_valid_under_the_model() -> None:
    batch = [obs("uav-1", f"r{n}", east_m=50_000.0 * n, domain=Domain.LAND) for n in range(5)]
    incidents = fuse(batch, registry())
    assert [i.id for i in incidents] == sorted(i.id for i in incidents)
    for incident in incidents:
        assert Incident.model_validate(incident.model_dump()) == incident


def test_classes_are_weighted_by_grade_and_the_calibre_comes_with_the_class() -> None:
    sighting = Kind.WEAPON_SIGHTING
    incident = _one(
        obs("uav-1", "a", kind=sighting, grade="A1", weapon_class="tank", calibre_mm=125.0),
        obs("uav-2", "b", kind=sighting, grade="E5", weapon_class="mlrs", calibre_mm=122.0),
        obs("camera", "c", kind=sighting, grade="E5", weapon_class="mlrs", calibre_mm=122.0),
        obs("acoustic", "d", kind=sighting, grade="E5", calibre_mm=152.0),
    )
    assert (incident.weapon_class, incident.calibre_mm) == ("tank", 125.0)


def test_party_reports_never_decide_weapon_origin_or_bearing() -> None:
    """Three party reports against one graded mission report: the mission report decides."""
    claim = {"origin_lon": 38.5, "origin_lat": 49.5, "fire_from_bearing_deg": 45.0}
    seen = {"origin_lon": 37.9, "origin_lat": 48.9, "fire_from_bearing_deg": 200.0}
    incident = _one(
        obs("uav-1", "a", grade="C3", weapon_class="artillery", calibre_mm=152.0, attributes=seen),
        *[
            obs(party, ref, grade="A1", weapon_class="mlrs", calibre_mm=122.0, attributes=claim)
            for party, ref in (("party-ru", "p"), ("party-ru", "q"), ("party-ua", "r"))
        ],
    )
    assert (incident.weapon_class, incident.calibre_mm) == ("artillery", 152.0)
    assert incident.attributes["origin_lon"] == 37.9
    assert incident.attributes["origin_lat"] == 48.9
    assert incident.attributes["fire_from_bearing_deg"] == 200.0
    assert not any(key.startswith("party_") for key in incident.attributes)


def test_what_only_a_party_claims_is_kept_apart() -> None:
    claim = {"origin_lon": 38.5, "origin_lat": 49.5, "fire_from_bearing_deg": 45.0}
    incident = _one(
        obs("uav-1", "a"),
        obs("party-ru", "p", grade="A1", weapon_class="mlrs", calibre_mm=122.0, attributes=claim),
    )
    assert (incident.weapon_class, incident.calibre_mm) == (None, None)
    for key in ("origin_lon", "origin_lat", "fire_from_bearing_deg"):
        assert key not in incident.attributes
    assert incident.attributes["party_weapon_class"] == "mlrs"
    assert incident.attributes["party_calibre_mm"] == 122.0
    assert incident.attributes["party_origin_lon"] == 38.5
    assert incident.attributes["party_origin_lat"] == 49.5
    assert incident.attributes["party_fire_from_bearing_deg"] == 45.0
