"""Named hostile inputs: deep nesting, enormous numbers, Unicode tricks, compressed files,
XML entities. Each is refused with a message naming the field, or read safely."""

from __future__ import annotations

import gzip
import io
import unicodedata
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile_support import ADAPTERS, ApiClient, api, assert_explained, read_with, run_worker
from hypothesis import given, settings
from hypothesis import strategies as st

from truceline.errors import InputError
from truceline.observations.model import Observation
from truceline.response.cap import parse_cap
from truceline.service.settings import Settings, token_digest

TOKEN = "hostile-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CSV_HEADER = "source_id,source_ref,observed_at,lon,lat,kind\n"
DEEP = 100_000


def csv_file(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "reports.csv"
    path.write_bytes((CSV_HEADER + "".join(r + "\n" for r in rows)).encode("utf-8"))
    return path


def geojson_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "reports.geojson"
    path.write_text(text, encoding="utf-8")
    return path


def feature(coordinates: str = "[37.5, 48.1]", properties: str = "") -> str:
    props = properties or (
        '"source_id": "uav-1", "source_ref": "r1", '
        '"observed_at": "2025-09-01T10:00:00Z", "kind": "explosion"'
    )
    return (
        '{"type": "Feature", "geometry": {"type": "Point", "coordinates": '
        f"{coordinates}}}, "
        f'"properties": {{{props}}}}}'
    )


def collection(*features: str) -> str:
    return '{"type": "FeatureCollection", "features": [' + ", ".join(features) + "]}"


# --- deep nesting -----------------------------------------------------------------------


def test_deeply_nested_geojson_property_is_refused(tmp_path: Path) -> None:
    deep = "[" * DEEP + "]" * DEEP
    props = (
        '"source_id": "uav-1", "source_ref": "r1", "observed_at": "2025-09-01T10:00:00Z", '
        f'"kind": "explosion", "extra": {deep}'
    )
    path = geojson_file(tmp_path, collection(feature(properties=props), feature()))
    summary = run_worker("geojson", path)
    assert summary["refused"] is None
    assert summary["observations"] == 1
    assert summary["rejections"] == 1
    assert any("nested" in str(r) for r in summary["reasons"]), summary  # type: ignore[attr-defined]


def test_deeply_nested_geojson_document_is_refused(tmp_path: Path) -> None:
    path = geojson_file(tmp_path, "{" + '"a": {' * DEEP + "}" * (DEEP + 1))
    summary = run_worker("geojson", path)
    assert summary["observations"] == 0
    assert summary["refused"] or summary["rejections"], summary


def test_geojson_vertical_tab_before_a_value(tmp_path: Path) -> None:
    """Found by the fuzzer: \\v is white space to Python but not to JSON."""
    path = geojson_file(tmp_path, '{"type": \x0b"FeatureCollection", "features": []}')
    outcome = read_with("geojson", path)
    assert_explained(outcome)
    assert outcome.refused is not None
    assert outcome.observations == []


# --- enormous numbers -------------------------------------------------------------------


@pytest.mark.parametrize("number", ["1e999", "-1e999", "9" * 10_000, "1" + "0" * 100_000])
def test_enormous_geojson_coordinate_is_refused(tmp_path: Path, number: str) -> None:
    path = geojson_file(tmp_path, collection(feature(f"[{number}, 48.1]"), feature()))
    outcome = read_with("geojson", path)
    assert_explained(outcome)
    assert len(outcome.observations) == 1
    # refused while decoding the feature, before its fields are read
    [rejection] = outcome.rejections
    assert rejection.field == "feature"
    assert "the number" in rejection.reason


@pytest.mark.parametrize("number", ["1e999", "-1e999", "9" * 10_000, "nan", "inf"])
def test_enormous_csv_coordinate_is_refused(tmp_path: Path, number: str) -> None:
    path = csv_file(
        tmp_path,
        f"uav-1,r1,2025-09-01T10:00:00Z,{number},48.1,explosion",
        "uav-1,r2,2025-09-01T10:00:00Z,37.5,48.1,explosion",
    )
    outcome = read_with("csv", path)
    assert_explained(outcome)
    assert len(outcome.observations) == 1
    assert [r.field for r in outcome.rejections] == ["lon"]


# --- Unicode tricks ---------------------------------------------------------------------

HIDDEN = ["\u202e", "\u200b", "\u200d", "\u2066", "\ufeff", "\x00", "\x1b", "\x7f", "\u061c"]


@pytest.mark.parametrize("char", HIDDEN)
@pytest.mark.parametrize("column", ["source_ref", "source_id"])
def test_hidden_character_in_an_id_is_refused(tmp_path: Path, char: str, column: str) -> None:
    values = {"source_id": "uav-1", "source_ref": "r1"}
    values[column] = values[column][:2] + char + values[column][2:]
    path = csv_file(
        tmp_path,
        f"{values['source_id']},{values['source_ref']},2025-09-01T10:00:00Z,37.5,48.1,explosion",
    )
    outcome = read_with("csv", path)
    assert_explained(outcome)
    assert outcome.observations == []
    [rejection] = outcome.rejections
    if column == "source_ref":
        assert rejection.field == "source_ref"
        assert f"U+{ord(char):04X}" in rejection.reason
    else:  # no registered source has such an id
        assert rejection.field == "source_id"


def test_confusable_letters_are_kept_as_distinct_ids(tmp_path: Path) -> None:
    """A Cyrillic 'а' is visible text: kept, and a different id than the Latin 'a'."""
    path = csv_file(
        tmp_path,
        "uav-1,ref-a,2025-09-01T10:00:00Z,37.5,48.1,explosion",
        "uav-1,ref-\u0430,2025-09-01T10:00:00Z,37.5,48.1,explosion",
    )
    outcome = read_with("csv", path)
    assert outcome.rejections == []
    assert len({o.id for o in outcome.observations}) == 2


def test_lone_surrogate_in_geojson_is_refused(tmp_path: Path) -> None:
    props = (
        '"source_id": "uav-1", "source_ref": "r\\ud800", "observed_at": '
        '"2025-09-01T10:00:00Z", "kind": "explosion"'
    )
    path = geojson_file(tmp_path, collection(feature(properties=props)))
    outcome = read_with("geojson", path)
    assert_explained(outcome)
    assert outcome.observations == []
    assert [r.field for r in outcome.rejections] == ["properties.source_ref"]


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=30))
def test_accepted_ids_hold_no_hidden_character(text: str) -> None:
    """Property: whatever the id, an accepted observation's ids are plain visible text."""
    try:
        obs: Observation | None = Observation(
            source_id="uav-1",
            source_ref=text,
            observed_at="2025-09-01T10:00:00Z",
            received_at="2025-09-01T10:00:00Z",
            lon=37.5,
            lat=48.1,
            kind="explosion",
        )
    except ValueError as exc:
        obs, refusal = None, str(exc)
    if obs is None:
        assert "source_ref" in refusal
        return
    assert not {unicodedata.category(c) for c in obs.source_ref} & {"Cc", "Cf", "Cs"}


