"""The service: every role against every marking on every read path — lists, pages,
details, an incident's evidence, the live feed — and tokens and roles at the door."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from access_support import (
    MARKINGS,
    READERS,
    USERS,
    ApiClient,
    Marked,
    api,
    fill,
    observation,
    people,
)

from truceline.access.directory import Directory
from truceline.service.auth import ADMINISTRATOR
from truceline.service.feed import EventType, InProcessBroker
from truceline.store import open_store

ERROR_KEYS = {"status", "code", "message", "errors"}


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ApiClient, dict[str, str], dict[str, Marked]]]:
    """A service over a store holding one observation, incident and determination per
    marking, and a token for one user of every role."""
    path = tmp_path_factory.mktemp("access") / "matrix.sqlite"
    with open_store(path) as store:
        tokens = people(store)
        marked = fill(store)
    with api(path) as client:
        yield client, tokens, marked


def _error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == ERROR_KEYS
    assert (body["status"], body["code"]) == (status, code)
    return body


def _all_pages(client: ApiClient, url: str, token: str) -> tuple[list[dict[str, Any]], int]:
    """Every item of a list, one item per page, and how many pages it took."""
    items: list[dict[str, Any]] = []
    pages = 0
    cursor: str | None = None
    while True:
        query = f"{url}?limit=1" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(query, token)
        assert response.status_code == 200, response.text
        body = response.json()
        pages += 1
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items, pages


@pytest.mark.parametrize("user", [u.id for u in USERS])
def test_each_role_lists_pages_and_reads_exactly_what_it_may(
    world: tuple[ApiClient, dict[str, str], dict[str, Marked]], user: str
) -> None:
    client, tokens, marked = world
    token = tokens[user]
    allowed = {m for m in MARKINGS if user in READERS[m]}
    by_id = {
        **{m.observation: m.marking for m in marked.values()},
        **{m.incident: m.marking for m in marked.values()},
        **{m.determination: m.marking for m in marked.values()},
    }
    for url in ("/api/observations", "/api/incidents", "/api/determinations"):
        listed = client.get(f"{url}?limit=100", token).json()
        assert {by_id[x["id"]] for x in listed["items"]} == allowed, (user, url)
        assert listed["next_cursor"] is None
        # one per page: as many pages as items, and no empty last page to betray a hidden row
        items, pages = _all_pages(client, url, token)
        assert {by_id[x["id"]] for x in items} == allowed, (user, url)
        assert pages == max(len(allowed), 1)
        offset = client.get(f"{url}?limit=100&offset={len(allowed)}", token).json()
        assert offset["items"] == []
    for m in marked.values():
        visible = m.marking in allowed
        for kind, ident in (
            ("observations", m.observation),
            ("incidents", m.incident),
            ("determinations", m.determination),
        ):
            response = client.get(f"/api/{kind}/{ident}", token)
            if visible:
                assert response.status_code == 200, (user, kind, m.marking)
                continue
            # hidden answers exactly as missing does: nothing to infer from the answer
            hidden = _error(response, 404, "not_found")
            missing = _error(client.get(f"/api/{kind}/{ident}x", token), 404, "not_found")
            assert hidden["message"] == missing["message"].replace(f"{ident}x", ident)
            assert (
                response.headers.keys() == client.get(f"/api/{kind}/{ident}x", token).headers.keys()
            )


@pytest.mark.parametrize("user", ["liaison-fr", "party-ua", "press"])
def test_an_incident_shows_only_the_evidence_the_role_may_read(tmp_path: Path, user: str) -> None:
    path = tmp_path / "mixed.sqlite"
    with open_store(path) as store:
        tokens = people(store)
        obs = [observation(i, m) for i, m in enumerate(MARKINGS)]
        store.add_observations(obs)
        fill(store)
        # one incident of every observation, released to the public by the cell
        from access_support import determination, incident

        store.replace_incidents([], [incident("all", tuple(o.id for o in obs), 30)])
        store.put_determinations([determination("inc-all")])
        assert store.incident_releasability(["inc-all"]) == {"inc-all": "cell"}
        store.set_incident_releasability("inc-all", "public")
    with api(path) as client:
        body = client.get("/api/incidents/inc-all", tokens[user]).json()
        markings = {o["releasability"] for o in body["observations"]}
        assert markings == {m for m in MARKINGS if user in READERS[m]}
        assert [d["releasability"] for d in body["determinations"]] == ["public"]
        assert len(body["incident"]["observation_ids"]) == len(MARKINGS)


def test_filters_do_not_widen_what_a_role_reads(
    world: tuple[ApiClient, dict[str, str], dict[str, Marked]],
) -> None:
    client, tokens, _ = world
    for user in ("party-ua", "liaison-uk", "press"):
        allowed = sum(1 for m in MARKINGS if user in READERS[m])
        for url in (
            "/api/incidents?party=UA&limit=100",
            "/api/incidents?status=clear_breach&limit=100",
            "/api/determinations?clear_breach=true&limit=100",
            "/api/determinations?all_versions=true&limit=100",
            "/api/observations?kind=explosion&limit=100",
        ):
            items = client.get(url, tokens[user]).json()["items"]
            assert len(items) == allowed, (user, url)


def test_unknown_expired_and_revoked_tokens_get_401(tmp_path: Path) -> None:
    path = tmp_path / "door.sqlite"
    now = datetime.now(UTC)
    with open_store(path) as store:
        tokens = people(store)
        directory = Directory(store)
        expired, _ = directory.create_token(
            "analyst", now=now - timedelta(days=2), expires_at=now - timedelta(days=1)
        )
        revoked, record = directory.create_token("analyst", now=now, expires_at=None)
        directory.revoke_token(record.id, now=now)
    with api(path) as client:
        assert client.get("/api/incidents", tokens["analyst"]).status_code == 200
        wrong = tokens["analyst"][:-2] + "zz"
        for token, words in (
            (None, "no API token"),
            ("nope", "not valid"),
            (wrong, "not valid"),
            (expired, "expired"),
            (revoked, "revoked"),
        ):
            response = client.get("/api/incidents", token)
            body = _error(response, 401, "unauthorized")
            assert words in body["message"]
            assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("user", "method", "url", "body"),
    [
        ("liaison-fr", "POST", "/api/observations", {}),
        ("party-ua", "POST", "/api/observations/batch", {"observations": []}),
        ("press", "POST", "/api/process", {}),
        ("party-ru", "POST", "/api/sources", {}),
        ("reviewer", "POST", "/api/sources", {}),
        ("press", "POST", "/api/prenotifications", {}),
        ("analyst", "POST", "/api/agreements", {}),
    ],
)
def test_writes_without_the_role_get_403(
    world: tuple[ApiClient, dict[str, str], dict[str, Marked]],
    user: str,
    method: str,
    url: str,
    body: dict[str, Any],
) -> None:
    client, tokens, _ = world
    _error(client.request(method, url, tokens[user], json=body), 403, "forbidden")


def test_a_submitted_observation_takes_its_marking_or_its_sources(tmp_path: Path) -> None:
    path = tmp_path / "submit.sqlite"
    with open_store(path) as store:
        tokens = people(store)
        from truceline.sources.registry import Source

        store.upsert_sources(
            [
                Source(id="uav-1", name="UAV", operator="Mission", type="uav"),
                Source(
                    id="osint",
                    name="OSINT",
                    operator="Press",
                    type="open_source",
                    releasability="cell+members",
                ),
            ]
        )
    rows = [
        {"source_id": "uav-1", "source_ref": "a", "kind": "explosion"},
        {"source_id": "osint", "source_ref": "b", "kind": "explosion"},
        {"source_id": "osint", "source_ref": "c", "kind": "explosion", "releasability": "cell"},
        {"source_id": "uav-1", "source_ref": "d", "kind": "explosion", "releasability": "PUBLIC"},
        {"source_id": "uav-1", "source_ref": "e", "kind": "explosion", "releasability": "all"},
    ]
    for row in rows:
        row.update({"observed_at": "2025-09-01T00:00:00Z", "lon": 37.0, "lat": 48.0})
    with api(path) as client:
        answer = client.post(
            "/api/observations/batch", tokens["analyst"], json={"observations": rows}
        ).json()
        assert [(r["index"], r["field"]) for r in answer["rejections"]] == [(4, "releasability")]
        stored = client.get("/api/observations?limit=10", tokens["analyst"]).json()["items"]
        assert {o["source_ref"]: o["releasability"] for o in stored} == {
            "a": "cell",
            "b": "cell+members",
            "c": "cell",
            "d": "public",
        }
        seen = client.get("/api/observations?limit=10", tokens["liaison-uk"]).json()["items"]
        assert sorted(o["source_ref"] for o in seen) == ["b", "d"]


def _stream(client: ApiClient, token: str, after: str) -> list[tuple[str, dict[str, Any]]]:
    response = client.get(f"/api/feed?after={after}", token)
    assert response.status_code == 200, response.text
    events: list[tuple[str, dict[str, Any]]] = []
    kind: str | None = None
    for line in response.text.splitlines():
        if line.startswith("event: "):
            kind = line.removeprefix("event: ")
        elif line.startswith("data: ") and kind is not None:
            events.append((kind, json.loads(line.removeprefix("data: "))))
            kind = None
    return events


def _close_once_subscribed(broker: InProcessBroker) -> None:
    """End the stream once the client has subscribed: it has its replay by then."""
    deadline = time.monotonic() + 20
    while broker.subscriber_count == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    broker.close()


@pytest.mark.parametrize("user", ["analyst", "liaison-fr", "party-ua", "party-ru", "press"])
def test_the_feed_never_sends_what_the_role_may_not_read(tmp_path: Path, user: str) -> None:
    path = tmp_path / "feed.sqlite"
    with open_store(path) as store:
        tokens = people(store)
        marked = fill(store)
    allowed = {m for m in MARKINGS if user in READERS[m]}
    with api(path) as client:
        svc = client.app.state.service
        shown = svc.reader.determinations_of(ADMINISTRATOR, [m.incident for m in marked.values()])
        events: list[tuple[str, dict[str, Any]]] = []
        for d in shown:
            data = d.model_dump(mode="json")
            events += [(EventType.DETERMINATION, data), (EventType.ALERT, data)]
        for m in MARKINGS:
            events.append(
                (
                    EventType.WITHDRAWN,
                    {"id": f"det-gone-{m}", "incident_id": "i", "releasability": m},
                )
            )
        events.append((EventType.WITHDRAWN, {"id": "det-unmarked", "incident_id": "i"}))
        first = svc.broker.publish(events)[0]
        before = f"{first.id.rsplit('-', 1)[0]}-0"
        threading.Thread(target=_close_once_subscribed, args=(svc.broker,)).start()
        received = _stream(client, tokens[user], before)
    by_id = {m.determination: m.marking for m in marked.values()}
    kinds = {(k, d["id"]) for k, d in received}
    expected = {
        (k, m.determination)
        for m in marked.values()
        if m.marking in allowed
        for k in (EventType.DETERMINATION, EventType.ALERT)
    } | {(EventType.WITHDRAWN, f"det-gone-{m}") for m in allowed}
    if user == "analyst":
        expected.add((EventType.WITHDRAWN, "det-unmarked"))
    assert kinds == expected
    assert all(
        by_id.get(d["id"], d.get("releasability")) in allowed
        for _, d in received
        if d["id"] != "det-unmarked"
    )
