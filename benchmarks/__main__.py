"""Run the benchmark suite and write `benchmarks/results.json`.

python -m benchmarks            # full sizes (10^6 points and observations; the pipeline at
                                # 10^5, 10^6 and 10^7 with the PostGIS baseline)
python -m benchmarks --smoke    # tiny sizes, to check that every benchmark runs
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import (
    bench_fusion,
    bench_pipeline,
    bench_quality,
    bench_simulate,
    bench_store,
    bench_thermal,
    bench_zones,
)

RESULTS = Path(__file__).with_name("results.json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, a few seconds")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON")
    args = parser.parse_args(argv)
    n = 2_000 if args.smoke else 1_000_000
    started = time.perf_counter()
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "make bench" if not args.smoke else "python -m benchmarks --smoke",
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "zones": bench_zones.run(n),
        "fusion": bench_fusion.run(n),
        "store": bench_store.run(n),
        "pipeline": bench_pipeline.run(
            bench_pipeline.SMOKE_SIZES if args.smoke else bench_pipeline.SIZES,
            postgis_sizes=bench_pipeline.SMOKE_SIZES[:1]
            if args.smoke
            else bench_pipeline.POSTGIS_SIZES,
            file_sizes=bench_pipeline.SMOKE_SIZES[:1] if args.smoke else bench_pipeline.FILE_SIZES,
            store_sample=1_000 if args.smoke else bench_pipeline.STORE_SAMPLE,
        ),
        "simulate": bench_simulate.run(args.smoke),
        "thermal": bench_thermal.run(args.smoke),
        "quality": bench_quality.run(args.smoke),
    }
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