# --- compressed files -------------------------------------------------------------------


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A gzip and a zip file that expand to 64 MiB each."""
    folder = tmp_path_factory.mktemp("bombs")
    payload = b"0" * (64 << 20)
    gz = folder / "bomb.csv.gz"
    gz.write_bytes(gzip.compress(payload, compresslevel=9))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("reports.csv", CSV_HEADER.encode() + payload)
    zipped = folder / "bomb.zip"
    zipped.write_bytes(buffer.getvalue())
    return [gz, zipped]


@pytest.mark.parametrize("name", ADAPTERS)
def test_compressed_files_are_never_expanded(bombs: list[Path], name: str) -> None:
    """No adapter opens archives: a zip or gzip bomb is read as the bytes it is (and
    refused), never decompressed, so it cannot fill memory."""
    for path in bombs:
        assert path.stat().st_size < 1 << 20
        outcome = read_with(name, path)
        assert_explained(outcome)
        assert outcome.observations == []
        assert outcome.refused is not None or outcome.rejections


# --- XML entities -----------------------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol9;</identifier></alert>"""

EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&xxe;</identifier></alert>"""

EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE alert SYSTEM "http://127.0.0.1:9/cap.dtd">
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>x</identifier></alert>"""

UNDECLARED = """<?xml version="1.0"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol;</identifier></alert>"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL, EXTERNAL_DTD, UNDECLARED])
def test_cap_entities_are_refused(document: str) -> None:
    with pytest.raises(InputError) as refused:
        parse_cap(document)
    assert refused.value.field == "document"
    assert str(refused.value).startswith("document: ")


@pytest.mark.parametrize("encoding", ["UTF-4", "shift_jis", "big5"])
def test_cap_unknown_or_multibyte_encoding_is_refused(encoding: str) -> None:
    """Found by the fuzzer: an encoding= Python does not know, or one expat cannot read."""
    document = f'<?xml version="1.0" encoding="{encoding}"?><alert/>'
    with pytest.raises(InputError, match="send the alert in UTF-8") as refused:
        parse_cap(document.encode("ascii"))
    assert refused.value.field == "document"


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=1024) | st.text(max_size=300).map(lambda t: t.encode("utf-8")))
def test_cap_arbitrary_bytes(data: bytes) -> None:
    refusal: InputError | None = None
    try:
        parse_cap(b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">' + data + b"</alert>")
    except InputError as exc:
        refusal = exc
    if refusal is not None:
        assert refusal.field
        assert str(refusal).strip()


# --- the API ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiClient]:
    path = tmp_path_factory.mktemp("api") / "store.sqlite"
    settings_ = Settings(store=str(path), create_store=True, admin_token_sha256=token_digest(TOKEN))
    with api(settings_) as test_client:
        source = {
            "id": "uav-1",
            "name": "Mission UAV 1",
            "operator": "Mission UAV wing",
            "type": "uav",
        }
        response = test_client.post("/api/sources", json=source, headers=AUTH)
        assert response.status_code in (200, 201), response.text
        yield test_client


def good_row(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "source_id": "uav-1",
        "source_ref": "r1",
        "observed_at": "2025-09-01T10:00:00Z",
        "lon": 37.5,
        "lat": 48.1,
        "kind": "explosion",
    }
    row.update(changes)
    return row


def assert_refused(response: Any, status: int = 422) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["message"].strip()
    for problem in body["errors"]:
        assert problem["reason"].strip()
    return body


def test_api_deeply_nested_body_is_refused(client: ApiClient) -> None:
    deep = "[" * DEEP + "]" * DEEP
    body = '{"source_id": "uav-1", "attributes": {"x": ' + deep + "}}"
    response = client.post(
        "/api/observations",
        content=body.encode(),
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert_refused(response, response.status_code)
    assert response.status_code in (400, 422)


@pytest.mark.parametrize("number", ["1e999", "9" * 10_000])
def test_api_enormous_number_is_refused(client: ApiClient, number: str) -> None:
    body = (
        '{"source_id": "uav-1", "source_ref": "big", "observed_at": "2025-09-01T10:00:00Z", '
        f'"lon": {number}, "lat": 48.1, "kind": "explosion"}}'
    )
    response = client.post(
        "/api/observations",
        content=body.encode(),
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert response.status_code in (400, 422), response.text
    assert_refused(response, response.status_code)


@pytest.mark.parametrize("char", HIDDEN)
def test_api_hidden_character_in_source_ref_is_refused(client: ApiClient, char: str) -> None:
    response = client.post("/api/observations", json=good_row(source_ref=f"r{char}1"), headers=AUTH)
    body = assert_refused(response)
    assert any("source_ref" in p["field"] for p in body["errors"]), body


def test_api_lone_surrogate_is_refused(client: ApiClient) -> None:
    body = (
        '{"source_id": "uav-1", "source_ref": "ok", "observed_at": "2025-09-01T10:00:00Z", '
        '"lon": 37.5, "lat": 48.1, "kind": "explosion", "attributes": {"note": "\\ud800"}}'
    )
    response = client.post(
        "/api/observations",
        content=body.encode(),
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert response.status_code in (400, 422), response.text
    assert_refused(response, response.status_code)
