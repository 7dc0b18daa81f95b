"""Deconfliction over HTTP: receipts of pre-notifications as proof of notice, notices filed
for one's own party only, and the notifying parties' late or out-of-area activity."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from service_support import assert_error
from workflow_support import NOW, Mission, mission

from truceline.simulation.scenario import Scenario


@pytest.fixture
def cell(filled_store: Path, tmp_path: Path) -> Iterator[Mission]:
    with mission(filled_store, tmp_path) as found:
        yield found


def _notice_of(scenario: Scenario, party: str) -> str:
    return next(n.id for n in scenario.prenotifications if n.party == party)


def test_the_other_party_and_the_cell_acknowledge_a_notice_once(
    cell: Mission, scenario: Scenario
) -> None:
    notice = _notice_of(scenario, "BLU")
    url = f"/api/prenotifications/{notice}/receipts"
    before = cell.get("red.rep", url).json()
    assert before["awaiting"] == ["cell", "RED"]
    assert not before["complete"]
    assert before["timeliness"]["timely"] is True
    first = cell.post("red.rep", url)
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "recorded"
    receipt = first.json()["receipt"]
    assert (receipt["receiver"], receipt["actor"], receipt["actor_org"]) == (
        "RED",
        "red.rep",
        "RED",
    )
    assert receipt["received_at"] == NOW.isoformat().replace("+00:00", "Z")
    cell.clock.advance(hours=1)
    again = cell.post("red.rep", url, json={"receiver": "RED"})
    assert again.status_code == 200
    assert again.json() == {"receipt": receipt, "status": "already_recorded"}
    own = assert_error(cell.post("blu.rep", url), 409, "own_notice")
    assert "BLU filed this notice" in own["message"]
    assert_error(cell.post("red.rep", url, json={"receiver": "BLU"}), 403, "forbidden")
    assert_error(cell.post("alice", url, json={"receiver": "RED"}), 403, "forbidden")
    for outsider in ("fr.liaison", "press"):
        assert_error(cell.post(outsider, url), 403, "forbidden")
    by_cell = cell.post("bob", url)
    assert by_cell.status_code == 201
    assert by_cell.json()["receipt"]["receiver"] == "cell"
    after = cell.get("alice", url).json()
    assert [r["receiver"] for r in after["receipts"]] == ["RED", "cell"]
    assert after["awaiting"] == []
    assert after["complete"]
    bad = assert_error(cell.client.post(url, json={"receiver": "GRN"}), 422)
    assert bad["errors"][0]["field"] == "receiver"
    assert_error(cell.post("alice", url, json={"receiver": "cell", "x": 1}), 422)
    assert_error(cell.post("alice", url, json={"receiver": "not a code"}), 422)
    assert_error(cell.post("red.rep", "/api/prenotifications/pn-nothing/receipts"), 404)
    assert_error(cell.get("red.rep", "/api/prenotifications/pn-nothing/receipts"), 404)


def _notice_body(party: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "party": party,
        "activity": "DEMINING",
        "area": {
            "type": "Polygon",
            "coordinates": [[[33.0, 47.7], [33.01, 47.7], [33.01, 47.71], [33.0, 47.7]]],
        },
        "starts_at": "2026-04-01T06:00:00Z",
        "ends_at": "2026-04-01T12:00:00Z",
        "notified_at": "2026-03-29T06:00:00Z",
    }
    body.update(changes)
    return body


def test_a_party_files_notices_for_itself_only(cell: Mission) -> None:
    body = assert_error(
        cell.post("red.rep", "/api/prenotifications", json=_notice_body("BLU")), 403, "forbidden"
    )
    assert "RED only" in body["message"]
    filed = cell.post("red.rep", "/api/prenotifications", json=_notice_body("RED"))
    assert filed.status_code == 201, filed.text
    by_cell = cell.post(
        "alice",
        "/api/prenotifications",
        json=_notice_body("BLU", starts_at="2026-04-02T06:00:00Z", ends_at="2026-04-02T09:00:00Z"),
    )
    assert by_cell.status_code == 201, by_cell.text


def test_late_and_out_of_area_activity_is_reported(cell: Mission, scenario: Scenario) -> None:
    wide = {"radius_km": 50, "slack_hours": 48}
    response = cell.get("alice", "/api/deconfliction/findings", params=wide)
    assert response.status_code == 200, response.text
    found = response.json()
    assert {n["notice_id"] for n in found["notices"]} == {n.id for n in scenario.prenotifications}
    late = [n for n in found["notices"] if not n["timely"]]
    assert late, "the simulated day holds a notice given too late"
    assert all(n["lead_hours"] < n["required_hours"] for n in late)
    kinds = {f["finding"] for f in found["items"]}
    assert {"covered", "late_notice", "outside_area"} <= kinds
    determinations = {
        d["id"]: d for d in cell.get("alice", "/api/determinations?limit=1000").json()["items"]
    }
    for finding in found["items"]:
        judged = determinations[finding["determination_id"]]
        assert judged["incident_id"] == finding["incident_id"]
        assert (judged["attributed_to"] or judged["side"]) == finding["party"]
        if finding["finding"] == "covered":
            assert finding["notice_id"] in judged["prenotification_ids"]
            assert judged["status"] == "deconflicted"
        else:
            assert finding["notice_id"] not in judged["prenotification_ids"]
            assert judged["status"] in ("clear_breach", "suspected_breach")
        if finding["finding"] == "outside_area":
            assert 0 < finding["distance_outside_m"] <= 50_000
            assert finding["hours_outside"] == 0
        if finding["finding"] == "late_notice":
            assert finding["notice_id"] in {n["notice_id"] for n in late}
            assert "received" in finding["summary"]
            assert "required" in finding["summary"]
    near = cell.get("alice", "/api/deconfliction/findings").json()["items"]
    assert all(f["distance_outside_m"] <= 10_000 for f in near)
    assert len(near) < len(found["items"])
    only_late = cell.get(
        "alice", "/api/deconfliction/findings", params={**wide, "finding": "late_notice"}
    ).json()["items"]
    assert only_late == [f for f in found["items"] if f["finding"] == "late_notice"]
    one = late[0]["notice_id"]
    single = cell.get(
        "alice", "/api/deconfliction/findings", params={**wide, "notice_id": one}
    ).json()
    assert [n["notice_id"] for n in single["notices"]] == [one]
    assert single["items"] == [f for f in found["items"] if f["notice_id"] == one]
    red = cell.get("alice", "/api/deconfliction/findings", params={**wide, "party": "RED"}).json()
    assert {n["party"] for n in red["notices"]} == {"RED"}
    # the incidents are the cell's to read: a party sees the notices, not the incidents
    party_view = cell.get("red.rep", "/api/deconfliction/findings", params=wide).json()
    assert party_view["items"] == []
    assert len(party_view["notices"]) == len(found["notices"])
    assert_error(cell.get("alice", "/api/deconfliction/findings?radius_km=0"), 422)
    assert_error(cell.get("alice", "/api/deconfliction/findings?finding=odd"), 422)
