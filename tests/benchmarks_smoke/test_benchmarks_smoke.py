"""A small run of every benchmark, so that `make bench` cannot rot unnoticed.

The figures themselves come from `make bench`, never from a test.
"""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.__main__ import main


def test_every_benchmark_runs_and_writes_its_results(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    assert main(["--smoke", "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    assert results["zones"]["points"] == 2000
    assert results["zones"]["speedup"] > 0
    assert results["fusion"]["observations"] == 2000
    assert results["fusion"]["incidents"] > 0
    assert results["store"]["observations"] == 2000
    assert results["store"]["add_bulk_rows_per_second"] > 0
