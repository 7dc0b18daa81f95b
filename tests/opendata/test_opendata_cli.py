"""`truceline export`: files written whole, editions, filters, and refusals with exit codes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import typer
from tests.opendata.opendata_support import Marked
from typer.testing import CliRunner

from truceline.cli.export import export

app = typer.Typer()
app.command()(export)


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_exports_the_public_edition_by_default(marked: Marked, tmp_path: Path) -> None:
    out = tmp_path / "incidents.geojson"
    code, output = _invoke(
        "--db", str(marked.path), "--what", "incidents", "--format", "geojson", "--out", str(out)
    )
    assert code == 0, output
    ids = {f["id"] for f in json.loads(out.read_text())["features"]}
    assert ids == marked.incidents("public")
    assert f"Wrote {len(ids)} incidents (public edition)" in output
    assert [p.name for p in tmp_path.iterdir()] == ["incidents.geojson"]  # no part file left


def test_restricted_edition_and_filters(marked: Marked, tmp_path: Path) -> None:
    out = tmp_path / "d.csv"
    code, output = _invoke(
        "--db",
        str(marked.path),
        "--what",
        "determinations",
        "-f",
        "csv",
        "--out",
        str(out),
        "--edition",
        "restricted",
        "--status",
        "suspected_breach",
    )
    assert code == 0, output
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    assert {r["status"] for r in rows} == {"suspected_breach"}
    assert {r["releasability"] for r in rows} == {"public", "cell+members:FR", "cell"}


def test_zones_as_geoparquet(marked: Marked, tmp_path: Path) -> None:
    out = tmp_path / "zones.parquet"
    code, output = _invoke(
        "--db", str(marked.path), "--what", "zones", "-f", "parquet", "--out", str(out)
    )
    assert code == 0, output
    table = pq.read_table(out)
    assert b"geo" in table.schema.metadata
    assert "buffer" in table.column("zone").to_pylist()


@pytest.mark.parametrize(
    ("extra", "code", "words"),
    [
        (["--what", "line", "--min-confidence", "0.5"], 1, "--min-confidence: filters incidents"),
        (["--what", "zones", "--start", "2025-09-01T00:00:00Z"], 1, "--start: the zones layer"),
        (["--what", "incidents", "--start", "2025-09-01T00:00:00"], 1, "no time zone"),
        (["--what", "incidents", "--bbox", "1,2,3"], 1, "--bbox: expected"),
        (["--what", "incidents", "--bbox", "10,50,5,60"], 1, "min_lon"),
        (["--what", "people"], 2, "people"),
    ],
)
def test_refusals_name_the_option(
    marked: Marked, tmp_path: Path, extra: list[str], code: int, words: str
) -> None:
    out = tmp_path / "x.geojson"
    found, output = _invoke("--db", str(marked.path), "-f", "geojson", "--out", str(out), *extra)
    assert found == code, output
    assert words in " ".join(output.split())
    assert not out.exists()


def test_a_missing_store_or_folder(tmp_path: Path, marked: Marked) -> None:
    code, output = _invoke(
        "--db", str(tmp_path / "typo.sqlite"), "--what", "line", "-f", "csv", "--out", "x.csv"
    )
    assert code == 3
    assert "no store" in output
    assert not (tmp_path / "typo.sqlite").exists()
    code, output = _invoke(
        "--db",
        str(marked.path),
        "--what",
        "line",
        "-f",
        "csv",
        "--out",
        str(tmp_path / "nowhere" / "x.csv"),
    )
    assert code == 1
    assert "does not exist" in output
