"""Helpers of the hostile-input tests: reading a file with every adapter, and a worker
that does it in a separate process under a memory limit."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI

from truceline.errors import InputError
from truceline.observations.model import Credibility, Observation, Reliability, SourceType
from truceline.service.app import create_app
from truceline.service.settings import Settings
from truceline.sources.base import Rejection, adapters
from truceline.sources.registry import BUILTIN_SOURCES, Source, SourceRegistry

RECEIVED_AT = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
ADAPTERS = sorted(adapters())
"""Every installed adapter, by name."""
MAX_ITEMS = 10_000
"""Read at most this many records of a fuzzed file (a bound, so that nothing can hang)."""
MEMORY_LIMIT_BYTES = 3 << 30
"""Address space a worker may map: enough for numpy and pyproj, not for a blow-up."""
WORKER_TIMEOUT_S = 60.0


def registry() -> SourceRegistry:
    """The built-in sources and a mission UAV."""
    uav = Source(
        id="uav-1",
        name="Mission UAV 1",
        operator="Mission UAV wing",
        type=SourceType.UAV,
        reliability=Reliability.B,
        credibility=Credibility.PROBABLY_TRUE,
    )
    return SourceRegistry([*BUILTIN_SOURCES, uav])


@dataclass(frozen=True)
class Outcome:
    """What an adapter made of one file."""

    observations: list[Observation]
    rejections: list[Rejection]
    refused: InputError | None
    """The whole file was refused (before or while reading)."""


def read_with(name: str, path: Path, reg: SourceRegistry | None = None) -> Outcome:
    """Read `path` with adapter `name`: its records, or the refusal of the whole file.
    Any other exception propagates: that is a bug the fuzz tests look for."""
    adapter = adapters()[name](reg if reg is not None else registry())
    observations: list[Observation] = []
    rejections: list[Rejection] = []
    try:
        for count, item in enumerate(adapter.read(path, received_at=RECEIVED_AT)):
            if count >= MAX_ITEMS:
                break
            if isinstance(item, Rejection):
                rejections.append(item)
            else:
                observations.append(item)
    except InputError as exc:
        return Outcome(observations, rejections, exc)
    return Outcome(observations, rejections, None)


def assert_explained(outcome: Outcome) -> None:
    """Every rejection and every refusal says why, and every rejection names a place or a
    field."""
    for rejection in outcome.rejections:
        assert rejection.reason.strip(), rejection
        assert rejection.file
        assert rejection.field is not None or rejection.line is not None, rejection
    if outcome.refused is not None:
        assert str(outcome.refused).strip()


def limit_memory() -> None:
    """In a worker: cap the address space, so that a blow-up fails instead of swapping."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))


def run_worker(name: str, path: Path) -> dict[str, object]:
    """Read `path` with adapter `name` in a separate process under the memory limit and a
    time limit; the summary it printed (counts, or the refusal's message)."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("hostile_worker.py")), name, str(path)],
        capture_output=True,
        text=True,
        timeout=WORKER_TIMEOUT_S,
        env=env,
        check=False,
    )
    assert done.returncode == 0, f"worker failed ({done.returncode}):\n{done.stderr[-3000:]}"
    summary: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return summary


class ApiClient:
    """A synchronous HTTP client over the ASGI application, in-process (httpx)."""

    def __init__(self, app: FastAPI, portal: BlockingPortal) -> None:
        self._portal = portal
        transport = httpx.ASGITransport(app=app)
        self._client = httpx.AsyncClient(transport=transport, base_url="http://testserver")

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self._portal.call(lambda: self._client.post(url, **kwargs))

    def close(self) -> None:
        self._portal.call(self._client.aclose)


@contextmanager
def api(settings: Settings) -> Iterator[ApiClient]:
    """A client of a new application with these settings; closed afterwards."""
    app = create_app(settings)
    try:
        with start_blocking_portal() as portal:
            client = ApiClient(app, portal)
            try:
                yield client
            finally:
                client.close()
    finally:
        app.state.service.broker.close()
        app.state.service.store.close()
