"""The dashboard in a real browser: headless Chromium against a real `truceline serve`.

Each test signs in with a user's token, works the page as an analyst would, checks what the
page shows against the API, and keeps a screenshot of every step (see the folder printed at
the end of the run).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dashboard_support import ADMIN_TOKEN, Dashboard, Filled, Server, row

CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"


@pytest.fixture
def tab(browser: Any, server: Server, shots_of: Path) -> Iterator[Dashboard]:
    """A fresh browser tab (its own session storage); no script error may happen in it."""
    made = Dashboard(browser, server, shots_of)
    try:
        yield made
        assert made.errors == [], made.errors
    finally:
        made.close()


def determinations(server: Server, token: str, **params: str) -> list[dict[str, Any]]:
    answer = server.api("GET", "/determinations", token, params={"limit": "1000", **params})
    assert answer.status_code == 200, answer.text
    assert answer.json()["next_cursor"] is None
    found: list[dict[str, Any]] = answer.json()["items"]
    return found


def test_a_refused_token_says_so_and_a_good_one_shows_the_map(
    tab: Dashboard, server: Server, filled: Filled
) -> None:
    tab.open()
    page = tab.page
    page.get_by_label("API token").fill("tl_0000000000000000_not-a-real-secret")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("#login-error:has-text('The token was refused')")
    tab.shot("refused")
    assert page.evaluate("() => sessionStorage.getItem('truceline.token')") is None

    tab.sign_in(filled.tokens["ana"])
    tab.shot("map")
    expected = determinations(server, filled.tokens["ana"])
    shown = tab.dataset("#map")
    assert int(shown["count"]) == len(expected) > 50
    # Every determination is drawn: the map's own source holds one feature per determination.
    drawn = page.evaluate(
        "() => new Set(window.truceline.map.querySourceFeatures('incidents')"
        ".map(f => f.properties.id)).size"
    )
    assert drawn == int(shown["features"]) == len(expected)
    theatre = page.evaluate(
        "() => window.truceline.map.querySourceFeatures('theatre').map(f => f.properties.kind)"
    )
    assert {"line", "held_area", "zone", "exclusion"} <= set(theatre)
    assert page.text_content("#shown") == f"{len(expected)} incidents shown"
    assert "ana (JCC; analyst)" in (page.text_content("#who") or "")
    # The review queue is the API's, in its order.
    queue = server.api("GET", "/review/queue", filled.tokens["ana"], params={"limit": "1000"})
    listed = page.eval_on_selector_all(
        "#queue tbody tr", "rows => rows.map(r => r.dataset.incident)"
    )
    assert listed == [item["incident_id"] for item in queue.json()["items"]]
    page.wait_for_selector("#feed-status[data-state=live]")


def test_filters_narrow_the_map_to_a_time_window_status_and_confidence(
    tab: Dashboard, server: Server, filled: Filled
) -> None:
    token = filled.tokens["ana"]
    tab.sign_in(token)
    page = tab.page
    everything = int(tab.dataset("#map")["count"])
    page.get_by_label("From (UTC)").fill("2025-09-01T06:00")
    page.get_by_label("Until (UTC)").fill("2025-09-01T12:00")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_selector("#map[data-loading=false]", state="attached")
    tab.shot("window")
    window = {"start": "2025-09-01T06:00:00Z", "end": "2025-09-01T12:00:00Z"}
    expected = determinations(server, token, **window)
    shown = tab.dataset("#map")
    assert 0 < int(shown["count"]) == int(shown["features"]) == len(expected) < everything

    page.get_by_label("Status").select_option("suspected_breach")
    page.get_by_label("Min. confidence").fill("0.5")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_selector("#map[data-loading=false]", state="attached")
    tab.shot("status-and-confidence")
    narrower = determinations(
        server, token, **window, status="suspected_breach", min_confidence="0.5"
    )
    assert int(tab.dataset("#map")["count"]) == len(narrower) < len(expected)
    statuses = page.evaluate(
        "() => [...window.truceline.determinations.values()].map(d => [d.status, d.confidence])"
    )
    assert all(s == "suspected_breach" and c >= 0.5 for s, c in statuses)

    page.get_by_role("button", name="Reset").click()
    page.wait_for_selector("#map[data-loading=false]", state="attached")
    assert int(tab.dataset("#map")["count"]) == everything


def test_an_analyst_claims_and_confirms_and_two_reviewers_sign(
    tab: Dashboard, browser: Any, server: Server, filled: Filled, shots_of: Path
) -> None:
    tab.sign_in(filled.tokens["ana"])
    page = tab.page
    first = page.locator("#queue tbody tr.pressing").first
    incident_id = first.get_attribute("data-incident")
    assert incident_id
    # The queue works from the keyboard: a link per incident, buttons for the actions.
    first.get_by_role("link").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(f"body[data-incident-loaded='{incident_id}']", state="attached")
    tab.shot("incident")
    detail = server.api("GET", f"/incidents/{incident_id}", ADMIN_TOKEN).json()
    assert page.locator("#observations tbody tr").count() == len(detail["observations"])
    current = max(detail["determinations"], key=lambda d: d["agreement_version"])
    assert page.text_content("#explanation") == current["explanation"]
    # Signing is for reviewers: an analyst is not offered it.
    assert not page.get_by_role("button", name="Sign", exact=True).is_visible()

    # A dismissal needs a reason: the service's refusal is shown as it is.
    page.get_by_role("button", name="Dismiss").click()
    page.wait_for_selector("#review-error:has-text('reason')")
    tab.shot("dismiss-refused")

    page.get_by_role("button", name="Claim").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#review-summary:has-text('Done: claim')")
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_selector("body[data-review-status=confirmed]", state="attached")
    tab.shot("confirmed")
    review = server.api("GET", f"/incidents/{incident_id}/review", ADMIN_TOKEN).json()
    assert review["status"] == "confirmed"
    assert review["confirmed_by"] == "ana"
    assert [(a["actor"], a["action"]) for a in review["history"]] == [
        ("ana", "claim"),
        ("ana", "confirm"),
    ]
    assert page.locator("#history tbody tr").count() == 2

    for reviewer in ("rev.one", "rev.two"):
        other = Dashboard(browser, server, shots_of.with_name(f"{shots_of.name}-{reviewer}"))
        try:
            other.sign_in(filled.tokens[reviewer], f"#/incident/{incident_id}")
            other.page.wait_for_selector(
                f"body[data-incident-loaded='{incident_id}']", state="attached"
            )
            other.page.get_by_role("button", name="Sign", exact=True).click()
            other.page.wait_for_selector("#review-summary:has-text('Done: sign')")
            other.shot("signed")
            assert other.errors == []
        finally:
            other.close()
    review = server.api("GET", f"/incidents/{incident_id}/review", ADMIN_TOKEN).json()
    assert review["status"] == "signed"
    assert [s["actor"] for s in review["signatures"]] == ["rev.one", "rev.two"]
    assert review["alert"]


def test_alerts_show_overdue_clocks_and_give_the_cap_document(
    tab: Dashboard, server: Server, filled: Filled
) -> None:
    tab.sign_in(filled.tokens["rev.one"])
    page = tab.page
    page.get_by_role("link", name="Alerts").click()
    row_of = f"#alerts tbody tr:has(a[href$='{filled.signed_incident}'])"
    page.wait_for_selector(row_of)
    alert_row = page.locator(row_of).first
    identifier = alert_row.get_attribute("data-alert")
    alerts = server.api("GET", "/alerts", ADMIN_TOKEN, params={"limit": "1000"}).json()
    assert page.locator("#alerts tbody tr[data-alert]").count() == alerts["total"]

    alert_row.get_by_role("button", name="Clocks").click()
    page.wait_for_selector("#clocks tbody tr")
    tab.shot("clocks")
    clocks = server.api("GET", f"/alerts/{identifier}/clocks", ADMIN_TOKEN).json()
    overdue = [c for c in clocks["clocks"] if c["state"] == "overdue"]
    assert overdue, "signed two days ago: the first steps should be overdue"
    assert page.locator("#clocks tbody tr.overdue").count() == len(overdue)
    assert re.search(
        rf"\b{len(overdue)} steps? overdue", page.text_content("#clocks-summary") or ""
    )

    with page.expect_download() as download:
        alert_row.get_by_role("button", name="CAP XML").click()
    saved = Path(download.value.path())
    assert download.value.suggested_filename == f"{identifier}.xml"
    root = ET.fromstring(saved.read_bytes())
    assert root.tag == f"{CAP}alert"
    assert root.findtext(f"{CAP}identifier") == identifier
    assert root.findtext(f"{CAP}status") == "Exercise"


def test_the_live_feed_updates_the_open_page(
    tab: Dashboard, server: Server, filled: Filled
) -> None:
    token = filled.tokens["ana"]
    tab.sign_in(token)
    page = tab.page
    page.wait_for_selector("#feed-status[data-state=live]")
    before = int(tab.dataset("#feed-log")["events"])
    tab.shot("before")
    answer = server.api(
        "POST",
        "/observations/batch",
        token,
        json={"observations": [row(o) for o in filled.held_back]},
    )
    assert answer.status_code == 200, answer.text
    report = answer.json()["processing"]
    assert report["changed"] > 0
    # Every determination, alert and withdrawal of the pass reaches the page.
    expected = before + report["changed"] + report["alerts"] + report["withdrawn"]
    page.wait_for_selector(f"#feed-log[data-events='{expected}']", state="attached")
    page.wait_for_selector("#map[data-loading=false]", state="attached")
    tab.shot("after")
    # The page now holds exactly what the API holds, without being reloaded.
    now = determinations(server, token)
    held = page.evaluate("() => [...window.truceline.determinations.keys()].sort()")
    assert held == sorted(d["id"] for d in now)
    assert int(tab.dataset("#map")["count"]) == len(now)


def test_a_liaison_reads_only_what_is_released_and_is_offered_no_review(
    tab: Dashboard, server: Server, filled: Filled
) -> None:
    token = filled.tokens["fr.liaison"]
    tab.sign_in(token)
    page = tab.page
    tab.shot("map")
    released = determinations(server, token)
    everything = determinations(server, ADMIN_TOKEN)
    assert 0 < int(tab.dataset("#map")["count"]) == len(released) < len(everything)
    assert page.text_content("#queue-title") == "Incidents"
    listed = page.eval_on_selector_all(
        "#queue tbody tr", "rows => rows.map(r => r.dataset.incident)"
    )
    assert sorted(listed) == sorted(d["incident_id"] for d in released)

    page.locator("#queue tbody tr a").first.click()
    page.wait_for_selector("body[data-incident-loaded]", state="attached")
    tab.shot("incident")
    assert not page.locator("#review-form").is_visible()
    assert "needs the role analyst or reviewer" in (page.text_content("#review-error") or "")

    hidden = next(d for d in everything if d["id"] not in {r["id"] for r in released})
    page.goto(f"{server.url}/app/#/incident/{hidden['incident_id']}")
    page.wait_for_selector("#incident-error:has-text('no incident')")
    tab.shot("hidden-incident")
    assert not page.locator("#incident-body").is_visible()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_selector("#view-login:visible")
    assert page.evaluate("() => sessionStorage.getItem('truceline.token')") is None
