"""Releasability: a public export holds what is marked public and nothing else, in every
format; a member reads its own releases too; the cell everything."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pyarrow.parquet as pq
import pytest
from tests.opendata.opendata_support import Marked
from tests.service.service_support import ApiClient, assert_error

from truceline.access.model import Organisation, OrganisationKind, Principal, Role, User
from truceline.access.policy import principal_of
from truceline.opendata import (
    CELL_PRINCIPAL,
    Edition,
    Format,
    Layer,
    OpenData,
    edition_principal,
    export_layer,
    open_data,
)
from truceline.store import open_store

FRANCE = Organisation(id="FR", name="France", kind=OrganisationKind.MEMBER)
LIAISON_FR: Principal = principal_of(
    User(id="liaison-fr", organisation="FR", display_name="F", roles=frozenset({Role.LIAISON})),
    FRANCE,
)


@pytest.fixture(scope="module")
def data(marked: Marked) -> Iterator[OpenData]:
    with open_store(marked.path, create=False) as store:
        yield open_data(store)


def _ids(payload: bytes, fmt: Format) -> list[str]:
    if fmt is Format.GEOJSON:
        return [f["id"] for f in json.loads(payload)["features"]]
    if fmt is Format.CSV:
        return [row["id"] for row in csv.DictReader(io.StringIO(payload.decode("utf-8")))]
    return [str(v) for v in pq.read_table(io.BytesIO(payload)).column("id").to_pylist()]


def _markings(payload: bytes, fmt: Format) -> set[str]:
    if fmt is Format.GEOJSON:
        return {f["properties"]["releasability"] for f in json.loads(payload)["features"]}
    if fmt is Format.CSV:
        rows = csv.DictReader(io.StringIO(payload.decode("utf-8")))
        return {row["releasability"] for row in rows}
    return set(pq.read_table(io.BytesIO(payload)).column("releasability").to_pylist())


def _export(data: OpenData, layer: Layer, fmt: Format, principal: Principal) -> bytes:
    out = io.BytesIO()
    export_layer(data, layer, fmt, out, principal=principal)
    return out.getvalue()


@pytest.mark.parametrize("fmt", list(Format))
def test_the_public_edition_holds_only_what_is_public(
    data: OpenData, marked: Marked, fmt: Format
) -> None:
    public = edition_principal(Edition.PUBLIC)
    incidents = _export(data, Layer.INCIDENTS, fmt, public)
    assert sorted(_ids(incidents, fmt)) == sorted(marked.incidents("public"))
    assert _markings(incidents, fmt) == {"public"}
    determinations = _export(data, Layer.DETERMINATIONS, fmt, public)
    assert sorted(_ids(determinations, fmt)) == sorted(marked.determinations("public"))
    assert _markings(determinations, fmt) == {"public"}
    hidden = marked.incidents("cell", "cell+members:FR") | marked.determinations(
        "cell", "cell+members:FR"
    )
    for hidden_id in hidden:
        assert hidden_id.encode() not in incidents + determinations


def test_a_member_reads_what_is_released_to_it(data: OpenData, marked: Marked) -> None:
    payload = _export(data, Layer.INCIDENTS, Format.GEOJSON, LIAISON_FR)
    expected = marked.incidents("public", "cell+members:FR")
    assert sorted(_ids(payload, Format.GEOJSON)) == sorted(expected)


def test_the_restricted_edition_holds_everything(data: OpenData, marked: Marked) -> None:
    restricted = edition_principal(Edition.RESTRICTED)
    assert restricted == CELL_PRINCIPAL
    payload = _export(data, Layer.DETERMINATIONS, Format.CSV, restricted)
    assert sorted(_ids(payload, Format.CSV)) == sorted(marked.determinations())
    assert _markings(payload, Format.CSV) == {"public", "cell+members:FR", "cell"}


def test_counts_and_extents_count_nothing_hidden(data: OpenData, marked: Marked) -> None:
    from truceline.opendata import LayerFilter

    public = edition_principal(Edition.PUBLIC)
    extent = data.extent(public, Layer.INCIDENTS, LayerFilter())
    assert extent.count == len(marked.incidents("public"))
    everything = data.extent(CELL_PRINCIPAL, Layer.INCIDENTS, LayerFilter())
    assert everything.count == len(marked.incidents())
    assert data.extent(public, Layer.DETERMINATIONS, LayerFilter()).count == len(
        marked.determinations("public")
    )


def test_a_hidden_feature_is_not_found(data: OpenData, marked: Marked) -> None:
    public = edition_principal(Edition.PUBLIC)
    hidden = sorted(marked.incidents("cell"))[0]
    shown = sorted(marked.incidents("public"))[0]
    assert data.feature(public, Layer.INCIDENTS, hidden) is None
    assert data.feature(CELL_PRINCIPAL, Layer.INCIDENTS, hidden) is not None
    assert data.feature(public, Layer.INCIDENTS, shown) is not None


@pytest.mark.parametrize("fmt", list(Format))
def test_the_http_export_reads_with_the_callers_releasability(
    client: ApiClient, marked: Marked, fmt: Format
) -> None:
    anonymous = client.get(f"/api/export/determinations.{fmt.value}", auth=False)
    assert anonymous.status_code == 200, anonymous.text
    assert anonymous.headers["content-type"].startswith(fmt.media_type.split(";")[0])
    assert "attachment" in anonymous.headers["content-disposition"]
    assert sorted(_ids(anonymous.content, fmt)) == sorted(marked.determinations("public"))
    operator = client.get(f"/api/export/determinations.{fmt.value}")
    assert sorted(_ids(operator.content, fmt)) == sorted(marked.determinations())


def test_the_http_export_filters_and_refuses_what_does_not_apply(
    client: ApiClient, marked: Marked
) -> None:
    found = client.get("/api/export/determinations.geojson?status=clear_breach")
    assert found.status_code == 200
    statuses = {f["properties"]["status"] for f in found.json()["features"]}
    assert statuses <= {"clear_breach"}
    refused = client.get("/api/export/zones.geojson?min_confidence=0.5")
    body = assert_error(refused, 422, "validation_failed")
    assert body["errors"][0]["field"] == "min_confidence"
    assert_error(client.get("/api/export/line.csv?start=2025-09-01T00:00:00Z"), 422)
    assert_error(client.get("/api/export/incidents.csv?colour=red"), 422)
    assert_error(client.get("/api/export/people.csv"), 422)
    line = client.get("/api/export/line.geojson", auth=False)
    assert line.json()["features"][0]["geometry"]["type"] == "MultiLineString"


def test_without_public_read_a_token_is_needed(marked: Marked) -> None:
    from tests.service.service_support import api

    with api(marked.path, create_store=False) as closed:
        assert_error(closed.get("/api/export/incidents.geojson", auth=False), 401)
        assert_error(closed.get("/ogc", auth=False), 401)
        assert_error(closed.get("/ogc/collections/incidents/items", auth=False), 401)
        assert closed.get("/ogc/collections/incidents/items").status_code == 200
