"""The live feed: the broker's order and resumption, and a real server streaming it."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from service_support import AUTH, TOKEN, SseEvent, free_port, parse_sse, row

from truceline.service.feed import EventType, FeedEvent, InProcessBroker
from truceline.simulation.scenario import Scenario
from truceline.store import open_store


def _drain(broker: InProcessBroker, last: str | None, count: int) -> list[FeedEvent]:
    """The first `count` events a subscriber resuming after `last` receives."""

    async def run() -> list[FeedEvent]:
        got: list[FeedEvent] = []
        with anyio.fail_after(5):
            async for event in broker.subscribe(last):
                got.append(event)
                if len(got) == count:
                    break
        return got

    return anyio.run(run)


@given(
    total=st.integers(min_value=0, max_value=30),
    history=st.integers(min_value=1, max_value=12),
    seen=st.integers(min_value=0, max_value=30),
)
def test_resuming_gives_exactly_the_events_after_the_last_one_seen(
    total: int, history: int, seen: int
) -> None:
    seen = min(seen, total)
    broker = InProcessBroker(history=history)
    made = broker.publish([(EventType.DETERMINATION, {"n": n}) for n in range(total)])
    last = made[seen - 1].id if seen else f"{broker.epoch}-0"
    missed = made[seen:]
    kept = made[-history:] if total else []
    lost = [e for e in missed if e not in kept]
    expected = len(missed) - len(lost) + (1 if lost else 0)
    if expected == 0:
        broker.publish([(EventType.ALERT, {"n": "live"})])
        got = _drain(broker, last, 1)
        assert [e.data["n"] for e in got] == ["live"]
        return
    got = _drain(broker, last, expected)
    if lost:
        assert got[0].type == EventType.RESET
        got = got[1:]
    assert got == [e for e in missed if e in kept]


def test_an_id_from_another_run_gets_a_reset_then_what_is_kept() -> None:
    broker = InProcessBroker(history=5)
    made = broker.publish([(EventType.DETERMINATION, {"n": n}) for n in range(3)])
    got = _drain(broker, "00000000-2", 4)
    assert got[0].type == EventType.RESET
    assert "not from this run" in got[0].data["reason"]
    assert got[1:] == made


def test_closing_the_broker_ends_every_subscription() -> None:
    broker = InProcessBroker()

    async def run() -> list[FeedEvent]:
        got: list[FeedEvent] = []

        async def listen() -> None:
            async for event in broker.subscribe():
                got.append(event)

        async with anyio.create_task_group() as tg:
            tg.start_soon(listen)
            while broker.subscriber_count == 0:
                await anyio.sleep(0.01)
            await anyio.to_thread.run_sync(lambda: broker.publish([(EventType.ALERT, {"n": 1})]))
            await anyio.sleep(0.05)
            broker.close()
        return got

    got = anyio.run(run)
    assert [e.type for e in got] == [EventType.ALERT]
    assert broker.subscriber_count == 0
    assert broker.publish([(EventType.ALERT, {})]) == []


def test_a_client_that_falls_behind_is_told_to_reset() -> None:
    broker = InProcessBroker(queue_limit=3)

    async def run() -> list[FeedEvent]:
        got: list[FeedEvent] = []

        async def listen() -> None:
            async for event in broker.subscribe():
                got.append(event)

        async with anyio.create_task_group() as tg:
            tg.start_soon(listen)
            while broker.subscriber_count == 0:
                await anyio.sleep(0.01)
            events = [(EventType.DETERMINATION, {"n": n}) for n in range(10)]
            await anyio.to_thread.run_sync(lambda: broker.publish(events))
        return got

    got = anyio.run(run)
    assert [e.data.get("n") for e in got[:3]] == [0, 1, 2]
    assert got[-1].type == EventType.RESET
    assert "fell too far behind" in got[-1].data["reason"]


# a real server


class Server:
    def __init__(self, process: subprocess.Popen[str], port: int) -> None:
        self.process = process
        self.url = f"http://127.0.0.1:{port}"


@pytest.fixture
def server(tmp_path: Path, scenario: Scenario) -> Iterator[Server]:
    """`truceline serve` in a process of its own, on a free port, with the scenario's
    sources and agreement in its store; stopped with SIGINT afterwards."""
    db = tmp_path / "served.sqlite"
    with open_store(db) as store:
        store.upsert_sources(scenario.sources)
        store.add_agreement(scenario.loaded)
        for notice in scenario.prenotifications:
            store.add_prenotification(notice)
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "TRUCELINE_ADMIN_TOKEN"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "truceline.cli.serve",
            "--db",
            str(db),
            "--port",
            str(port),
            "--token-file",
            str(token_file),
            "--log-level",
            "warning",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    made = Server(process, port)
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            pytest.fail(
                f"the server exited early:\n{process.stdout.read() if process.stdout else ''}"
            )
        try:
            if httpx.get(f"{made.url}/api/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the server did not answer /api/health within 60 s")
        time.sleep(0.1)
    try:
        yield made
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


class Listener:
    """Reads a feed stream in a thread; its events arrive in `events`."""

    def __init__(self, url: str, last_event_id: str | None = None) -> None:
        headers = dict(AUTH)
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        self.events: queue.Queue[SseEvent | None] = queue.Queue()
        self._client = httpx.Client(timeout=httpx.Timeout(5, read=60))
        self._response = self._client.send(
            self._client.build_request("GET", f"{url}/api/feed", headers=headers), stream=True
        )
        assert self._response.status_code == 200
        assert self._response.headers["content-type"].startswith("text/event-stream")
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for event in parse_sse(self._response.iter_lines()):
                self.events.put(event)
        except httpx.HTTPError:
            pass
        finally:
            self.events.put(None)

    def take(self, count: int) -> list[SseEvent]:
        got: list[SseEvent] = []
        while len(got) < count:
            event = self.events.get(timeout=30)
            if event is None:
                break
            got.append(event)
        return got

    def close(self) -> None:
        self._response.close()
        self._client.close()
        self._thread.join(timeout=5)


def test_a_real_server_streams_resumes_and_stops_promptly(
    server: Server, scenario: Scenario
) -> None:
    listener = Listener(server.url)
    try:
        rows = [row(o) for o in scenario.observations]
        answer = httpx.post(
            f"{server.url}/api/observations/batch",
            json={"observations": rows},
            headers=AUTH,
            timeout=60,
        )
        assert answer.status_code == 200, answer.text
        report: dict[str, Any] = answer.json()["processing"]
        expected = report["changed"] + report["alerts"]
        assert report["alerts"] > 0
        events = listener.take(expected)
    finally:
        listener.close()
    assert len(events) == expected
    kinds = [e.event for e in events]
    assert kinds.count("determination") == report["changed"]
    assert kinds.count("alert") == report["alerts"]
    for event in events:
        if event.event == "alert":
            assert event.data["status"] == "clear_breach"
            assert "clear-breach threshold" in event.data["explanation"]
    stored = httpx.get(
        f"{server.url}/api/determinations?limit=1000", headers=AUTH, timeout=30
    ).json()["items"]
    assert {e.data["id"] for e in events} == {d["id"] for d in stored}

    middle = len(events) // 2
    resumed = Listener(server.url, last_event_id=events[middle].id)
    try:
        again = resumed.take(len(events) - middle - 1)
    finally:
        resumed.close()
    assert again == events[middle + 1 :]

    stale = Listener(server.url, last_event_id="ffffffff-3")
    try:
        first = stale.take(1)
    finally:
        stale.close()
    assert first[0].event == "reset"

    # Stopping the server with a feed client connected: the stream ends, and shutdown does
    # not wait for the client to hang up.
    listener = Listener(server.url)
    try:
        started = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        code = server.process.wait(timeout=30)
        took = time.monotonic() - started
        assert listener.events.get(timeout=10) is None
    finally:
        listener.close()
    # uvicorn finishes its graceful shutdown, then ends by the signal it was sent.
    assert code in (0, -signal.SIGTERM)
    assert took < 8, f"shutdown took {took:.1f} s; the feed must not hold it up"
    output = server.process.stdout.read() if server.process.stdout else ""
    assert "Traceback" not in output, output
