"""Agreement documents: self-contained, JSON-able, round-trip exactly, digested stably."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import shapely
from agreement_testdata import template_folder
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, MultiLineString, MultiPolygon, box

from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.loader import (
    agreement_digest,
    agreement_document,
    agreement_from_document,
    load_agreement,
    write_agreement,
)
from truceline.errors import AgreementError


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> LoadedAgreement:
    return load_agreement(template_folder(tmp_path_factory.mktemp("docs"), shared_data))


def test_document_is_plain_json_with_every_geometry_inline(template: LoadedAgreement) -> None:
    document = agreement_document(template)
    text = json.dumps(document, allow_nan=False)
    assert json.loads(text) == document
    assert document["agreement"]["id"] == "minsk-ii-template"
    assert document["geometry"]["line"]["type"] == "MultiLineString"
    assert set(document["geometry"]["held_areas"]) == {"RU"}
    assert set(document["geometry"]["exclusions"]) == {"znpp-no-fly", "azov-maritime"}
    assert len(document["geometry"]["line"]["coordinates"]) == len(template.line.geoms)


def test_document_round_trips_exactly(template: LoadedAgreement) -> None:
    document = agreement_document(template)
    restored = agreement_from_document(json.loads(json.dumps(document)))
    assert restored.agreement == template.agreement
    assert agreement_document(restored) == document
    assert agreement_digest(restored) == agreement_digest(template)
    assert restored.held_areas["RU"].symmetric_difference(template.held_areas["RU"]).area < 1e-9
    assert restored.line.hausdorff_distance(template.line) < 1e-6
    assert restored.source is None


def test_digest_is_sha256_hex_and_changes_with_content(template: LoadedAgreement) -> None:
    digest = agreement_digest(template)
    assert len(digest) == 64
    assert int(digest, 16) >= 0
    assert agreement_digest(template) == digest
    changed = template.agreement.model_copy(update={"title": "Another title"})
    assert agreement_digest(replace(template, agreement=changed)) != digest
    moved = shapely.affinity.translate(template.line, xoff=0.001)
    assert agreement_digest(replace(template, line=moved)) != digest


def test_digest_ignores_coordinates_beyond_seven_decimals(template: LoadedAgreement) -> None:
    nudged = shapely.transform(template.line, lambda c: c + 1e-9)
    assert agreement_digest(replace(template, line=nudged)) == agreement_digest(template)


def test_digest_is_the_same_when_the_version_is_written_elsewhere(
    template: LoadedAgreement, tmp_path: Path
) -> None:
    written = load_agreement(write_agreement(template, tmp_path))
    assert written.agreement.line.file != template.agreement.line.file
    assert agreement_digest(written) == agreement_digest(template)


def _broken(document: dict[str, Any], path: list[str], value: Any) -> dict[str, Any]:
    broken = copy.deepcopy(document)
    node = broken
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return broken


@pytest.mark.parametrize(
    ("path", "value", "words"),
    [
        (["format"], "something-else", "expected format 'truceline-agreement'"),
        (["agreement", "version"], 0, "agreement document, agreement, version: input should be"),
        (["geometry", "held_areas"], {}, "expected held areas ['RU']"),
        (["geometry", "line"], {"type": "Point", "coordinates": [1, 2]}, "geometry.line: "),
        (
            ["geometry", "exclusions", "znpp-no-fly"],
            {"type": "Polygon", "coordinates": [[[500, 0], [501, 0], [501, 1], [500, 0]]]},
            "geometry.exclusions.znpp-no-fly: geometry: 4 coordinates are not longitude/latitude",
        ),
        (["geometry"], [], "geometry: expected a JSON object"),
    ],
    ids=["format", "version", "held areas", "line type", "coordinates", "geometry type"],
)
def test_malformed_document_is_refused_naming_the_field(
    template: LoadedAgreement, path: list[str], value: Any, words: str
) -> None:
    with pytest.raises(AgreementError) as caught:
        agreement_from_document(_broken(agreement_document(template), path, value))
    assert words in str(caught.value)


# Coordinates with up to 9 decimals (sub-millimetre), as real data has.
coordinate = st.integers(-170 * 10**9, 170 * 10**9).map(lambda v: v / 10**9)
latitude = st.integers(-80 * 10**9, 80 * 10**9).map(lambda v: v / 10**9)
size = st.integers(10**6, 5 * 10**9).map(lambda v: v / 10**9)


@settings(max_examples=40, deadline=None)
@given(
    boxes=st.lists(st.tuples(coordinate, latitude, size, size), min_size=1, max_size=4),
    points=st.lists(st.tuples(coordinate, latitude), min_size=2, max_size=6, unique=True),
)
def test_any_geometry_round_trips_through_a_document(
    template: LoadedAgreement,
    boxes: list[tuple[float, float, float, float]],
    points: list[tuple[float, float]],
) -> None:
    area = shapely.union_all([box(x, y, x + w, min(y + h, 89)) for x, y, w, h in boxes])
    areas = MultiPolygon(list(shapely.get_parts(area)))
    line = MultiLineString([LineString(points)])
    loaded = replace(template, line=line, held_areas={"RU": areas})
    document = agreement_document(loaded)
    restored = agreement_from_document(json.loads(json.dumps(document)))
    assert agreement_document(restored) == document
    assert agreement_digest(restored) == agreement_digest(loaded)
    # Coordinates are rounded to 7 decimals: the area moves by at most that along the edges.
    moved = restored.held_areas["RU"].symmetric_difference(areas).area
    assert moved <= areas.length * 1e-7
