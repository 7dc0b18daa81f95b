"""Helpers of the service tests: an in-process HTTP client, and the data they submit."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI

from truceline.observations.model import Observation
from truceline.service.app import create_app
from truceline.service.schemas import ObservationIn
from truceline.service.settings import Settings, token_digest

TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

ERROR_KEYS = {"status", "code", "message", "errors"}


class ApiClient:
    """A synchronous HTTP client over the ASGI application, in-process (httpx)."""

    def __init__(self, app: FastAPI, portal: BlockingPortal) -> None:
        self.app = app
        self._portal = portal
        transport = httpx.ASGITransport(app=app)
        self._client = httpx.AsyncClient(transport=transport, base_url="http://testserver")

    def request(self, method: str, url: str, *, auth: bool = True, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if auth:
            headers = {**AUTH, **headers}
        return self._portal.call(
            lambda: self._client.request(method, url, headers=headers, **kwargs)
        )

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def close(self) -> None:
        self._portal.call(self._client.aclose)


def settings_for(path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "store": str(path),
        "create_store": True,
        "admin_token_sha256": token_digest(TOKEN),
    }
    values.update(overrides)
    return Settings(**values)


@contextmanager
def api(path: Path, **overrides: Any) -> Iterator[ApiClient]:
    """A client of a new application over the store at `path`; closed afterwards."""
    app = create_app(settings_for(path, **overrides))
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


def row(obs: Observation) -> dict[str, Any]:
    """An observation as a client submits it: the fields of ObservationIn (no id, no time
    of reception)."""
    return obs.model_dump(mode="json", include=set(ObservationIn.model_fields))


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The canonical error body of a response, checked; returns it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == ERROR_KEYS, body
    assert body["status"] == status
    assert isinstance(body["message"], str)
    assert body["message"]
    if code is not None:
        assert body["code"] == code, body
    for problem in body["errors"]:
        assert set(problem) == {"location", "field", "reason"}
        assert problem["reason"]
    return body


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class SseEvent(NamedTuple):
    id: str | None
    event: str | None
    data: Any


def parse_sse(lines: Iterable[str]) -> Iterator[SseEvent]:
    """Server-sent events from the lines of a text/event-stream (comments skipped)."""
    fields: dict[str, str] = {}
    data: list[str] = []
    for line in lines:
        if line == "":
            if data:  # as in browsers: a block without data dispatches nothing
                text = "\n".join(data)
                yield SseEvent(
                    fields.get("id"), fields.get("event"), json.loads(text) if text else None
                )
            fields, data = {}, []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        else:
            fields[name] = value
