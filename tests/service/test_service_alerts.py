"""Alerts over HTTP: from submitted observations to a signed clear breach, its CAP 1.2 alert
(valid against the OASIS schema), the live feed, members' responses, the clocks, reminders
of overdue steps and the cancel; who may read and do what."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import xmlschema
from service_support import api, assert_error, parse_sse
from sqlalchemy import text
from workflow_support import NOW, Clock, Mission, add_people, ingest, mission

from truceline.ledger.verify import verify_store
from truceline.response.cap import parse_cap
from truceline.simulation.scenario import Scenario
from truceline.store import store_engine

SCHEMA_PATH = Path(__file__).parent.parent / "response" / "data" / "CAP-v1.2.xsd"
NOTIFY = "Notify the coordination cell"
CONSULT = "Consultation with the parties"


@pytest.fixture(scope="module")
def cap_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMA_PATH))


@pytest.fixture
def cell(filled_store: Path, tmp_path: Path) -> Iterator[Mission]:
    with mission(filled_store, tmp_path, alert_status="Exercise") as found:
        yield found


@pytest.fixture
def signed(cell: Mission) -> tuple[Mission, str]:
    """The mission with its first clear breach signed: the alert's identifier."""
    breach = cell.clear_breaches()[0]
    answer = cell.sign_off(breach["incident_id"])
    return cell, str(answer["alert"])


def _respond(cell: Mission, person: str, alert: str, **body: Any) -> httpx.Response:
    cell.clock.advance(minutes=1)
    return cell.post(person, f"/api/alerts/{alert}/responses", json=body)


