"""Crash safety: a writer is killed with SIGKILL at random moments, many times; after each
restart every acknowledged observation is present exactly once, no incident refers to a
missing observation, and the store passes SQLite's integrity check.

The writer is forked from the test process, which has already imported Truceline and opened
the store once, so that each of the many runs starts in milliseconds. The service is killed
the same way, fewer times: each restart of uvicorn takes a few seconds. `make fuzz` raises
both numbers through TRUCELINE_CRASH_KILLS and TRUCELINE_CRASH_SERVICE_KILLS.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from crash_support import BATCHES, batch, ingest

from truceline.ledger.verify import verify_store
from truceline.store import open_store, store_engine

KILLS = int(os.environ.get("TRUCELINE_CRASH_KILLS", "190"))
"""SIGKILLs of the store writer (`make fuzz` runs many more)."""
SERVICE_KILLS = int(os.environ.get("TRUCELINE_CRASH_SERVICE_KILLS", "3"))
SEED = 20260115
TOKEN = "crash-token-0123456789abcdef"
TRUCELINE = Path(sys.executable).with_name("truceline")


def expected_ids(indexes: set[int]) -> set[str]:
    return {obs.id for index in indexes for obs in batch(index)}


def check_store(path: Path, acknowledged: set[str]) -> int:
    """The store is sound and holds each acknowledged observation once; the number of
    observations it holds."""
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        ids = [row[0] for row in conn.execute("SELECT id FROM observations")]
        dangling = conn.execute(
            "SELECT count(*) FROM incident_observations AS link WHERE NOT EXISTS "
            "(SELECT 1 FROM observations AS o WHERE o.id = link.observation_id)"
        ).fetchone()[0]
        empty = conn.execute(
            "SELECT count(*) FROM incidents AS i WHERE NOT EXISTS "
            "(SELECT 1 FROM incident_observations AS link WHERE link.incident_id = i.id)"
        ).fetchone()[0]
    conn.close()
    assert len(ids) == len(set(ids)), "an observation is stored twice"
    missing = acknowledged - set(ids)
    assert not missing, f"{len(missing)} acknowledged observation(s) lost, e.g. {min(missing)}"
    assert dangling == 0, "an incident refers to an observation that is not stored"
    assert empty == 0, "an incident without observations remains"
    engine, _ = store_engine(path, create=False)
    try:
        verification = verify_store(engine)
    finally:
        engine.dispose()
    assert verification.ok, verification.problems
    assert verification.entries >= len(ids), "an observation has no ledger entry"
    return len(ids)


def test_sigkill_of_the_writer(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    open_store(path).close()
    context = multiprocessing.get_context("fork")
    rng = random.Random(SEED)
    acked: set[int] = set()
    fused = 0
    for run in range(KILLS):
        receiver, sender = context.Pipe(duplex=False)
        start = rng.randrange(BATCHES)
        writer = context.Process(target=ingest, args=(path, start, SEED + run, sender))
        writer.start()
        sender.close()
        deadline = time.monotonic() + rng.uniform(0.005, 0.08)
        while time.monotonic() < deadline:
            if receiver.poll(0.005):
                try:
                    value = receiver.recv()
                except EOFError:
                    break
                fused += value == -1
                if value >= 0:
                    acked.add(value)
        assert writer.pid is not None
        os.kill(writer.pid, signal.SIGKILL)
        writer.join()
        assert writer.exitcode == -signal.SIGKILL, f"the writer ended by itself ({writer.exitcode})"
        # what the writer sent before it died was acknowledged too
        while receiver.poll():
            try:
                value = receiver.recv()
            except EOFError:
                break
            if value >= 0:
                acked.add(value)
        receiver.close()
        if run % 20 == 19 or run == KILLS - 1:
            check_store(path, expected_ids(acked))
    assert acked, "no batch was ever acknowledged: the kills came too early"
    assert fused, "the writer never fused: incidents were not exercised"
    reopened = open_store(path)
    try:
        assert reopened.observation_count() >= len(expected_ids(acked))
    finally:
        reopened.close()


# --- the service over HTTP --------------------------------------------------------------


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "token"
    path.write_text(TOKEN, encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve(db: Path, token_file: Path, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            str(TRUCELINE),
            "serve",
            "--db",
            str(db),
            "--create",
            "--port",
            str(port),
            "--token-file",
            str(token_file),
            "--log-level",
            "error",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_ready(client: httpx.Client, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"the service stopped: {server.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            if client.get("/api/health").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("the service did not answer /api/health within 30 s")


def rows(index: int) -> list[dict[str, object]]:
    return [
        obs.model_dump(
            mode="json",
            include={"source_id", "source_ref", "observed_at", "lon", "lat", "kind"},
        )
        for obs in batch(index)
    ]


@pytest.fixture
def killed_servers() -> Iterator[list[subprocess.Popen[bytes]]]:
    servers: list[subprocess.Popen[bytes]] = []
    yield servers
    for server in servers:
        if server.poll() is None:
            server.kill()
        server.wait()
        if server.stderr is not None:
            server.stderr.close()


def test_sigkill_of_the_service(
    tmp_path: Path, token_file: Path, killed_servers: list[subprocess.Popen[bytes]]
) -> None:
    db = tmp_path / "service.sqlite"
    rng = random.Random(SEED)
    acked: set[int] = set()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    for _ in range(SERVICE_KILLS):
        port = free_port()
        server = serve(db, token_file, port)
        killed_servers.append(server)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as client:
            wait_ready(client, server)
            killer_at = time.monotonic() + rng.uniform(0.05, 0.6)
            index = rng.randrange(BATCHES)
            while time.monotonic() < killer_at:
                try:
                    response = client.post(
                        "/api/observations/batch",
                        json={"observations": rows(index)},
                        timeout=10,
                    )
                except httpx.TransportError:
                    break
                assert response.status_code == 200, response.text
                assert response.json()["rejected"] == 0
                acked.add(index)
                index = (index + 1) % BATCHES
        os.kill(server.pid, signal.SIGKILL)
        server.wait()
        check_store(db, expected_ids(acked))
    assert acked
