"""Helpers of the dashboard tests: a store filled by the simulator and the pipeline, the
people of a small cell with their API tokens, a real `truceline serve`, and Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from truceline.access.directory import Directory
from truceline.access.model import Organisation, User
from truceline.observations.model import Observation
from truceline.pipeline import run_all
from truceline.response.review import ReviewAction, Role
from truceline.service.schemas import ObservationIn
from truceline.simulation.scenario import Scenario
from truceline.store import Store, open_store

CHROMIUM = Path(os.environ.get("TRUCELINE_CHROMIUM", "/usr/bin/chromium"))
"""Debian's Chromium, unless TRUCELINE_CHROMIUM names another Chromium executable."""
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WINDOW = {"width": 1366, "height": 768}

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "dashboard"
"""Screenshots of the browser tests, kept after the run (the folder ignores itself in git)."""

ADMIN_TOKEN = "dashboard-admin-token-0123456789"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

PEOPLE = {
    "ana": ("JCC", {"analyst"}),
    "rev.one": ("JCC", {"reviewer"}),
    "rev.two": ("JCC", {"reviewer"}),
    "fr.liaison": ("FR", {"liaison"}),
}

RELEASED_EVERY = 3
"""Every third incident (by start) is released to the coalition members."""

HELD_BACK_HOURS = 4
"""The last hours of the simulated day are kept out of the store, to be submitted while a
page is open (the live feed)."""


@dataclass(frozen=True)
class Filled:
    """A store ready to serve: its path, the people's tokens, observations held back, and
    a clear breach signed two days ago (its alert's first steps are overdue)."""

    path: Path
    tokens: dict[str, str]
    held_back: list[Observation]
    signed_incident: str


def fill_store(path: Path, scenario: Scenario) -> Filled:
    """Sources, agreement, notices and all but the last hours of the scenario's observations,
    fused and judged by the pipeline; the cell's organisations and people with tokens; a
    clear breach signed earlier; every third incident released to the members."""
    cut = scenario.end - timedelta(hours=HELD_BACK_HOURS)
    early = [o for o in scenario.observations if o.observed_at < cut]
    late = [o for o in scenario.observations if o.observed_at >= cut]
    tokens: dict[str, str] = {}
    with open_store(path) as store:
        store.upsert_sources(scenario.sources)
        for notice in scenario.prenotifications:
            store.add_prenotification(notice)
        store.add_observations(early)
        run_all(store, scenario.loaded)
        directory = Directory(store)
        directory.add_organisation(
            Organisation(id="JCC", name="Joint coordination cell", kind="lead"), now=NOW
        )
        directory.add_organisation(Organisation(id="FR", name="France", kind="member"), now=NOW)
        for person, (organisation, roles) in PEOPLE.items():
            directory.add_user(
                User(id=person, organisation=organisation, display_name=person, roles=roles),
                now=NOW,
            )
            tokens[person], _ = directory.create_token(person, now=NOW, expires_at=None)
        signed = sign_off_earlier(store, scenario)
        for incident in store.incidents()[::RELEASED_EVERY]:
            store.set_incident_releasability(incident.id, "cell+members")
    return Filled(path=path, tokens=tokens, held_back=late, signed_incident=signed)


def sign_off_earlier(store: Store, scenario: Scenario) -> str:
    """Claim, confirm and sign (twice) the first clear breach, two days before now, so that
    the alert the service makes of it has overdue steps; its incident id."""
    breaches = store.determinations(
        clear_breach=True,
        agreement_id=scenario.loaded.agreement.id,
        agreement_version=scenario.loaded.agreement.version,
    )
    assert breaches, "the simulated day should hold clear breaches"
    incident_id = min(d.incident_id for d in breaches)
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    for n, (actor, role, action) in enumerate(
        [
            ("ana", Role.ANALYST, "claim"),
            ("ana", Role.ANALYST, "confirm"),
            ("rev.one", Role.SENIOR_ANALYST, "sign"),
            ("rev.two", Role.SENIOR_ANALYST, "sign"),
        ]
    ):
        payload = None
        if action == "sign":
            (found,) = [d for d in breaches if d.incident_id == incident_id]
            payload = {"determination_id": found.id}
        store.add_review_action(
            ReviewAction.create(
                incident_id=incident_id,
                actor=actor,
                actor_org="JCC",
                role=role,
                action=action,
                at=at + timedelta(minutes=n),
                payload=payload,
            )
        )
    return incident_id


def row(obs: Observation) -> dict[str, Any]:
    """An observation as a client submits it."""
    return obs.model_dump(mode="json", include=set(ObservationIn.model_fields))


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """A running `truceline serve`."""

    url: str
    process: subprocess.Popen[bytes]

    def api(self, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        return httpx.request(method, f"{self.url}/api{path}", headers=headers, timeout=60, **kwargs)


@contextmanager
def serve(db: Path, log: Path) -> Iterator[Server]:
    """`truceline serve` over `db` on a free port, in a process of its own; its output goes
    to `log`. Stopped (SIGINT, then kill) afterwards."""
    port = free_port()
    token_file = db.parent / "admin-token"
    token_file.write_text(ADMIN_TOKEN + "\n")
    env = {k: v for k, v in os.environ.items() if k != "TRUCELINE_ADMIN_TOKEN"}
    command = [
        sys.executable,
        "-m",
        "truceline.cli.serve",
        "--db",
        str(db),
        "--port",
        str(port),
        "--token-file",
        str(token_file),
        "--alert-status",
        "exercise",
        "--log-level",
        "warning",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    server = Server(url=f"http://127.0.0.1:{port}", process=process)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"truceline serve exited early:\n{log.read_text()}")
            try:
                if httpx.get(f"{server.url}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"truceline serve did not answer within 60 s:\n{log.read_text()}")
            time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(2)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def artifacts() -> Path:
    """The folder of the screenshots, made ignorable by git."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    ignore = ARTIFACTS.parent / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# screenshots of the browser tests\n*\n")
    return ARTIFACTS


class Dashboard:
    """One browser tab on the dashboard, signed in or not; its screenshots are numbered
    files `<prefix>-NN-<step>.png`."""

    def __init__(self, browser: Any, server: Server, prefix: Path) -> None:
        self.server = server
        self.context = browser.new_context(viewport=WINDOW, accept_downloads=True)
        self.page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self._prefix = prefix
        self._shots = 0

    def shot(self, step: str) -> Path:
        self._shots += 1
        path = self._prefix.with_name(f"{self._prefix.name}-{self._shots:02d}-{step}.png")
        self.page.screenshot(path=str(path))
        return path

    def open(self, fragment: str = "") -> None:
        self.page.goto(f"{self.server.url}/{fragment}")

    def sign_in(self, token: str, fragment: str = "") -> None:
        """Open the dashboard (at `fragment`, e.g. '#/incident/inc-...') and give the
        token; on the map, wait for it and its incidents."""
        self.open(f"app/{fragment}")
        self.page.get_by_label("API token").fill(token)
        self.page.get_by_role("button", name="Sign in").click()
        if not fragment:
            self.wait_for_map()

    def wait_for_map(self) -> None:
        self.page.wait_for_selector("#map canvas")
        self.page.wait_for_selector("#map[data-loading=false]", state="attached")

    def dataset(self, selector: str) -> dict[str, str]:
        found: dict[str, str] = self.page.eval_on_selector(selector, "e => ({...e.dataset})")
        return found

    def close(self) -> None:
        self.context.close()
