"""Fusion of real NASA FIRMS VIIRS (NOAA-20) detections over Ukraine, autumn 2025."""

from __future__ import annotations

import csv
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fusion_support import SOURCES, MemoryStore, registry

from truceline.fusion.fuse import fuse
from truceline.fusion.grades import grade_probability
from truceline.fusion.incremental import refuse
from truceline.observations.model import Credibility, Kind, Observation, Reliability
from truceline.store import open_store


def _detections(path: Path) -> list[Observation]:
    """One observation per FIRMS row: VIIRS pixel size from scan and track (km)."""
    result = []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            when = datetime.fromisoformat(f"{row['acq_date']}T{row['acq_time']}+00:00")
            result.append(
                Observation(
                    source_id="firms-viirs-noaa20",
                    source_ref=f"{row['acq_date']}T{row['acq_time']}/{row['latitude']}/"
                    f"{row['longitude']}",
                    observed_at=when,
                    time_uncertainty_s=60.0,
                    received_at=when + timedelta(hours=3),
                    lon=float(row["longitude"]),
                    lat=float(row["latitude"]),
                    location_uncertainty_m=500.0
                    * math.hypot(float(row["scan"]), float(row["track"])),
                    kind=Kind.THERMAL_ANOMALY,
                    reliability=Reliability.B,
                    credibility=Credibility.POSSIBLY_TRUE,
                )
            )
    return result


@pytest.fixture(scope="module")
def days(shared_data: Path) -> list[list[Observation]]:
    files = sorted((shared_data / "firms" / "viirs_noaa20_2025").glob("*.csv"))
    assert len(files) > 30
    return [_detections(path) for path in files]


def test_detections_fuse_into_fires_of_one_overpass(days: list[list[Observation]]) -> None:
    every = [o for day in days for o in day]
    incidents = fuse(every, registry())
    held = sorted(oid for incident in incidents for oid in incident.observation_ids)
    assert held == sorted({o.id for o in every})
    assert len(incidents) < len(held)
    multi = [i for i in incidents if len(i.observation_ids) > 1]
    assert len(multi) > 100, "neighbouring pixels of one fire are fused"
    for incident in incidents:
        assert incident.end - incident.start < timedelta(hours=1)
        assert incident.kinds == (Kind.THERMAL_ANOMALY,)
        assert incident.independent_sources == 1
        assert incident.confidence == pytest.approx(grade_probability("B3"))
        assert 44.0 < incident.lat < 53.0
        assert 22.0 < incident.lon < 41.0
    assert min(i.start for i in incidents) >= datetime(2025, 9, 1, tzinfo=UTC)


def test_day_by_day_equals_all_at_once(days: list[list[Observation]]) -> None:
    store = MemoryStore()
    for day in days:
        store.add(day)
        store.apply(refuse(day, store, registry()))
    assert store.sorted_incidents() == fuse([o for day in days for o in day], registry())


def test_day_by_day_through_a_sqlite_store(days: list[list[Observation]], tmp_path: Path) -> None:
    with open_store(tmp_path / "fusion.sqlite") as store:
        store.upsert_sources(SOURCES)
        for day in days:
            store.add_observations(day)
            update = refuse(day, store, registry())
            store.replace_incidents(update.removed_ids, update.added)
        stored = sorted(store.incidents(), key=lambda incident: incident.id)
    assert stored == fuse([o for day in days for o in day], registry())
