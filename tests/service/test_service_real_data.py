"""Real NASA FIRMS detections pushed through the API, as a feed client would send them."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

from service_support import ApiClient, api, row

from truceline.fusion.fuse import fuse
from truceline.observations.model import Observation
from truceline.sources.firms import FirmsAdapter
from truceline.sources.registry import SourceRegistry

DAYS = ("2025244", "2025245")


def _day(shared_data: Path, day: str) -> list[Observation]:
    path = (
        shared_data
        / "firms"
        / "viirs_noaa20_2025"
        / f"J1_VIIRS_C2_Global_VJ114IMGTDL_NRT_{day}.csv"
    )
    received = datetime(2026, 1, 15, tzinfo=UTC)
    found = [
        o for o in FirmsAdapter().read(path, received_at=received) if isinstance(o, Observation)
    ]
    assert len(found) > 100
    return found


def _post(client: ApiClient, observations: list[Observation]) -> dict[str, int]:
    answer = client.post(
        "/api/observations/batch", json={"observations": [row(o) for o in observations]}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["rejected"] == 0, body["rejections"][:3]
    return {"stored": body["stored"], "already_stored": body["already_stored"]}


def test_two_days_of_firms_are_stored_once_and_fused_as_the_pipeline_fuses(
    tmp_path: Path, shared_data: Path
) -> None:
    days = [_day(shared_data, day) for day in DAYS]
    unique = {o.id for day in days for o in day}
    with api(tmp_path / "firms.sqlite") as client:
        counts = [_post(client, day) for day in days]
        assert sum(c["stored"] for c in counts) == len(unique)
        again = _post(client, days[0])
        assert again == {"stored": 0, "already_stored": len(days[0])}
        incidents = client.get("/api/incidents?limit=1000").json()["items"]
    expected = fuse([o for day in days for o in day], SourceRegistry())
    assert [i["id"] for i in incidents] == [
        i.id for i in sorted(expected, key=lambda i: (i.start, i.id))
    ]
    assert sorted(len(i["observation_ids"]) for i in incidents) == sorted(
        len(i.observation_ids) for i in expected
    )


def test_concurrent_submissions_store_each_report_once(tmp_path: Path, shared_data: Path) -> None:
    observations = _day(shared_data, DAYS[0])
    chunks = [observations[i::3] + observations[: len(observations) // 4] for i in range(3)]
    results: list[dict[str, int]] = []
    with api(tmp_path / "concurrent.sqlite", auto_process=False) as client:
        threads = [
            threading.Thread(target=lambda c=chunk: results.append(_post(client, c)))
            for chunk in chunks
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert len(results) == 3
        assert sum(r["stored"] for r in results) == len({o.id for o in observations})
        assert sum(r["stored"] + r["already_stored"] for r in results) == sum(map(len, chunks))
        listed = client.get("/api/observations?limit=1000").json()["items"]
    assert sorted(o["id"] for o in listed) == sorted({o.id for o in observations})
