"""A full disk: the store refuses the write with a clear message, keeps everything it
acknowledged, and stays sound. The store lives on a tmpfs of 2 MiB mounted for the test."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from truceline.errors import StoreError
from truceline.observations.model import Kind, Observation
from truceline.store import open_store

RECEIVED_AT = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
TRUCELINE = Path(sys.executable).with_name("truceline")


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A folder on a 2 MiB tmpfs; unmounted afterwards."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert mounted.returncode == 0, (
        f"cannot mount a 2 MiB tmpfs ({mounted.stderr.strip()}); these tests need root or "
        "CAP_SYS_ADMIN to mount a small file system"
    )
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def batch(start: int, size: int) -> list[Observation]:
    return [
        Observation(
            source_id="uav-1",
            source_ref=f"report-{n:08d}-" + "x" * 120,
            observed_at=RECEIVED_AT - timedelta(minutes=n),
            received_at=RECEIVED_AT,
            lon=30.0 + (n % 1000) / 100,
            lat=45.0 + (n % 700) / 100,
            kind=Kind.EXPLOSION,
            attributes={"note": f"padding {n} " + "y" * 300},
        )
        for n in range(start, start + size)
    ]


def test_store_on_a_full_disk(tiny_disk: Path) -> None:
    path = tiny_disk / "store.sqlite"
    store = open_store(path)
    acknowledged: list[str] = []
    refusal: StoreError | None = None
    try:
        for start in range(0, 1_000_000, 200):
            observations = batch(start, 200)
            try:
                store.add_observations(observations)
            except StoreError as exc:
                refusal = exc
                break
            acknowledged.extend(o.id for o in observations)
    finally:
        store.close()
    assert refusal is not None, "the 2 MiB disk never filled"
    message = str(refusal)
    assert "no space left on the device holding the store" in message, message
    assert "free space and retry" in message
    assert acknowledged, "the disk filled before the first batch"

    # nothing corrupted: the file checks out, and every acknowledged batch is there once
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored = [row[0] for row in conn.execute("SELECT id FROM observations")]
    conn.close()
    assert len(stored) == len(set(stored))
    assert set(acknowledged) <= set(stored)
    reopened = open_store(path)
    try:
        assert reopened.observation_count() == len(stored)
    finally:
        reopened.close()


def test_cli_ingest_on_a_full_disk(tiny_disk: Path, tmp_path: Path) -> None:
    """`truceline ingest` says what to do and exits with 3 (a store problem)."""
    feed = tmp_path / "reports.csv"
    lines = ["source_id,source_ref,observed_at,lon,lat,kind,attr_note"]
    lines += [
        f"firms-viirs-noaa20,r{n:07d},2025-09-01T10:00:00Z,37.5,48.1,explosion,{'z' * 400}"
        for n in range(20_000)
    ]
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = subprocess.run(
        [str(TRUCELINE), "ingest", str(feed), "--db", str(tiny_disk / "store.sqlite"), "-q"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 3, done.stdout + done.stderr
    assert "no space left on the device holding the store" in done.stderr + done.stdout
    assert "free space and retry" in done.stderr + done.stdout
    with sqlite3.connect(tiny_disk / "store.sqlite") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
