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
    pipeline = results["pipeline"]
    assert [size["observations"] for size in pipeline["sizes"]] == [2000, 4000]
    for size in pipeline["sizes"]:
        assert 0 < size["incidents"] <= size["observations"]
        assert size["fusion_and_adjudication_observations_per_s"] > 0
        assert size["peak_bytes_per_observation"] > 0
    assert pipeline["postgis"][0]["incidents"] > 0
    assert pipeline["sizes"][0]["postgis_speedup"] > 0
    assert pipeline["slope_fusion_and_adjudication"] > 0
    firms = pipeline["from_firms_files"][0]
    assert firms["rows"] == firms["accepted"] == 2000
    assert firms["read_rows_per_s"] > 0
    simulate = results["simulate"]["sizes"]
    assert [size["target_observations"] for size in simulate] == [1000, 10000]
    for size in simulate:
        assert 0.9 * size["target_observations"] <= size["observations"]
        assert size["observations"] <= 1.1 * size["target_observations"]
    thermal = results["thermal"]
    assert thermal["baseline_bytes"] > 0
    assert thermal["history_detections"] > 0
    assert thermal["replay_2025"]["detections"] > 0
    quality = results["quality"]
    assert quality["command"].endswith("--smoke")
    assert 0.0 <= quality["quality"]["clear"]["precision"] <= 1.0
    assert quality["quality"]["background"]["events"] > 0
