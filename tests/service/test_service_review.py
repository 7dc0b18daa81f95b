"""The review workflow over HTTP: the queue, claims, decisions, merges, splits, signatures,
who may do what, and refusals in the canonical error shape."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from service_support import assert_error
from workflow_support import Mission, mission


@pytest.fixture
def cell(filled_store: Path, tmp_path: Path) -> Iterator[Mission]:
    with mission(filled_store, tmp_path) as found:
        yield found


def _first_breach(cell: Mission) -> str:
    incident_id: str = cell.clear_breaches()[0]["incident_id"]
    return incident_id


def test_the_queue_lists_clear_breaches_awaiting_signature_first_for_the_cell_only(
    cell: Mission,
) -> None:
    response = cell.get("alice", "/api/review/queue?limit=1000")
    assert response.status_code == 200, response.text
    page = response.json()
    items = page["items"]
    assert page["total"] == len(items) > 0
    breaches = {d["incident_id"] for d in cell.clear_breaches()}
    leading = items[: len(breaches)]
    assert {e["incident_id"] for e in leading} == breaches
    assert all(e["awaiting_signature"] and e["clear_breach"] for e in leading)
    assert all(e["determination_status"] == "suspected_breach" for e in items[len(breaches) :])
    assert cell.get("alice", "/api/review/queue?limit=2&offset=1").json()["items"] == items[1:3]
    for outsider in ("fr.liaison", "red.rep", "press"):
        assert_error(cell.get(outsider, "/api/review/queue"), 403, "forbidden")
    assert_error(cell.client.get("/api/review/queue", auth=False), 401, "unauthorized")


def test_a_claim_locks_the_incident_for_others_until_released(cell: Mission) -> None:
    incident = _first_breach(cell)
    claimed = cell.review("alice", incident, "claim")
    assert claimed.status_code == 200, claimed.text
    state = claimed.json()
    assert state["lock"]["actor"] == "alice"
    assert state["lock"]["actor_org"] == "JCC"
    assert state["recorded"] is True
    assert "claimed by alice" in state["summary"]
    queued = cell.get("dan", "/api/review/queue?limit=1000").json()["items"]
    assert next(e for e in queued if e["incident_id"] == incident)["claimed_by"] == "alice"
    body = assert_error(cell.review("dan", incident, "confirm"), 409, "claimed")
    assert "claimed by alice (JCC)" in body["message"]
    assert body["errors"][0]["field"] == "actor"
    assert_error(cell.review("dan", incident, "release"), 409, "claimed")
    # a reviewer may break the claim, giving a reason
    body = assert_error(cell.review("bob", incident, "release"), 422, "validation_failed")
    assert body["errors"][0]["field"] == "reason"
    released = cell.review("bob", incident, "release", reason="alice is off duty")
    assert released.status_code == 200, released.text
    assert released.json()["lock"] is None
    confirmed = cell.review("dan", incident, "confirm")
    assert confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["confirmed_by"] == "dan"


def test_every_action_is_kept_with_who_when_and_why(cell: Mission) -> None:
    incident = _first_breach(cell)
    cell.review("alice", incident, "claim")
    cell.review("alice", incident, "request_collection", reason="another UAV pass")
    cell.review("dan", incident, "dismiss", reason="a harvest fire after all")
    response = cell.get("carol", f"/api/incidents/{incident}/review")
    assert response.status_code == 200, response.text
    state = response.json()
    assert state["status"] == "dismissed"
    assert state["dismissal_reason"] == "a harvest fire after all"
    history = [(h["actor"], h["actor_org"], h["role"], h["action"]) for h in state["history"]]
    assert history == [
        ("alice", "JCC", "analyst", "claim"),
        ("alice", "JCC", "analyst", "request_collection"),
        ("dan", "JCC", "analyst", "dismiss"),
    ]
    times = [h["at"] for h in state["history"]]
    assert times == sorted(times)
    assert len(set(times)) == 3
    assert state["history"][1]["reason"] == "another UAV pass"
    # final: no more actions, and out of the queue
    body = assert_error(cell.review("carol", incident, "confirm"), 409, "illegal_transition")
    assert "already dismissed" in body["message"]
    queued = cell.get("alice", "/api/review/queue?limit=1000").json()["items"]
    assert incident not in {e["incident_id"] for e in queued}


def test_refusals_name_the_field_and_the_role(cell: Mission) -> None:
    incident = _first_breach(cell)
    body = assert_error(cell.review("alice", incident, "dismiss"), 422, "validation_failed")
    assert body["errors"][0]["field"] == "reason"
    body = assert_error(cell.review("bob", incident, "sign"), 409, "illegal_transition")
    assert "confirm it before signing" in body["message"]
    cell.review("alice", incident, "confirm")
    body = assert_error(cell.review("alice", incident, "sign"), 403, "forbidden")
    assert "analyst may not sign" in body["message"]
    for outsider in ("fr.liaison", "red.rep", "press"):
        assert_error(cell.review(outsider, incident, "claim"), 403, "forbidden")
    assert cell.review("bob", incident, "sign").status_code == 200
    body = assert_error(cell.review("bob", incident, "sign"), 409, "illegal_transition")
    assert "already signed" in body["message"]
    assert_error(cell.review("alice", "inc-000000000000000000000000", "claim"), 404, "not_found")
    assert_error(cell.review("alice", incident, "bless"), 422, "validation_failed")
    assert_error(cell.review("alice", incident, "claim", colour="red"), 422, "validation_failed")
    body = assert_error(cell.review("bob", incident, "sign", determination_id="det-elsewhere"), 422)
    assert body["errors"][0]["field"] == "determination_id"


def test_two_signatures_of_two_reviewers_make_the_alert(cell: Mission) -> None:
    incident = _first_breach(cell)
    answer = cell.sign_off(incident)
    assert answer["status"] == "signed"
    assert [s["actor"] for s in answer["signatures"]] == ["bob", "carol"]
    assert answer["alert"] is not None
    again = cell.get("alice", f"/api/incidents/{incident}/review").json()
    assert again["alert"] == answer["alert"]
    listed = cell.get("alice", f"/api/alerts?incident_id={incident}").json()["items"]
    assert [a["identifier"] for a in listed] == [answer["alert"]]


def _observations(cell: Mission, incident: str) -> list[str]:
    detail = cell.get("alice", f"/api/incidents/{incident}").json()
    ids: list[str] = detail["incident"]["observation_ids"]
    return ids


def test_merge_and_split(cell: Mission) -> None:
    queued = cell.get("alice", "/api/review/queue?limit=1000").json()["items"]
    several = [e["incident_id"] for e in queued if len(_observations(cell, e["incident_id"])) > 1]
    one, other = several[0], queued[-1]["incident_id"]
    if other == one:
        other = queued[-2]["incident_id"]
    body = assert_error(cell.review("alice", one, "merge"), 422)
    assert body["errors"][0]["field"] == "into"
    assert_error(cell.review("alice", one, "merge", into=one), 422)
    assert_error(cell.review("alice", one, "merge", into="inc-nowhere"), 422)
    merged = cell.review("alice", other, "merge", into=one)
    assert merged.status_code == 200, merged.text
    assert merged.json()["merged_into"] == one
    target = cell.get("alice", f"/api/incidents/{one}/review").json()
    assert target["merged_from"] == [other]
    observations = _observations(cell, one)
    assert_error(cell.review("alice", one, "split", groups=[observations]), 422)
    body = assert_error(
        cell.review("alice", one, "split", groups=[observations[:1], ["obs-elsewhere"]]), 422
    )
    assert body["errors"][0]["field"] == "groups"
    halves = [observations[:1], observations[1:]]
    split = cell.review("alice", one, "split", groups=halves)
    assert split.status_code == 200, split.text
    assert split.json()["status"] == "split"
    assert len(split.json()["split_into"]) == 2
    # merging into an incident whose review is over is refused
    third = next(e["incident_id"] for e in queued if e["incident_id"] not in (one, other))
    body = assert_error(cell.review("alice", third, "merge", into=one), 409)
    assert "already split" in body["message"]


def test_two_analysts_claiming_at_once_over_http_one_wins(cell: Mission) -> None:
    incident = _first_breach(cell)
    start = threading.Barrier(2)
    answers: dict[str, Any] = {}

    def claim(person: str) -> None:
        start.wait(timeout=30)
        answers[person] = cell.post(
            person, f"/api/incidents/{incident}/review", json={"action": "claim"}
        )

    threads = [threading.Thread(target=claim, args=(p,)) for p in ("alice", "dan")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    codes = sorted(a.status_code for a in answers.values())
    assert codes == [200, 409], {p: a.text for p, a in answers.items()}
    winner = next(p for p, a in answers.items() if a.status_code == 200)
    state = cell.get("alice", f"/api/incidents/{incident}/review").json()
    assert [h["actor"] for h in state["history"]] == [winner]
