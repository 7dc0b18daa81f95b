"""Reading incidents, determinations, pre-notifications, sources and agreements."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from service_support import ApiClient, assert_error

from truceline.simulation.scenario import Scenario


def _all(client: ApiClient, url: str, limit: int) -> list[dict[str, Any]]:
    """Every item of a list, following the cursors page by page."""
    items: list[dict[str, Any]] = []
    joiner = "&" if "?" in url else "?"
    page = client.get(f"{url}{joiner}limit={limit}").json()
    while True:
        items += page["items"]
        assert len(page["items"]) <= limit
        if page["next_cursor"] is None:
            return items
        page = client.get(f"{url}{joiner}limit={limit}&cursor={page['next_cursor']}").json()


def test_every_observation_became_part_of_one_incident_and_each_was_judged(
    reader: ApiClient, scenario: Scenario
) -> None:
    incidents = _all(reader, "/api/incidents", 1000)
    held = [o for i in incidents for o in i["observation_ids"]]
    assert len(held) == len(set(held)) == len(scenario.observations)
    determinations = _all(reader, "/api/determinations", 1000)
    assert sorted(d["incident_id"] for d in determinations) == sorted(i["id"] for i in incidents)


def test_cursor_and_offset_pages_give_the_whole_list_in_a_stable_order(reader: ApiClient) -> None:
    whole = reader.get("/api/determinations?limit=1000").json()["items"]
    assert len(whole) > 20
    keys = [(d["start"], d["id"]) for d in whole]
    assert keys == sorted(keys)
    for limit in (1, 7, 50):
        assert _all(reader, "/api/determinations", limit) == whole
    offsets = []
    for offset in range(0, len(whole), 9):
        offsets += reader.get(f"/api/determinations?limit=9&offset={offset}").json()["items"]
    assert offsets == whole
    incidents = reader.get("/api/incidents?limit=1000").json()["items"]
    assert _all(reader, "/api/incidents", 13) == incidents
    observations = _all(reader, "/api/observations", 1000)
    assert _all(reader, "/api/observations", 37) == observations


def test_determination_filters_keep_exactly_the_matching_ones(reader: ApiClient) -> None:
    whole = reader.get("/api/determinations?limit=1000").json()["items"]
    clear = [d for d in whole if d["clear_breach"]]
    assert clear, "the simulated day has clear breaches"
    got = reader.get("/api/determinations?clear_breach=true&limit=1000").json()["items"]
    assert got == clear
    status = reader.get("/api/determinations?status=deconflicted&limit=1000").json()["items"]
    assert status == [d for d in whole if d["status"] == "deconflicted"]
    assert status, "the simulated day has deconflicted activity"
    rule = clear[0]["rules"][0]
    by_rule = reader.get(f"/api/determinations?rule={rule}&limit=1000").json()["items"]
    assert by_rule == [d for d in whole if rule in d["rules"]]
    zone = next(z for d in whole for z in d["zones"])
    by_zone = reader.get(f"/api/determinations?zone={zone}&limit=1000").json()["items"]
    assert by_zone == [d for d in whole if zone in d["zones"]]
    party = clear[0]["side"]
    by_party = reader.get(f"/api/determinations?party={party}&limit=1000").json()["items"]
    assert by_party == [d for d in whole if party in (d["side"], d["attributed_to"])]
    confident = reader.get("/api/determinations?min_confidence=0.8&limit=1000").json()["items"]
    assert confident == [d for d in whole if d["confidence"] >= 0.8]
    d = whole[len(whole) // 2]
    box = f"{d['lon']},{d['lat']},{d['lon']},{d['lat']}"
    at_point = reader.get(f"/api/determinations?bbox={box}&limit=1000").json()["items"]
    assert d in at_point
    assert all((x["lon"], x["lat"]) == (d["lon"], d["lat"]) for x in at_point)
    window = f"start={d['start'].replace('+', '%2B')}&end={d['end'].replace('+', '%2B')}"
    in_window = reader.get(f"/api/determinations?{window}&limit=1000").json()["items"]
    assert d in in_window
    for x in in_window:
        assert datetime.fromisoformat(x["start"]) <= datetime.fromisoformat(d["end"])
        assert datetime.fromisoformat(x["end"]) >= datetime.fromisoformat(d["start"])


def test_incident_filters_and_details(reader: ApiClient) -> None:
    incidents = reader.get("/api/incidents?limit=1000").json()["items"]
    confident = reader.get("/api/incidents?min_confidence=0.8&limit=1000").json()["items"]
    assert confident == [i for i in incidents if i["confidence"] >= 0.8]
    breaches = reader.get("/api/determinations?clear_breach=true&limit=1000").json()["items"]
    judged = reader.get("/api/incidents?status=clear_breach&limit=1000").json()["items"]
    assert [i["id"] for i in judged] == [d["incident_id"] for d in breaches]

    detail = reader.get(f"/api/incidents/{breaches[0]['incident_id']}").json()
    assert detail["incident"]["id"] == breaches[0]["incident_id"]
    assert sorted(o["id"] for o in detail["observations"]) == sorted(
        detail["incident"]["observation_ids"]
    )
    assert [d["id"] for d in detail["determinations"]] == [breaches[0]["id"]]
    one = reader.get(f"/api/determinations/{breaches[0]['id']}").json()
    assert one == breaches[0]
    assert "clear-breach threshold" in one["explanation"]


def test_prenotifications_sources_and_agreements(reader: ApiClient, scenario: Scenario) -> None:
    notices = reader.get("/api/prenotifications?limit=1000").json()["items"]
    assert sorted(n["id"] for n in notices) == sorted(p.id for p in scenario.prenotifications)
    party = notices[0]["party"]
    mine = reader.get(f"/api/prenotifications?party={party}").json()["items"]
    assert mine == [n for n in notices if n["party"] == party]

    sources = reader.get("/api/sources").json()["items"]
    ids = [s["id"] for s in sources]
    assert ids == sorted(ids)
    assert {s.id for s in scenario.sources} <= set(ids)
    assert any(s["builtin"] for s in sources)

    agreements = reader.get("/api/agreements").json()
    assert [a["id"] for a in agreements] == [scenario.loaded.agreement.id]
    assert [v["version"] for v in agreements[0]["versions"]] == [1]


def test_unknown_ids_are_404(reader: ApiClient) -> None:
    assert_error(reader.get("/api/incidents/inc-missing"), 404, "not_found")
    assert_error(reader.get("/api/agreements/blue-red-ceasefire/versions/9"), 404, "not_found")
