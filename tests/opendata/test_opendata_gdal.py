"""A real GIS reads the OGC API: GDAL's ogrinfo and ogr2ogr against `truceline serve
--public-read` on a free port, anonymous and with a token."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.opendata.opendata_support import Marked
from tests.service.service_support import TOKEN, free_port

from truceline.opendata.zones import zone_features

START_SECONDS = 30.0


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is missing: install gdal-bin (apt-get install gdal-bin)")
    return found


@pytest.fixture(scope="module")
def server(marked: Marked, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of `truceline serve --public-read` over the marked store, stopped after."""
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "serve.log"
    env = {**os.environ, "TRUCELINE_ADMIN_TOKEN": TOKEN}
    command = [
        sys.executable,
        "-m",
        "truceline.cli.serve",
        "--db",
        str(marked.path),
        "--port",
        str(port),
        "--public-read",
        "--log-level",
        "warning",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"truceline serve ended: {log.read_text()}")
            try:
                if httpx.get(f"{url}/api/health", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"truceline serve did not answer within {START_SECONDS} s")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _run(*args: str) -> str:
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _count(summary: str) -> int:
    found = re.search(r"^Feature Count: (\d+)$", summary, flags=re.MULTILINE)
    assert found is not None, summary
    return int(found.group(1))


def test_ogrinfo_lists_the_layers(server: str) -> None:
    summary = _run(_tool("ogrinfo"), "-ro", "-so", f"OAPIF:{server}/ogc")
    layers = re.findall(r"^\d+: (\w+) ", summary, flags=re.MULTILINE)
    assert layers == ["incidents", "determinations", "line", "zones"]
    assert "incidents (title: Incidents) (Point)" in summary


def test_ogrinfo_counts_what_the_reader_may_read(server: str, marked: Marked) -> None:
    ogrinfo = _tool("ogrinfo")
    anonymous = _run(ogrinfo, "-ro", "-al", "-so", f"OAPIF:{server}/ogc", "incidents")
    assert _count(anonymous) == len(marked.incidents("public"))
    assert "kinds: StringList" in anonymous
    assert "start: DateTime" in anonymous
    header = f"Authorization: Bearer {TOKEN}"
    operator = _run(
        ogrinfo,
        "-ro",
        "-al",
        "-so",
        "--config",
        "GDAL_HTTP_HEADERS",
        header,
        f"OAPIF:{server}/ogc",
        "incidents",
    )
    assert _count(operator) == len(marked.incidents())
    zones = _run(ogrinfo, "-ro", "-al", "-so", f"OAPIF:{server}/ogc", "zones")
    assert _count(zones) == len(zone_features(marked.scenario.loaded)) == 12


def test_ogr2ogr_copies_a_collection_to_a_geopackage(
    server: str, marked: Marked, tmp_path: Path
) -> None:
    target = tmp_path / "determinations.gpkg"
    _run(
        _tool("ogr2ogr"),
        "-f",
        "GPKG",
        str(target),
        f"OAPIF:{server}/ogc",
        "determinations",
        "-mapFieldType",
        "StringList=String",
    )
    summary = _run(_tool("ogrinfo"), "-ro", "-so", str(target), "determinations")
    assert _count(summary) == len(marked.determinations("public"))
    assert "Geometry: Point" in summary
