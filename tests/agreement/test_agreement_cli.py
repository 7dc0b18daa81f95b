"""The `agreement` commands: exit codes and what they print."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from agreement_testdata import occupied_file, outline_file, template_folder, variant
from typer.testing import CliRunner

from truceline.agreement.loader import agreement_digest, load_agreement
from truceline.cli.agreement import agreement_app

runner = CliRunner()


@pytest.fixture
def template(tmp_path: Path, shared_data: Path) -> Path:
    return template_folder(tmp_path / "agreement", shared_data)


def test_validate_prints_ok_with_counts(template: Path) -> None:
    result = runner.invoke(agreement_app, ["validate", str(template)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("OK minsk-ii-template version 1: 2 parties, line 1558.")
    assert "9 zones, 5 prohibited acts, 3 permitted activities, 3 response tiers" in result.stdout


def test_validate_prints_every_error_and_exits_1(template: Path) -> None:
    bad = variant(
        template,
        "bad.yaml",
        ("width_km: {UA: 35, RU: 35}", "width_km: {UA: -5, RU: 35}"),
        ("min_confidence: 0.9", "min_confidence: high"),
    )
    result = runner.invoke(agreement_app, ["validate", str(bad)])
    assert result.exit_code == 1
    assert result.stdout == ""
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 2
    assert "zones.withdrawal_bands[1].width_km.UA: input should be greater than 0" in errors[0]
    assert "Traceback" not in result.output


def test_validate_missing_file_exits_1(tmp_path: Path) -> None:
    result = runner.invoke(agreement_app, ["validate", str(tmp_path / "none.yaml")])
    assert result.exit_code == 1
    assert "no such agreement file" in result.stderr


def test_show_prints_tables_of_the_agreement(template: Path) -> None:
    result = runner.invoke(agreement_app, ["show", str(template)])
    assert result.exit_code == 0, result.output
    for text in (
        "minsk-ii-template version 1",
        "Armed Forces of Ukraine",
        "1558.1 km in 16 parts",
        "withdrawal:long-range-rockets",
        "UA 70 km, RU 70 km",
        "CV-FIRE",
        "DEMINING",
        "24 h",
        "confidence ≥ 0.9, ≥ 2 independent sources",
        "Joint statement",
        "72 h",
    ):
        assert text in result.stdout, text


def test_show_json_is_a_machine_readable_summary(template: Path) -> None:
    result = runner.invoke(agreement_app, ["show", str(template), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["digest"] == agreement_digest(load_agreement(template))
    assert summary["line"]["length_km"] == pytest.approx(1558.1, abs=0.2)
    assert [p["code"] for p in summary["parties"]] == ["UA", "RU"]
    assert [t["deadline_hours"] for t in summary["response_protocol"]] == [1, 24, 72]
    zones = {z["id"]: z for z in summary["zones"]}
    assert zones["withdrawal:mlrs"]["width_km"] == {"UA": 35, "RU": 35}
    assert zones["znpp-no-fly"]["area_km2"] == pytest.approx(2827, rel=0.01)


def test_derive_line_writes_a_feature_collection(tmp_path: Path, shared_data: Path) -> None:
    out = tmp_path / "line.geojson"
    result = runner.invoke(
        agreement_app,
        [
            "derive-line",
            str(occupied_file(shared_data)),
            "--land",
            str(outline_file(shared_data)),
            "--out",
            str(out),
            "--min-length-km",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    collection = json.loads(out.read_text())
    feature = collection["features"][0]
    assert feature["geometry"]["type"] == "MultiLineString"
    assert feature["properties"]["derived_from"] == "deepstate_occupied_20250901.geojson"
    assert feature["properties"]["min_length_km"] == 3
    assert 1600 < feature["properties"]["length_km"] < 1800
    assert f"wrote {out}: " in result.stderr


def test_derived_line_can_serve_as_the_agreements_line(
    tmp_path: Path, shared_data: Path, template: Path
) -> None:
    out = template.parent / "line_of_contact.geojson"
    args = ["derive-line", str(occupied_file(shared_data)), "--land"]
    result = runner.invoke(
        agreement_app, [*args, str(outline_file(shared_data)), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(agreement_app, ["validate", str(template)])
    assert result.exit_code == 0, result.output
    assert "line 1737." in result.stdout


def test_derive_line_prints_to_stdout_without_out(tmp_path: Path, shared_data: Path) -> None:
    result = runner.invoke(
        agreement_app,
        [
            "derive-line",
            str(occupied_file(shared_data)),
            "--land",
            str(outline_file(shared_data)),
            "--offshore-margin-km",
            "0",
        ],
    )
    assert result.exit_code == 0, result.output
    properties = json.loads(result.stdout)["features"][0]["properties"]
    assert properties["offshore_margin_km"] == 0
    assert properties["length_km"] > 3000  # the outline's sea then counts as held land


def test_derive_line_refuses_a_line_as_land(tmp_path: Path, shared_data: Path) -> None:
    not_land = tmp_path / "line.geojson"
    not_land.write_text(json.dumps({"type": "LineString", "coordinates": [[30, 48], [31, 48]]}))
    result = runner.invoke(
        agreement_app, ["derive-line", str(occupied_file(shared_data)), "--land", str(not_land)]
    )
    assert result.exit_code == 1
    assert f"land {not_land}: geometry: found a LineString" in result.stderr


def test_derive_line_without_front_exits_1_and_writes_nothing(
    tmp_path: Path, shared_data: Path
) -> None:
    far_away = tmp_path / "far.geojson"
    square = [[60, 10], [61, 10], [61, 11], [60, 11], [60, 10]]
    far_away.write_text(json.dumps({"type": "Polygon", "coordinates": [square]}))
    out = tmp_path / "line.geojson"
    result = runner.invoke(
        agreement_app,
        ["derive-line", str(far_away), "--land", str(outline_file(shared_data)), "--out", str(out)],
    )
    assert result.exit_code == 1
    assert "no front found" in result.stderr
    assert "--tolerance-km" in result.stderr
    assert not out.exists()


def test_amend_writes_the_next_version(template: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "versions"
    result = runner.invoke(
        agreement_app,
        [
            "amend",
            str(template),
            "--set",
            "clear_breach.min_confidence=0.95",
            "--set",
            "zones.buffer={width_km: {UA: 3, RU: 3}}",
            "--note",
            "Wider buffer, higher threshold",
            "--effective-from",
            "2015-03-01T00:00:00+02:00",
            "--out-dir",
            str(out_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    written = out_dir / "minsk-ii-template-v2.yaml"
    assert result.stdout.startswith(f"wrote {written}: minsk-ii-template version 2 (amends")
    amended = load_agreement(written).agreement
    assert amended.clear_breach.min_confidence == 0.95
    assert amended.clear_breach.min_independent_sources == 2
    assert amended.zones.buffer is not None
    assert amended.zones.buffer.width_km == {"UA": 3, "RU": 3}
    assert len(amended.zones.withdrawal_bands) == 6
    assert amended.amendment_note == "Wider buffer, higher threshold"
    assert load_agreement(template).agreement.version == 1


@pytest.mark.parametrize(
    ("setting", "when", "words"),
    [
        ("clear_breach.min_confidence=1.5", "2015-03-01T00:00:00Z", "less than or equal to 1"),
        ("clear_breach.min_confidence", "2015-03-01T00:00:00Z", "expected key=value"),
        ("version=3", "2015-03-01T00:00:00Z", "version cannot be changed"),
        ("title.sub=x", "2015-03-01T00:00:00Z", "'title' is not a mapping"),
        ("title=[unclosed", "2015-03-01T00:00:00Z", "YAML syntax error"),
        ("title=New", "2015-03-01T00:00:00", "has no UTC offset"),
        ("title=New", "next week", "expected an ISO 8601 time"),
    ],
    ids=["bad value", "no equals", "protected", "not a mapping", "bad yaml", "naive", "not a date"],
)
def test_amend_refuses_bad_requests(
    template: Path, tmp_path: Path, setting: str, when: str, words: str
) -> None:
    out_dir = tmp_path / "versions"
    result = runner.invoke(
        agreement_app,
        [
            "amend",
            str(template),
            "--set",
            setting,
            "--note",
            "n",
            "--effective-from",
            when,
            "--out-dir",
            str(out_dir),
        ],
    )
    assert result.exit_code == 1
    assert words in result.stderr
    assert not out_dir.exists()
