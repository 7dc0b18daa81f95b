"""The `truceline` command as a user meets it: real files, a real store, exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import truceline.agreement
from truceline.cli.app import app

EXAMPLES = Path(truceline.agreement.__file__).parent / "examples"
runner = CliRunner()


def invoke(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    code, output = invoke("demo", "--db", db, "--days", "2", "--seed", "5")
    assert code == 0, output
    assert "Determinations per rule and party" in output
    assert "Clear breaches" in output
    return db


@pytest.fixture(scope="module")
def ukraine_agreement(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """The Minsk II template set up on the real line of contact of 1 September 2025."""
    folder = tmp_path_factory.mktemp("agreement")
    for example in EXAMPLES.iterdir():
        shutil.copyfile(example, folder / example.name)
    contact = shared_data / "contact_line"
    shutil.copyfile(
        contact / "line_of_contact_20250901.geojson", folder / "line_of_contact.geojson"
    )
    shutil.copyfile(contact / "deepstate_occupied_20250901.geojson", folder / "occupied.geojson")
    return folder / "minsk_ii_template.yaml"


def test_demo_refuses_to_overwrite_a_store_without_being_asked(demo_db: Path) -> None:
    code, output = invoke("demo", "--db", demo_db, "--days", "1")
    assert code == 1
    assert "--overwrite" in output


def test_clear_breaches_list_as_json_and_geojson(demo_db: Path) -> None:
    code, output = invoke("determinations", "list", "--db", demo_db, "--clear", "-f", "json")
    assert code == 0, output
    clear = json.loads(output)
    assert clear
    assert all(d["status"] == "clear_breach" for d in clear)
    code, output = invoke("determinations", "list", "--db", demo_db, "--clear", "-f", "geojson")
    assert code == 0, output
    collection = json.loads(output)
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == len(clear)
    lon, lat = collection["features"][0]["geometry"]["coordinates"]
    assert -180 <= lon <= 180
    assert -90 <= lat <= 90


def test_filters_by_rule_party_and_zone(demo_db: Path) -> None:
    def listed(*filters: str) -> list[dict[str, object]]:
        code, output = invoke("determinations", "list", "--db", demo_db, "-f", "json", *filters)
        assert code == 0, output
        result: list[dict[str, object]] = json.loads(output)
        return result

    fire = listed("--rule", "CV-FIRE")
    assert fire
    assert all("CV-FIRE" in d["rules"] for d in fire)
    red = listed("--party", "RED")
    assert red
    assert all("RED" in (d["side"], d["attributed_to"]) for d in red)
    buffer = listed("--zone", "buffer")
    assert buffer
    assert all("buffer" in d["zones"] for d in buffer)
    assert len(listed("--status", "deconflicted")) > 0


def test_show_a_determination_and_its_incident(demo_db: Path) -> None:
    code, output = invoke("determinations", "list", "--db", demo_db, "--clear", "-f", "json")
    first = json.loads(output)[0]
    code, output = invoke("determinations", "show", first["id"], "--db", demo_db)
    assert code == 0, output
    assert "meets the clear-breach threshold" in flat(output)
    code, output = invoke("incidents", "show", first["incident_id"], "--db", demo_db)
    assert code == 0, output
    assert first["incident_id"] in output
    assert first["id"] in output  # its determination, with the explanation
    assert "clear breach" in flat(output)


def flat(text: str) -> str:
    """Output with rich's line wrapping undone."""
    return " ".join(text.split())


def test_unknown_ids_and_bad_options_say_what_to_do(demo_db: Path, tmp_path: Path) -> None:
    code, output = invoke("incidents", "show", "inc-nope", "--db", demo_db)
    assert code == 1
    assert "truceline incidents list" in flat(output)
    code, output = invoke("incidents", "list", "--db", demo_db, "--start", "2025-09-01T00:00")
    assert code == 1
    assert "time zone" in output
    code, output = invoke("incidents", "list", "--db", demo_db, "--bbox", "1,2,3")
    assert code == 1
    assert "--bbox" in output
    not_a_store = tmp_path / "notes.sqlite"
    not_a_store.write_text("these are notes, not a database\n" * 100)
    code, output = invoke("incidents", "list", "--db", not_a_store)
    assert code == 3, output


