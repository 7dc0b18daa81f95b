"""OGC API - Features in-process: landing page, conformance, collections and their extents,
items with paging, bbox and datetime, one feature, and the 400s the standard asks for."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.opendata.opendata_support import Marked
from tests.service.service_support import ApiClient, assert_error

from truceline.errors import InputError
from truceline.opendata.ogc import CONFORMANCE, ItemsQuery, parse_datetime

BASE = "http://testserver"


def _incidents(marked: Marked, *markings: str) -> list[Any]:
    wanted = marked.incidents(*markings)
    return [i for i in _all_incidents(marked) if i.id in wanted]


def _all_incidents(marked: Marked) -> list[Any]:
    from truceline.store import open_store

    with open_store(marked.path, create=False) as store:
        return store.incidents()


def _walk(client: ApiClient, url: str, *, auth: bool) -> tuple[list[str], list[dict[str, Any]]]:
    """Every feature id of every page, following `next` links; and every page."""
    ids: list[str] = []
    pages: list[dict[str, Any]] = []
    while url:
        response = client.get(url.removeprefix(BASE), auth=auth)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/geo+json"
        page = response.json()
        pages.append(page)
        assert page["numberReturned"] == len(page["features"])
        ids += [f["id"] for f in page["features"]]
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), "")
    return ids, pages


def test_landing_page_links(client: ApiClient) -> None:
    page = client.get("/ogc", auth=False).json()
    rels = {link["rel"]: link for link in page["links"]}
    assert set(rels) >= {"self", "service-desc", "conformance", "data"}
    assert rels["service-desc"]["href"] == f"{BASE}/api/openapi.json"
    assert rels["service-desc"]["type"].startswith("application/vnd.oai.openapi+json")
    assert rels["data"]["href"] == f"{BASE}/ogc/collections"
    assert client.get("/ogc/conformance", auth=False).json()["conformsTo"] == list(CONFORMANCE)
    spec = client.get("/api/openapi.json", auth=False).json()
    assert "/ogc/collections/{collection_id}/items" in spec["paths"]
    limit = next(
        p
        for p in spec["paths"]["/ogc/collections/{collection_id}/items"]["get"]["parameters"]
        if p["name"] == "limit"
    )
    assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 10_000, "default": 100}


def test_collections_and_their_extents_as_the_reader_sees_them(
    client: ApiClient, marked: Marked
) -> None:
    found = client.get("/ogc/collections", auth=False).json()
    assert [c["id"] for c in found["collections"]] == [
        "incidents",
        "determinations",
        "line",
        "zones",
    ]
    incidents = client.get("/ogc/collections/incidents", auth=False).json()
    public = _incidents(marked, "public")
    west, south, east, north = incidents["extent"]["spatial"]["bbox"][0]
    assert west == pytest.approx(min(i.lon for i in public), abs=1e-7)
    assert south == pytest.approx(min(i.lat for i in public), abs=1e-7)
    assert east == pytest.approx(max(i.lon for i in public), abs=1e-7)
    assert north == pytest.approx(max(i.lat for i in public), abs=1e-7)
    start, end = incidents["extent"]["temporal"]["interval"][0]
    assert datetime.fromisoformat(start) == min(i.start for i in public)
    assert datetime.fromisoformat(end) == max(i.end for i in public)
    everything = client.get("/ogc/collections/incidents").json()
    assert everything["extent"]["temporal"]["interval"][0][0] == utc(
        min(i.start for i in _all_incidents(marked))
    )
    line = client.get("/ogc/collections/line", auth=False).json()
    assert line["extent"]["temporal"]["interval"][0][1] is None
    assert_error(client.get("/ogc/collections/people", auth=False), 404, "not_found")


def utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def test_items_page_through_everything_once(client: ApiClient, marked: Marked) -> None:
    ids, pages = _walk(client, "/ogc/collections/incidents/items?limit=10", auth=False)
    assert sorted(ids) == sorted(marked.incidents("public"))
    assert len(ids) == len(set(ids))
    assert {p["numberMatched"] for p in pages} == {len(marked.incidents("public"))}
    assert all(p["numberReturned"] == 10 for p in pages[:-1])
    ids, _ = _walk(client, "/ogc/collections/determinations/items?limit=7", auth=True)
    assert sorted(ids) == sorted(marked.determinations())


def test_default_limit_and_an_offset_past_the_end(client: ApiClient, marked: Marked) -> None:
    page = client.get("/ogc/collections/incidents/items").json()
    assert page["numberReturned"] == min(100, len(marked.incidents()))
    past = client.get("/ogc/collections/incidents/items?offset=100000", auth=False).json()
    assert past["features"] == []
    assert past["numberMatched"] == len(marked.incidents("public"))
    assert all(link["rel"] != "next" for link in past["links"])


def test_bbox_keeps_the_features_inside(client: ApiClient, marked: Marked) -> None:
    public = _incidents(marked, "public")
    lons = sorted(i.lon for i in public)
    lats = sorted(i.lat for i in public)
    box = (lons[len(lons) // 4], lats[len(lats) // 4], lons[-1], lats[-1])
    expected = {i.id for i in public if box[0] <= i.lon <= box[2] and box[1] <= i.lat <= box[3]}
    assert 0 < len(expected) < len(public)
    bbox = ",".join(repr(v) for v in box)
    ids, pages = _walk(client, f"/ogc/collections/incidents/items?bbox={bbox}&limit=5", auth=False)
    assert set(ids) == expected
    assert pages[0]["numberMatched"] == len(expected)
    zones = client.get("/ogc/collections/zones/items?bbox=0,0,1,1", auth=False).json()
    assert zones["numberMatched"] == 0


def test_datetime_instants_intervals_and_open_ends(client: ApiClient, marked: Marked) -> None:
    public = _incidents(marked, "public")
    middle = sorted(i.start for i in public)[len(public) // 2]
    cases = {
        utc(middle): [i for i in public if i.start <= middle <= i.end],
        f"{utc(middle)}/..": [i for i in public if i.end >= middle],
        f"../{utc(middle)}": [i for i in public if i.start <= middle],
        f"{utc(middle)}/{utc(middle)}": [i for i in public if i.start <= middle <= i.end],
    }
    for text, expected in cases.items():
        ids, _ = _walk(
            client, f"/ogc/collections/incidents/items?datetime={text}&limit=1000", auth=False
        )
        assert set(ids) == {i.id for i in expected}, text
    line = client.get("/ogc/collections/line/items?datetime=1990-01-01T00:00:00Z", auth=False)
    assert line.json()["numberMatched"] == 1  # the line has no time: not filtered by it


def test_one_feature_and_what_is_hidden(client: ApiClient, marked: Marked) -> None:
    shown = sorted(marked.incidents("public"))[0]
    hidden = sorted(marked.incidents("cell"))[0]
    found = client.get(f"/ogc/collections/incidents/items/{shown}", auth=False)
    assert found.status_code == 200
    assert found.headers["content-type"] == "application/geo+json"
    feature = found.json()
    assert feature["id"] == shown
    assert {link["rel"] for link in feature["links"]} == {"self", "collection"}
    assert_error(client.get(f"/ogc/collections/incidents/items/{hidden}", auth=False), 404)
    assert client.get(f"/ogc/collections/incidents/items/{hidden}").status_code == 200
    zone = client.get("/ogc/collections/zones/items/buffer:BLU", auth=False)
    assert zone.json()["properties"]["zone"] == "buffer"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=10001", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
        ("bbox=1,2,3", "bbox"),
        ("bbox=10,50,5,40", "bbox"),
        ("datetime=yesterday", "datetime"),
        ("datetime=2025-09-01T00:00:00", "datetime"),
        ("datetime=2025-09-02T00:00:00Z/2025-09-01T00:00:00Z", "datetime"),
        ("f=html", "f"),
        ("colour=red", "colour"),
    ],
)
def test_bad_parameters_answer_400(client: ApiClient, query: str, field: str) -> None:
    body = assert_error(
        client.get(f"/ogc/collections/incidents/items?{query}", auth=False), 400, "bad_request"
    )
    assert body["errors"][0]["field"] == field
    assert body["errors"][0]["location"] == "query"


def test_unknown_parameters_of_the_other_endpoints_answer_400(client: ApiClient) -> None:
    for path in ("/ogc", "/ogc/conformance", "/ogc/collections", "/ogc/collections/line"):
        assert_error(client.get(f"{path}?limit=3", auth=False), 400, "bad_request")
        assert client.get(f"{path}?f=json", auth=False).status_code == 200


moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(moments, moments, st.booleans(), st.booleans())
def test_datetime_intervals_parse_to_their_ends(
    a: datetime, b: datetime, open_start: bool, open_end: bool
) -> None:
    start, end = min(a, b), max(a, b)
    text = f"{'..' if open_start else utc(start)}/{'..' if open_end else utc(end)}"
    window = parse_datetime(text)
    if open_start and open_end:
        assert window is None
        return
    assert window is not None
    if not open_start:
        assert window.start == start
    if not open_end:
        assert window.end == end
    assert window.start <= window.end


def test_items_query_keeps_its_filters_in_the_paging_links() -> None:
    query = ItemsQuery.parse({"bbox": "30,45,40,50", "datetime": "2025-09-01", "limit": "5"})
    assert query.window is not None
    assert query.window.start == datetime(2025, 9, 1, tzinfo=UTC)
    assert query.window.end.date() == query.window.start.date()
    assert query.query_string(10) == "bbox=30,45,40,50&datetime=2025-09-01&limit=5&offset=10"
    with pytest.raises(InputError) as caught:
        ItemsQuery.parse({"bbox-crs": "x"})
    assert caught.value.field == "bbox-crs"
