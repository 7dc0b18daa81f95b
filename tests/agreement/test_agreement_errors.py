"""Malformed agreements: every error names the file, the line, the YAML path and the fix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from agreement_testdata import line_of, template_folder, variant

from truceline.agreement.loader import MAX_AGREEMENT_BYTES, load_agreement
from truceline.agreement.validation_messages import MAX_REPORTED
from truceline.errors import AgreementError


@pytest.fixture
def template(tmp_path: Path, shared_data: Path) -> Path:
    return template_folder(tmp_path, shared_data)


def refused(path: Path) -> str:
    with pytest.raises(AgreementError) as caught:
        load_agreement(path)
    return str(caught.value)


# (case, replacements, YAML path, text of the line the error is on, words of the message)
CASES: list[tuple[str, list[tuple[str, str]], str, str, str]] = [
    (
        "negative width",
        [("width_km: {UA: 35, RU: 35}", "width_km: {UA: -5, RU: 35}")],
        "zones.withdrawal_bands[1].width_km.UA",
        "width_km: {UA: -5",
        "input should be greater than 0 (got -5)",
    ),
    (
        "wrong type",
        [("min_confidence: 0.9", "min_confidence: high")],
        "clear_breach.min_confidence",
        "min_confidence: high",
        "valid number",
    ),
    (
        "unknown key",
        [("  min_severity: low\n", "  min_severity: low\n  min_sources: 3\n")],
        "clear_breach.min_sources",
        "min_sources: 3",
        "unknown key 'min_sources' (did you mean 'min_independent_sources'?)",
    ),
    (
        "unknown party in a zone",
        [("width_km: {UA: 2, RU: 2}", "width_km: {UA: 2, XX: 2}")],
        "zones.buffer.width_km.XX",
        "width_km: {UA: 2, XX: 2}",
        "unknown party 'XX'; expected one of ['UA', 'RU']",
    ),
    (
        "naive datetime",
        [("2015-02-15T00:00:00+02:00", "2015-02-15T00:00:00")],
        "effective_from",
        "effective_from: 2015-02-15T00:00:00",
        "timezone info",
    ),
    (
        "unknown zone in a rule",
        [("zones: [buffer]", "zones: [bufer]")],
        "prohibited_acts[2].zones",
        "zones: [bufer]",
        "unknown zone 'bufer'",
    ),
    (
        "unknown rule exempted",
        [("exempts: [CV-FIRE, DMZ-PRESENCE]", "exempts: [CV-FIRE, DMZ-PRESENSE]")],
        "permitted_activities[0].exempts",
        "exempts: [CV-FIRE, DMZ-PRESENSE]",
        "unknown prohibited act 'DMZ-PRESENSE'",
    ),
    (
        "unknown observation kind",
        [("kinds: [vessel]", "kinds: [boat]")],
        "prohibited_acts[4].kinds[0]",
        "kinds: [boat]",
        "(got 'boat')",
    ),
    (
        "unknown weapon class in a band",
        [("- weapon_class: mlrs\n", "- weapon_class: rockets\n")],
        "zones.withdrawal_bands[1].weapon_class",
        "- weapon_class: rockets",
        "unknown weapon class 'rockets'",
    ),
    (
        "party code YAML reads as a boolean",
        [("  - code: RU\n", "  - code: NO\n")],
        "parties[1].code",
        "- code: NO",
        "put the value in quotes",
    ),
    (
        "lower-case party code as a key",
        [("width_km: {UA: 2, RU: 2}", "width_km: {ua: 2, RU: 2}")],
        "zones.buffer.width_km",
        "width_km: {ua: 2, RU: 2}",
        "key 'ua': string should match pattern",
    ),
    (
        "party code YAML reads as a boolean, as a key",
        [("width_km: {UA: 2, RU: 2}", "width_km: {UA: 2, NO: 2}")],
        "zones.buffer.width_km",
        "width_km: {UA: 2, NO: 2}",
        "key False: input should be a valid string; YAML reads yes/no/on/off (and NO)",
    ),
    (
        "amendment of a later version",
        [("\nversion: 1 ", "\namends: 1\nversion: 1 ")],
        "amends",
        "amends: 1",
        "version 1 cannot amend version 1",
    ),
    (
        "missing field",
        [("  min_independent_sources: 2\n", "")],
        "clear_breach.min_independent_sources",
        "clear_breach:",
        "required, but missing",
    ),
    (
        "threshold out of range",
        [("min_confidence: 0.9", "min_confidence: 1.5")],
        "clear_breach.min_confidence",
        "min_confidence: 1.5",
        "less than or equal to 1 (got 1.5)",
    ),
    (
        "unknown format version",
        [("schema_version: 1 ", "schema_version: 2 ")],
        "schema_version",
        "schema_version: 2",
        "reads agreement format 1",
    ),
]


@pytest.mark.parametrize(
    ("replacements", "yaml_path", "line_text", "words"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_malformed_agreement_names_file_line_and_path(
    template: Path,
    replacements: list[tuple[str, str]],
    yaml_path: str,
    line_text: str,
    words: str,
) -> None:
    path = variant(template, "bad.yaml", *replacements)
    message = refused(path)
    expected_head = f"{path}, line {line_of(path, line_text)}, {yaml_path}: "
    assert expected_head in message
    assert words in message
    assert "\n" not in message


def test_yaml_syntax_error_gives_line_column_and_what_was_expected(template: Path) -> None:
    path = variant(template, "bad.yaml", ("  - code: RU\n", "  - code: RU\n   name [\n"))
    message = refused(path)
    assert message.startswith(f"{path}, line {line_of(path, '   name [')}, column ")
    assert "YAML syntax error" in message
    assert "expected" in message


def test_unclosed_flow_list_is_a_syntax_error(template: Path) -> None:
    path = variant(template, "bad.yaml", ("kinds: [vessel]", "kinds: [vessel"))
    message = refused(path)
    assert "YAML syntax error" in message
    assert "expected ',' or ']'" in message


def test_all_errors_are_reported_together(template: Path) -> None:
    path = variant(
        template,
        "bad.yaml",
        ("width_km: {UA: 35, RU: 35}", "width_km: {UA: -5, RU: 35}"),
        ("min_confidence: 0.9", "min_confidence: high"),
        ("  - code: RU\n", "  - code: RU\n    colour: red\n"),
    )
    lines = refused(path).splitlines()
    assert len(lines) == 3
    assert any("zones.withdrawal_bands[1].width_km.UA" in line for line in lines)
    assert any("clear_breach.min_confidence" in line for line in lines)
    assert any(f"line {line_of(path, 'colour: red')}, parties[1].colour" in x for x in lines)


def test_at_most_twenty_errors_are_listed(template: Path) -> None:
    bad_classes = "".join(
        f"  - code: class-{i}\n    description: bad\n    min_calibre_mm: -1\n" for i in range(25)
    )
    path = variant(template, "bad.yaml", ("weapon_classes:\n", f"weapon_classes:\n{bad_classes}"))
    lines = refused(path).splitlines()
    assert len(lines) == MAX_REPORTED + 1
    assert lines[-1].endswith("... and 5 more errors")
    assert (
        f"line {line_of(path, 'code: class-0') + 2}, weapon_classes[0].min_calibre_mm" in (lines[0])
    )


def test_cross_field_errors_each_get_their_own_line(template: Path) -> None:
    path = variant(
        template,
        "bad.yaml",
        ("zones: [buffer]", "zones: [bufer]"),
        ("rest_held_by: UA", "rest_held_by: XX"),
    )
    lines = refused(path).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{path}, line {line_of(path, 'rest_held_by: XX')}, ")
    assert "line.rest_held_by: unknown party 'XX'" in lines[0]
    assert f"line {line_of(path, 'zones: [bufer]')}, prohibited_acts[2].zones" in lines[1]


# (case, replacements, YAML path, text of the line the error is on, words of the message)
DUPLICATES: list[tuple[str, list[tuple[str, str]], str, str, str]] = [
    (
        "two bands for one weapon class",
        [("    - weapon_class: tanks\n", "    - weapon_class: mlrs  # again\n")],
        "zones.withdrawal_bands[3].weapon_class",
        "weapon_class: mlrs  # again",
        "weapon class 'mlrs' is already used by zones.withdrawal_bands[1]; give one band per",
    ),
    (
        "duplicate weapon class code",
        [
            (
                "    max_calibre_mm: 120\n",
                "    max_calibre_mm: 120\n  - code: tanks  # again\n    description: Tanks\n",
            )
        ],
        "weapon_classes[6].code",
        "code: tanks  # again",
        "code 'tanks' is already used by weapon_classes[3]; give each weapon class its own",
    ),
    (
        "duplicate exclusion id",
        [("    - id: azov-maritime\n", "    - id: znpp-no-fly  # again\n")],
        "zones.exclusions[1].id",
        "id: znpp-no-fly  # again",
        "zone id 'znpp-no-fly' is already used by zones.exclusions[0]",
    ),
    (
        "exclusion id 'anywhere'",
        [("    - id: znpp-no-fly\n", "    - id: anywhere\n")],
        "zones.exclusions[0].id",
        "id: anywhere",
        "'anywhere' is reserved",
    ),
    (
        "exclusion id 'withdrawal'",
        [("    - id: znpp-no-fly\n", "    - id: withdrawal\n")],
        "zones.exclusions[0].id",
        "id: withdrawal",
        "'withdrawal' is reserved",
    ),
    (
        "exclusion id 'buffer'",
        [("    - id: azov-maritime\n", "    - id: buffer\n")],
        "zones.exclusions[1].id",
        "id: buffer",
        "'buffer' is reserved",
    ),
    (
        "duplicate permitted activity",
        [("  - code: REPAIRS\n", "  - code: DEMINING  # again\n")],
        "permitted_activities[1].code",
        "code: DEMINING  # again",
        "code 'DEMINING' is already used by permitted_activities[0]",
    ),
    (
        "duplicate rule code",
        [("  - code: MEZ-SEA\n", "  - code: NFZ-AIR  # again\n")],
        "prohibited_acts[4].code",
        "code: NFZ-AIR  # again",
        "rule code 'NFZ-AIR' is already used by prohibited_acts[3]",
    ),
    (
        "minimum calibre above the maximum",
        [("    max_calibre_mm: 99\n", "    min_calibre_mm: 122\n    max_calibre_mm: 99\n")],
        "weapon_classes[4].min_calibre_mm",
        "min_calibre_mm: 122",
        "122 is more than max_calibre_mm 99",
    ),
]


@pytest.mark.parametrize(
    ("replacements", "yaml_path", "line_text", "words"),
    [case[1:] for case in DUPLICATES],
    ids=[case[0] for case in DUPLICATES],
)
def test_duplicate_and_reserved_codes_are_refused_at_their_line(
    template: Path,
    replacements: list[tuple[str, str]],
    yaml_path: str,
    line_text: str,
    words: str,
) -> None:
    path = variant(template, "bad.yaml", *replacements)
    lines = refused(path).splitlines()
    expected_head = f"{path}, line {line_of(path, line_text)}, {yaml_path}: "
    assert any(line.startswith(expected_head) and words in line for line in lines), lines


def test_cross_field_errors_are_reported_beside_field_errors(template: Path) -> None:
    path = variant(
        template,
        "bad.yaml",
        ("min_confidence: 0.9", "min_confidence: high"),
        ("width_km: {UA: 2, RU: 2}", "width_km: {UA: 2, XX: 2}"),
        ("  - code: REPAIRS\n", "  - code: DEMINING  # again\n"),
    )
    lines = refused(path).splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(
        f"{path}, line {line_of(path, 'min_confidence: high')}, clear_breach.min_confidence: "
    )
    assert lines[1] == (
        f"{path}, line {line_of(path, 'width_km: {UA: 2, XX: 2}')}, zones.buffer.width_km.XX: "
        "unknown party 'XX'; expected one of ['UA', 'RU']"
    )
    assert lines[2].startswith(
        f"{path}, line {line_of(path, 'DEMINING  # again')}, permitted_activities[1].code: "
    )


def test_cross_field_checks_skip_sections_that_are_invalid(template: Path) -> None:
    # With the parties invalid, a party code elsewhere cannot be judged unknown.
    path = variant(
        template,
        "bad.yaml",
        ("  - code: RU\n", "  - code: ru\n"),
        ("width_km: {UA: 2, RU: 2}", "width_km: {UA: 2, XX: 2}"),
    )
    lines = refused(path).splitlines()
    assert len(lines) == 1
    assert f"line {line_of(path, '- code: ru')}, parties[1].code: " in lines[0]


def test_duplicate_keys_are_refused(template: Path) -> None:
    path = variant(template, "bad.yaml", ("  min_severity: low\n", "  min_severity: low\n" * 2))
    message = refused(path)
    first = line_of(path, "min_severity: low")
    assert f"line {first + 1}: duplicate key 'min_severity' (first written at line {first})" in (
        message
    )


def test_aliases_are_refused_so_alias_bombs_cannot_explode(tmp_path: Path) -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(levels) + "\n", encoding="utf-8")
    message = refused(path)
    assert "aliases are not allowed" in message
    assert message.startswith(f"{path}, line 1:")


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("id: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    assert "nested more than 64 levels deep" in refused(path)


def test_file_over_ten_megabytes_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"#" * (MAX_AGREEMENT_BYTES + 1))
    assert f"more than the {MAX_AGREEMENT_BYTES} bytes" in refused(path)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"- a\n- b\n", "expected a mapping of agreement fields"),
        (b"", "got nothing"),
        (b"id: a\n---\nid: b\n", "expected a single document"),
        (b"id: \xff\xfe\n", "not UTF-8"),
    ],
    ids=["list", "empty", "two documents", "not utf-8"],
)
def test_files_that_are_not_one_agreement_mapping(
    tmp_path: Path, content: bytes, words: str
) -> None:
    path = tmp_path / "odd.yaml"
    path.write_bytes(content)
    message = refused(path)
    assert message.startswith(str(path))
    assert words in message


def test_missing_agreement_file(tmp_path: Path) -> None:
    assert "no such agreement file" in refused(tmp_path / "absent.yaml")


# Geometry files: (case, file name in the template to replace, content, YAML path, words)
GEOMETRY_CASES: list[tuple[str, str, Any, str, str]] = [
    (
        "point as the line",
        "line_of_contact.geojson",
        {"type": "Point", "coordinates": [37.0, 48.0]},
        "line.file",
        "found a Point; expected LineString or MultiLineString",
    ),
    (
        "line as a held area",
        "occupied.geojson",
        {
            "type": "Feature",
            "properties": {},
            "geometry": {"type": "LineString", "coordinates": [[37, 48], [38, 48]]},
        },
        "line.held_areas.RU",
        "geometry: found a LineString; expected Polygon or MultiPolygon",
    ),
    (
        "empty held area",
        "occupied.geojson",
        {"type": "FeatureCollection", "features": []},
        "line.held_areas.RU",
        "no geometry found; expected Polygon or MultiPolygon",
    ),
    (
        "empty polygon",
        "example_no_fly_zone.geojson",
        {"type": "Polygon", "coordinates": []},
        "zones.exclusions[0].file",
        "the area is empty",
    ),
    (
        "projected coordinates",
        "example_maritime_zone.geojson",
        {
            "type": "Polygon",
            "coordinates": [[[3.5e6, 5.0e6], [3.6e6, 5.0e6], [3.6e6, 5.1e6], [3.5e6, 5.0e6]]],
        },
        "zones.exclusions[1].file",
        "4 coordinates are not longitude/latitude",
    ),
    (
        "latitude out of range",
        "line_of_contact.geojson",
        {"type": "LineString", "coordinates": [[37.0, 48.0], [37.0, 91.0]]},
        "line.file",
        "latitude in [-90, 90]",
    ),
    (
        "feature without geometry",
        "occupied.geojson",
        {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": None}]},
        "line.held_areas.RU",
        "features[0]: the feature has no geometry",
    ),
    (
        "not json",
        "line_of_contact.geojson",
        '{"type": "LineString",',
        "line.file",
        "line 1, column 23: not valid JSON",
    ),
]


@pytest.mark.parametrize(
    ("file_name", "content", "yaml_path", "words"),
    [case[1:] for case in GEOMETRY_CASES],
    ids=[case[0] for case in GEOMETRY_CASES],
)
def test_bad_geometry_file_names_the_key_line_and_file(
    template: Path, file_name: str, content: Any, yaml_path: str, words: str
) -> None:
    geometry = template.parent / file_name
    geometry.write_text(content if isinstance(content, str) else json.dumps(content))
    message = refused(template)
    assert f"{template}, line {line_of(template, f': {file_name}')}, {yaml_path}: " in message
    assert str(geometry) in message
    assert words in message


def test_missing_geometry_file_names_the_key_and_the_path_tried(template: Path) -> None:
    path = variant(template, "bad.yaml", ("file: line_of_contact.geojson", "file: nowhere.geojson"))
    message = refused(path)
    assert f"line {line_of(path, 'nowhere.geojson')}, line.file: " in message
    tried = path.parent / "nowhere.geojson"
    assert f"geometry file 'nowhere.geojson' not found (tried {tried})" in message


def test_every_missing_geometry_file_is_reported(template: Path) -> None:
    (template.parent / "occupied.geojson").unlink()
    (template.parent / "example_maritime_zone.geojson").unlink()
    lines = refused(template).splitlines()
    assert [line.split(", ")[2].split(":")[0] for line in lines] == [
        "line.held_areas.RU",
        "zones.exclusions[1].file",
    ]


def test_invalid_polygon_is_repaired_and_a_large_change_is_noted(template: Path) -> None:
    bow_tie = {
        "type": "Polygon",
        "coordinates": [[[36.0, 46.0], [37.0, 47.0], [37.0, 46.0], [36.0, 47.0], [36.0, 46.0]]],
    }
    (template.parent / "example_maritime_zone.geojson").write_text(json.dumps(bow_tie))
    notices: list[str] = []
    loaded = load_agreement(template, notices=notices)
    assert loaded.exclusions["azov-maritime"].is_valid
    assert loaded.exclusions["azov-maritime"].area == pytest.approx(0.5)
    assert len(notices) == 1
    assert "zones.exclusions[1].file" in notices[0]
    assert "invalid polygon (Self-intersection" in notices[0]
