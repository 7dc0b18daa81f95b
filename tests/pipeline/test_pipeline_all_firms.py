"""Every real FIRMS file, through the command a user runs, into one store, twice."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from truceline.cli.app import app
from truceline.store import open_store

UNIQUE_HISTORY = 917_337  # 924,610 rows; 7,273 of 2022's are listed twice (5 and 6 decimals)
VIIRS_2025 = 8_960


def counts(output: str) -> list[tuple[int, int, int, int]]:
    """(read, new, already stored, rejected) of each file the ingest command reports."""
    found = re.findall(
        r"(\d+) read, (\d+) new, (\d+) already stored, (\d+) rejected", " ".join(output.split())
    )
    return [tuple(int(n) for n in row) for row in found]  # type: ignore[misc]


def test_all_of_firms_ingests_without_rejection_and_a_second_time_adds_nothing(
    tmp_path: Path, shared_data: Path
) -> None:
    files = sorted((shared_data / "firms").rglob("*.csv"))
    assert len(files) == 9 + 54
    db = tmp_path / "firms.sqlite"
    runner = CliRunner()

    first = runner.invoke(app, ["ingest", *map(str, files), "--db", str(db), "-q"])
    assert first.exit_code == 0, first.output
    rows = counts(first.output)
    assert len(rows) == len(files)
    assert all(rejected == 0 for *_, rejected in rows)
    assert sum(read for read, *_ in rows) == 924_610 + VIIRS_2025
    assert sum(new for _, new, _, _ in rows) == UNIQUE_HISTORY + VIIRS_2025
    with open_store(db) as store:
        assert store.observation_count() == UNIQUE_HISTORY + VIIRS_2025
        earliest = store.observations(ids=None, source_id="firms-archive", limit=1)
        assert earliest[0].observed_at.year == 2012

    second = runner.invoke(app, ["ingest", *map(str, files), "--db", str(db), "-q"])
    assert second.exit_code == 0, second.output
    assert all(new == 0 and rejected == 0 for _, new, _, rejected in counts(second.output))
    with open_store(db) as store:
        assert store.observation_count() == UNIQUE_HISTORY + VIIRS_2025