def test_real_firms_detections_against_the_real_line(
    tmp_path: Path, shared_data: Path, ukraine_agreement: Path
) -> None:
    db = tmp_path / "ua.sqlite"
    files = sorted((shared_data / "firms" / "viirs_noaa20_2025").glob("*.csv"))[:7]
    code, output = invoke("run", *files, "--agreement", ukraine_agreement, "--db", db, "-q")
    assert code == 0, output
    assert "0 rejected" in output
    code, output = invoke("determinations", "list", "--db", db, "-f", "json")
    determinations = json.loads(output)
    assert determinations
    # Satellite heat alone is evidence of fire, not of a breach: no rule of the agreement
    # is met by thermal anomalies alone, and no single source makes a clear breach.
    assert not [d for d in determinations if d["status"] == "clear_breach"]
    sides = {d["side"] for d in determinations}
    assert sides == {"UA", "RU"}
    near = [d for d in determinations if d["distance_to_line_m"] < 2_000]
    assert all("buffer" in d["zones"] for d in near)


def test_ingest_reports_bad_rows_and_strict_refuses_them(tmp_path: Path) -> None:
    db = tmp_path / "ingest.sqlite"
    csv = tmp_path / "fires.csv"
    csv.write_text(
        "latitude,longitude,acq_date\n"
        "47.1,37.6,2025-09-01\n"
        "91.5,37.6,2025-09-01\n"
        "47.2,37.7,2025-02-30\n"
        "47.3,37.8,2025-09-02\n"
    )
    code, output = invoke("ingest", csv, "--db", db, "--strict", "-q")
    assert code == 1
    code, output = invoke("ingest", csv, "--db", db, "-q")
    assert code == 0, output
    assert "2 new" in flat(output)
    assert "2 rejected" in flat(output)
    assert "latitude" in flat(output)
    assert "line 3" in flat(output)
    code, output = invoke("ingest", csv, "--db", db, "-q")
    assert "0 new" in flat(output)


def test_prenotify_records_a_notice_and_warns_when_late(
    tmp_path: Path, ukraine_agreement: Path
) -> None:
    db = tmp_path / "notice.sqlite"
    area = tmp_path / "area.geojson"
    area.write_text(
        json.dumps(
            {
                "type": "Polygon",
                "coordinates": [
                    [[37.5, 48.5], [37.6, 48.5], [37.6, 48.6], [37.5, 48.6], [37.5, 48.5]]
                ],
            }
        )
    )
    common = ("--party", "UA", "--activity", "DEMINING", "--area", area, "--db", db)
    code, output = invoke(
        "prenotify",
        *common,
        "--agreement",
        ukraine_agreement,
        "--start",
        "2025-09-03T06:00:00Z",
        "--end",
        "2025-09-03T18:00:00Z",
        "--notified-at",
        "2025-09-01T06:00:00Z",
    )
    assert code == 0, output
    assert "recorded" in output
    assert "warning" not in output
    code, output = invoke(
        "prenotify",
        *common,
        "--start",
        "2025-09-03T06:00:00Z",
        "--end",
        "2025-09-03T18:00:00Z",
        "--notified-at",
        "2025-09-03T05:00:00Z",
        "--id",
        "late-1",
    )
    assert code == 0, output
    assert "warning" in output
    assert "covers nothing" in flat(output)
    code, output = invoke(
        "prenotify",
        *common,
        "--activity",
        "PARADE",
        "--start",
        "2025-09-03T06:00:00Z",
        "--end",
        "2025-09-03T18:00:00Z",
    )
    assert code != 0


def test_demo_runs_on_a_real_agreement_with_a_land_outline(
    tmp_path: Path, shared_data: Path, ukraine_agreement: Path
) -> None:
    db = tmp_path / "ua-demo.sqlite"
    outline = shared_data / "boundaries" / "ukraine_outline.geojson"
    code, output = invoke(
        "demo", "--db", db, "--agreement", ukraine_agreement, "--land", outline, "--days", "1"
    )
    assert code == 0, output
    assert "minsk-ii-template v1" in flat(output)
    code, output = invoke("determinations", "list", "--db", db, "--clear", "-f", "geojson")
    assert code == 0, output
    features = json.loads(output)["features"]
    assert features
    assert {f["properties"]["attributed_to"] for f in features} <= {"UA", "RU", None}
    for feature in features:
        lon, lat = feature["geometry"]["coordinates"]
        assert 22 < lon < 41
        assert 44 < lat < 53


