"""Fixtures of the dashboard tests: a real `truceline serve` over a simulated day, and a
headless Chromium driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dashboard_support import (
    ADMIN_TOKEN,
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    Filled,
    Server,
    fill_store,
    serve,
)

from truceline.simulation.scenario import Scenario, simulate
from truceline.simulation.theatre import generate_theatre


@pytest.fixture(scope="session")
def day() -> Scenario:
    """One simulated day of a generated theatre (about 290 observations)."""
    return simulate(generate_theatre(3), days=1, seed=3)


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory, day: Scenario) -> Filled:
    return fill_store(tmp_path_factory.mktemp("dashboard") / "cell.sqlite", day)


@pytest.fixture(scope="module")
def server(filled: Filled) -> Iterator[Server]:
    """`truceline serve` over the filled store; the alert of the incident signed two days
    ago is made (reading its review does) before the tests start."""
    with serve(filled.path, filled.path.parent / "serve.log") as running:
        answer = running.api("GET", f"/incidents/{filled.signed_incident}/review", ADMIN_TOKEN)
        assert answer.status_code == 200, answer.text
        assert answer.json()["alert"], answer.text
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's), through Playwright."""
    if not CHROMIUM.is_file():
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}: the dashboard tests drive a real browser; "
            "install it with 'apt-get install chromium'"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            "Playwright for Python is missing: install the development dependencies "
            "(pip install -e '.[dev]'); the browser itself is Debian's chromium, so "
            "'playwright install' is not needed"
        )
    manager = sync_playwright().start()
    try:
        launched = manager.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
    finally:
        manager.stop()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    shots = sorted(ARTIFACTS.glob("*.png")) if ARTIFACTS.is_dir() else []
    if shots:
        terminalreporter.write_line(
            f"dashboard screenshots: {ARTIFACTS} ({len(shots)} files)", bold=True
        )


@pytest.fixture
def shots_of(request: pytest.FixtureRequest) -> Path:
    """The prefix of this test's screenshots; earlier ones of the same test are removed."""
    from dashboard_support import artifacts

    folder = artifacts()
    name = request.node.name.removeprefix("test_")
    for old in folder.glob(f"{name}-*.png"):
        old.unlink()
    return folder / name