def _feed(cell: Mission, people: list[str]) -> dict[str, list[Any]]:
    """Everything the feed kept, as each person receives it: each subscribes from the start,
    then the feed is closed so that the streams end."""
    broker = cell.client.app.state.service.broker
    got: dict[str, list[Any]] = {}

    def read(person: str) -> None:
        response = cell.get(person, f"/api/feed?after={broker.epoch}-0")
        assert response.status_code == 200, response.text
        got[person] = list(parse_sse(response.text.splitlines()))

    threads = [threading.Thread(target=read, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for _ in range(500):
        if broker.subscriber_count == len(people):
            break
        threading.Event().wait(0.01)
    broker.close()
    for thread in threads:
        thread.join(timeout=30)
    return got


def test_from_observations_to_a_cancelled_alert(
    tmp_path: Path, scenario: Scenario, cap_schema: xmlschema.XMLSchema
) -> None:
    """Submit the day's observations; the first clear breach is claimed, confirmed and
    signed by two reviewers; its alert is valid CAP 1.2 (status Exercise), goes on the feed
    to the members and not to the parties; members respond; an overdue step raises one
    reminder; the cancel ends the thread."""
    with api(tmp_path / "flow.sqlite", alert_status="Exercise") as client:
        ingest(client, scenario)
        clock = Clock()
        client.app.state.workflow.clock = clock
        cell = Mission(client=client, clock=clock, tokens=add_people(client))
        breach = cell.clear_breaches()[0]
        incident = breach["incident_id"]
        queue = cell.get("alice", "/api/review/queue").json()["items"]
        assert queue[0]["awaiting_signature"]
        answer = cell.sign_off(incident)
        alert_id = answer["alert"]
        assert answer["status"] == "signed"
        assert alert_id

        # the alert, in CAP 1.2 XML and JSON
        xml = cell.get("fr.liaison", f"/api/alerts/{alert_id}.xml")
        assert xml.status_code == 200
        assert xml.headers["content-type"].startswith("application/cap+xml")
        cap_schema.validate(xml.content)
        alert = parse_cap(xml.content)
        assert alert.status.value == "Exercise"
        assert alert.msg_type.value == "Alert"
        assert alert.incidents == (incident,)
        assert alert.info[0].parameter("determinationId") == breach["id"]
        assert alert.sent == NOW.replace(second=4)  # the second signature
        negotiated = cell.get(
            "fr.liaison", f"/api/alerts/{alert_id}", headers={"Accept": "application/cap+xml"}
        )
        assert negotiated.content == xml.content
        detail = cell.get("fr.liaison", f"/api/alerts/{alert_id}").json()
        assert detail["cap"]["identifier"] == alert_id
        assert detail["cap"]["status"] == "Exercise"
        assert detail["members"] == ["FR", "UK"]
        assert detail["releasability"] == "cell+members"

        # responses and clocks
        ack = _respond(
            cell, "fr.liaison", alert_id, kind="acknowledgement", tier=NOTIFY, text="Received."
        )
        assert ack.status_code == 201, ack.text
        assert ack.json()["clocks"][0]["state"] == "done"
        uk = _respond(cell, "uk.liaison", alert_id, kind="acknowledgement", text="Seen.")
        assert uk.status_code == 201, uk.text
        steps = cell.get("alice", f"/api/alerts/{alert_id}/clocks").json()
        by = {(c["member"], c["tier"]): c for c in steps["clocks"]}
        assert by["FR", NOTIFY]["state"] == "done"
        assert by["UK", NOTIFY]["state"] == "pending"
        assert by["UK", NOTIFY]["acknowledged_at"] is not None
        assert steps["overdue"] == 0
        assert steps["reminders"] == []

        # an hour on, UK's notification is overdue: one reminder, once
        clock.advance(hours=1, minutes=30)
        steps = cell.get("uk.liaison", f"/api/alerts/{alert_id}/clocks").json()
        assert steps["overdue"] == 1
        assert [(c["member"], c["tier"]) for c in steps["clocks"] if c["overdue"]] == [
            ("UK", NOTIFY)
        ]
        (reminder_id,) = steps["reminders"]
        again = cell.get("alice", f"/api/alerts/{alert_id}/clocks").json()
        assert again["reminders"] == [reminder_id]
        reminder = cell.get("alice", f"/api/alerts/{reminder_id}.xml")
        cap_schema.validate(reminder.content)
        parsed = parse_cap(reminder.content)
        assert parsed.msg_type.value == "Update"
        assert parsed.references == (alert.reference,)
        assert parsed.info[0].parameter("overdueMembers") == "UK"
        late = _respond(
            cell, "uk.liaison", alert_id, kind="acknowledgement", tier=NOTIFY, text="Late."
        )
        assert late.json()["clocks"][0]["state"] == "done late"
        consult = _respond(
            cell, "fr.liaison", alert_id, kind="consultation", tier=CONSULT, text="Convened."
        )
        assert consult.status_code == 201
        listed = cell.get("alice", f"/api/alerts/{alert_id}/responses").json()
        assert [(r["member"], r["kind"]) for r in listed] == [
            ("FR", "acknowledgement"),
            ("UK", "acknowledgement"),
            ("UK", "acknowledgement"),
            ("FR", "consultation"),
        ]

        # the cancel references the whole thread and ends it
        cancelled = cell.post(
            "carol", f"/api/alerts/{reminder_id}/cancel", json={"note": "Withdrawn."}
        )
        assert cancelled.status_code == 201, cancelled.text
        cancel_id = cancelled.json()["identifier"]
        cancel_xml = cell.get("alice", f"/api/alerts/{cancel_id}.xml").content
        cap_schema.validate(cancel_xml)
        assert [r.identifier for r in parse_cap(cancel_xml).references] == [alert_id, reminder_id]
        clock.advance(days=5)
        steps = cell.get("alice", f"/api/alerts/{alert_id}/clocks").json()
        assert steps["cancelled"]
        assert steps["overdue"] > 0
        assert steps["reminders"] == [reminder_id]
        thread = cell.get("alice", "/api/alerts").json()["items"]
        assert [m["msg_type"] for m in thread] == ["Alert", "Update", "Cancel"]

        # the feed carried every message to the members, none to the parties
        feeds = _feed(cell, ["fr.liaison", "red.rep"])
        carried = [e.data["identifier"] for e in feeds["fr.liaison"] if e.event == "cap_alert"]
        assert carried == [alert_id, reminder_id, cancel_id]
        first = next(e for e in feeds["fr.liaison"] if e.event == "cap_alert")
        assert first.data["cap"]["status"] == "Exercise"
        assert first.data["releasability"] == "cell+members"
        assert not [e for e in feeds["red.rep"] if e.event == "cap_alert"]

    # every review action, alert and response is in the ledger, and the ledger verifies
    engine, _ = store_engine(tmp_path / "flow.sqlite", create=False)
    try:
        with engine.connect() as conn:
            kinds = set(conn.execute(text("SELECT DISTINCT kind FROM ledger")).scalars())
        verification = verify_store(engine)
    finally:
        engine.dispose()
    assert {"review_action", "alert", "response", "observation_accepted", "determination"} <= kinds
    assert verification.ok, verification.problems


def test_who_may_read_an_alert(signed: tuple[Mission, str]) -> None:
    cell, alert_id = signed
    for person in ("alice", "bob", "fr.liaison", "uk.liaison"):
        listed = cell.get(person, "/api/alerts").json()
        assert [a["identifier"] for a in listed["items"]] == [alert_id], person
        assert cell.get(person, f"/api/alerts/{alert_id}").status_code == 200
    for person in ("red.rep", "blu.rep", "press"):
        assert cell.get(person, "/api/alerts").json() == {"items": [], "total": 0}
        assert_error(cell.get(person, f"/api/alerts/{alert_id}"), 404, "not_found")
        assert_error(cell.get(person, f"/api/alerts/{alert_id}.xml"), 404, "not_found")
        assert_error(cell.get(person, f"/api/alerts/{alert_id}/clocks"), 404, "not_found")
    assert_error(cell.get("alice", "/api/alerts/truceline-nothing"), 404, "not_found")
    assert_error(cell.client.get(f"/api/alerts/{alert_id}", auth=False), 401)
    assert cell.get("alice", "/api/alerts?msg_type=Cancel").json()["items"] == []
    assert_error(cell.get("alice", "/api/alerts?colour=red"), 422, "validation_failed")


def test_responses_are_recorded_for_ones_own_member_only(signed: tuple[Mission, str]) -> None:
    cell, alert_id = signed
    body = {"kind": "acknowledgement", "tier": NOTIFY, "text": "Received."}
    refused = assert_error(
        _respond(cell, "fr.liaison", alert_id, member="UK", **body), 403, "forbidden"
    )
    assert "FR only" in refused["message"]
    assert_error(_respond(cell, "alice", alert_id, **body), 403, "forbidden")
    assert_error(_respond(cell, "red.rep", alert_id, **body), 404, "not_found")
    wrong = assert_error(
        _respond(cell, "fr.liaison", alert_id, kind="statement", tier="Tea", text="x"), 422
    )
    assert wrong["errors"][0]["field"] == "tier"
    assert_error(_respond(cell, "fr.liaison", alert_id, kind="shrug", text="x"), 422)
    admin = cell.client.post(f"/api/alerts/{alert_id}/responses", json=body)
    assert_error(admin, 422, "validation_failed")
    first = _respond(cell, "fr.liaison", alert_id, **body)
    assert first.status_code == 201, first.text
    assert first.json()["response"]["member"] == "FR"
    assert first.json()["response"]["actor"] == "fr.liaison"
    repeat = cell.post("fr.liaison", f"/api/alerts/{alert_id}/responses", json=body)
    assert repeat.status_code == 200
    assert repeat.json()["status"] == "already_recorded"
    on_behalf = cell.client.post(f"/api/alerts/{alert_id}/responses", json={**body, "member": "UK"})
    assert on_behalf.status_code == 201, on_behalf.text
    assert len(cell.get("alice", f"/api/alerts/{alert_id}/responses").json()) == 2


def test_cancel_and_reminders_are_for_the_cell(signed: tuple[Mission, str]) -> None:
    cell, alert_id = signed
    assert cell.post("alice", "/api/alerts/reminders").json() == []
    assert_error(cell.post("fr.liaison", "/api/alerts/reminders"), 403, "forbidden")
    cell.clock.advance(hours=2)
    sent = cell.post("bob", "/api/alerts/reminders").json()
    assert [m["msg_type"] for m in sent] == ["Update"]
    assert sent[0]["headline"] == f"Overdue: {NOTIFY}"
    assert [r.split(",")[1] for r in sent[0]["references"]] == [alert_id]
    assert cell.post("bob", "/api/alerts/reminders").json() == []
    note = {"note": "The determination was withdrawn."}
    assert_error(cell.post("fr.liaison", f"/api/alerts/{alert_id}/cancel", json=note), 403)
    assert_error(cell.post("bob", f"/api/alerts/{alert_id}/cancel", json={}), 422)
    done = cell.post("bob", f"/api/alerts/{alert_id}/cancel", json=note)
    assert done.status_code == 201, done.text
    assert done.json()["note"] == note["note"]
    twice = cell.post("bob", f"/api/alerts/{alert_id}/cancel", json=note)
    assert_error(twice, 409, "alert_cancelled")
    late = _respond(cell, "fr.liaison", alert_id, kind="acknowledgement", text="Late.")
    assert_error(late, 409, "alert_cancelled")
    cell.clock.advance(days=10)
    assert cell.post("bob", "/api/alerts/reminders").json() == []