def test_prenotify_keeps_every_part_of_a_multi_part_area(
    tmp_path: Path, ukraine_agreement: Path
) -> None:
    from truceline.store import open_store

    def square(lon: float, lat: float) -> dict[str, object]:
        ring = [[lon, lat], [lon + 0.1, lat], [lon + 0.1, lat + 0.1], [lon, lat + 0.1], [lon, lat]]
        return {
            "type": "Feature",
            "properties": {},
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        }

    area = tmp_path / "two-sites.geojson"
    collection = {"type": "FeatureCollection", "features": [square(37.0, 48.0), square(38.0, 48.5)]}
    area.write_text(json.dumps(collection))
    db = tmp_path / "parts.sqlite"
    code, output = invoke(
        "prenotify",
        "--party",
        "UA",
        "--activity",
        "DEMINING",
        "--area",
        area,
        "--db",
        db,
        "--agreement",
        ukraine_agreement,
        "--start",
        "2025-09-03T06:00:00Z",
        "--end",
        "2025-09-03T18:00:00Z",
        "--notified-at",
        "2025-09-01T06:00:00Z",
    )
    assert code == 0, output
    with open_store(db) as store:
        (notice,) = store.prenotifications()
    assert notice.area["type"] == "MultiPolygon"
    assert len(notice.area["coordinates"]) == 2

    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "Polygon", "coordinates": [[[37, 48], [37.1, 48]')
    code, output = invoke(
        "prenotify",
        "--party",
        "UA",
        "--activity",
        "DEMINING",
        "--area",
        broken,
        "--db",
        db,
        "--start",
        "2025-09-03T06:00:00Z",
        "--end",
        "2025-09-03T18:00:00Z",
    )
    assert code == 1
    assert "--area" in output


def test_read_commands_do_not_create_a_store_for_a_mistyped_path(tmp_path: Path) -> None:
    typo = tmp_path / "typo.sqlite"
    for command in (["determinations", "list"], ["incidents", "list"], ["fuse"]):
        code, output = invoke(*command, "--db", typo)
        assert code == 3, output
        assert "no store" in flat(output)
    assert not typo.exists()


def test_after_an_amendment_lists_show_the_version_in_force(tmp_path: Path, demo_db: Path) -> None:
    from datetime import timedelta

    from truceline.agreement.loader import amend_agreement
    from truceline.store import open_store

    db = tmp_path / "amended.sqlite"
    shutil.copyfile(demo_db, db)
    with open_store(db) as store:
        v1 = store.agreement()
        stricter = v1.agreement.clear_breach.model_dump() | {"min_independent_sources": 3}
        v2 = amend_agreement(
            v1,
            changes={"clear_breach": stricter},
            note="three independent sources for a clear breach",
            effective_from=v1.agreement.effective_from + timedelta(days=1),
        )
        store.add_agreement(v2)
    code, output = invoke("adjudicate", "--db", db)
    assert code == 0, output

    def listed(*options: str) -> list[dict[str, object]]:
        code, output = invoke("determinations", "list", "--db", db, "-f", "json", *options)
        assert code == 0, output
        result: list[dict[str, object]] = json.loads(output)
        return result

    latest, first, every = listed(), listed("--agreement-version", "1"), listed("--all-versions")
    assert {d["agreement_version"] for d in latest} == {2}
    assert {d["agreement_version"] for d in first} == {1}
    assert len(every) == len(latest) + len(first)
    assert len(listed("--clear")) < len(listed("--clear", "--agreement-version", "1"))


def test_show_takes_an_incident_id_and_json(demo_db: Path) -> None:
    code, output = invoke("incidents", "list", "--db", demo_db, "-f", "json", "--limit", "1")
    (incident,) = json.loads(output)
    code, output = invoke("determinations", "show", incident["id"], "--db", demo_db, "-f", "json")
    assert code == 0, output
    (determination,) = json.loads(output)
    assert determination["incident_id"] == incident["id"]
    code, output = invoke("incidents", "show", incident["id"], "--db", demo_db, "-f", "json")
    assert code == 0, output
    document = json.loads(output)
    assert document["incident"]["id"] == incident["id"]
    assert len(document["observations"]) == len(incident["observation_ids"])
    assert document["determinations"][0]["id"] == determination["id"]


def test_a_refused_file_does_not_stop_the_others(tmp_path: Path) -> None:
    db = tmp_path / "mixed.sqlite"
    good = tmp_path / "good.csv"
    good.write_text("latitude,longitude,acq_date\n47.1,37.6,2025-09-01\n")
    odd = tmp_path / "odd.txt"
    odd.write_text("this is not a feed\n")
    code, output = invoke("ingest", odd, good, "--db", db, "-q")
    assert code == 1
    assert "1 new" in flat(output)
    assert "1 of 2 files refused: odd.txt" in flat(output)
