"""End-to-end speed and memory at 10^5, 10^6 and 10^7 observations, with a PostGIS baseline.

    python -m benchmarks.bench_pipeline [n ...]

End to end here means, from the in-memory columnar batch (an `ObservationTable`, as a
columnar feed or the columnar readers deliver it):

1. fusion: `fuse_table` (linking, grouping, aggregation of every incident);
2. adjudication: `judge_table`, every incident judged against the agreement (side,
   distances, zones, rules, attribution, severity, clear breach); the Determination
   objects, with their explanations, are written for the incidents the Adjudicator judges
   in full (those that may meet a rule through the weapon or a party, or that a notice
   may matter to), the others on demand;
3. the store write (SQLite, as the store is today): timed on a sample of observations and
   their incidents, and scaled linearly to n (the store takes objects, so building them is
   part of its cost).

From files (at `FILE_SIZES`): the same observations written as a NASA FIRMS CSV (one
detection a row), read by the columnar reader (`read_firms_table`), fused and judged; the
row adapter and the columnar reader are also timed on the same first 100,000 rows.

The data are generated once per size, before anything is timed (generation is not part of
the throughput), and saved; each size then runs in a subprocess of its own, so that peak
memory is per size. Memory: peak resident set (`ru_maxrss`) and resident set after the
run, less the resident set before the table was loaded, per observation. The slope of
log(time) against log(n) over the sizes tells how cost grows (1 is linear).

The agreement is the real line of contact of 1 September 2025 with a 2 km buffer and the
Minsk II withdrawal bands, and Minsk-style rules (fire anywhere, presence in the buffer,
heavy weapons in their band). Observations are `bench_fusion.synthetic_table`: events
along a 1,500 km front seen by a mix of sensors with the simulator's uncertainties, and
background fires, over a month per million observations (the density stays that of
`bench_fusion`; 10^7 observations cover 300 days).

The baseline (`bench_postgis`) does the same fusion and zone classification in PostGIS on
the local PostgreSQL, at the sizes it finishes in reasonable time.
"""

from __future__ import annotations

import ctypes
import gc
import json
import math
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import bench_postgis
from benchmarks.bench_fusion import synthetic_table
from benchmarks.bench_zones import HELD_FILE, LINE_FILE, MINSK_BANDS_KM, _geometry
from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.model import Agreement
from truceline.observations.table import ObservationTable

SIZES = (100_000, 1_000_000, 10_000_000)
SMOKE_SIZES = (2_000, 4_000)
POSTGIS_SIZES = (100_000, 1_000_000)
"""Sizes the PostGIS baseline runs at (it takes minutes at 10^6; hours beyond)."""
FILE_SIZES = (100_000, 1_000_000)
"""Sizes of the FIRMS file read end to end (the reader holds the whole file's text)."""
ROW_SAMPLE = 100_000
"""Rows read with the row adapter and the columnar reader alike, for the ratio."""
FILE_RECEIVED = datetime(2030, 1, 1, tzinfo=UTC)
STORE_SAMPLE = 100_000
"""Observations written to SQLite to time the store (the rate is scaled to n)."""
BUFFER_KM = 2.0
DAYS_PER_MILLION = 30
"""The feed grows in time, not in density: 10^7 observations cover 300 days of the front."""
_VOCABULARIES = ("sources", "groups", "parties", "weapon_classes")


def pipeline_agreement() -> LoadedAgreement:
    """The real line of 2025-09-01, a 2 km buffer, the Minsk II bands and Minsk-style rules."""
    per_side = {code: {"UA": km, "RU": km} for code, km in MINSK_BANDS_KM.items()}
    agreement = Agreement.model_validate(
        {
            "id": "bench-pipeline",
            "version": 1,
            "title": "Benchmark theatre",
            "effective_from": datetime(2026, 1, 6, tzinfo=UTC),
            "parties": [
                {"code": "UA", "name": "Armed Forces of Ukraine"},
                {"code": "RU", "name": "Armed Forces of the Russian Federation"},
            ],
            "line": {
                "file": LINE_FILE.name,
                "held_areas": {"RU": HELD_FILE.name},
                "rest_held_by": "UA",
            },
            "weapon_classes": [{"code": c, "description": c} for c in MINSK_BANDS_KM],
            "zones": {
                "buffer": {"width_km": {"UA": BUFFER_KM, "RU": BUFFER_KM}},
                "withdrawal_bands": [
                    {"weapon_class": c, "width_km": w} for c, w in per_side.items()
                ],
            },
            "prohibited_acts": [
                {
                    "code": "CV-FIRE",
                    "title": "Fire",
                    "description": "Any fire, wherever it happens.",
                    "kinds": ["explosion", "impact", "launch", "small_arms_fire"],
                    "severity": "high",
                },
                {
                    "code": "HW-WITHDRAWAL",
                    "title": "Heavy weapon inside its withdrawal band",
                    "description": "A weapon inside the band of its class.",
                    "kinds": ["weapon_sighting"],
                    "zones": ["withdrawal"],
                    "severity": "high",
                },
                {
                    "code": "DMZ-PRESENCE",
                    "title": "Armed presence in the buffer",
                    "description": "Armed personnel, weapons or movement in the buffer.",
                    "kinds": ["armed_presence", "weapon_sighting", "movement"],
                    "zones": ["buffer"],
                    "domains": ["land"],
                    "severity": "medium",
                },
            ],
            "clear_breach": {"min_confidence": 0.9, "min_independent_sources": 2},
        }
    )
    held = _geometry(HELD_FILE)
    return LoadedAgreement(agreement, line=_geometry(LINE_FILE), held_areas={"RU": held})


def save_table(table: ObservationTable, path: Path) -> None:
    """Write a table's columns and vocabularies to one .npz file."""
    columns: dict[str, Any] = {
        name: value for name, value in vars(table).items() if isinstance(value, np.ndarray)
    }
    for name in _VOCABULARIES:
        columns[name] = np.array(getattr(table, name), dtype=str)
    np.savez(path, **columns)


def load_table(path: Path) -> ObservationTable:
    """The table saved by `save_table`."""
    with np.load(path) as data:
        values: dict[str, Any] = {name: data[name] for name in data.files}
    for name in _VOCABULARIES:
        values[name] = tuple(values[name].tolist())
    return ObservationTable(**values)


def _status_bytes_of(path: str, field: str) -> int:
    """A size in kB from a /proc file, in bytes."""
    with open(path, encoding="ascii") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"{path} has no {field}; memory is measured on Linux only")


def _status_bytes(field: str) -> int:
    """A size from /proc/self/status (VmRSS: now, VmHWM: peak since the last reset)."""
    return _status_bytes_of("/proc/self/status", field)


def _fresh_baseline() -> int:
    """Give freed memory back to the system and restart the peak count; the resident set
    then. Memory is measured from here, so what was built before (the theatre) is not
    counted."""
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
        handle.write("5")
    return _status_bytes("VmRSS")


def measure(path: Path, store_sample: int = STORE_SAMPLE) -> dict[str, float]:
    """One size, in this process: the stages' times, throughput and memory."""
    from truceline.adjudication.adjudicator import Adjudicator
    from truceline.adjudication.batch import judge_table
    from truceline.fusion.aggregate import fuse_table
    from truceline.geometry.theatre import Theatre
    from truceline.sources.registry import SourceRegistry

    loaded = pipeline_agreement()
    started = time.perf_counter()
    theatre = Theatre(loaded)
    theatre_s = time.perf_counter() - started
    adjudicator = Adjudicator(loaded, theatre, SourceRegistry())
    before = _fresh_baseline()
    table = load_table(path)
    n = len(table)
    loaded_rss = _status_bytes("VmRSS")

    started = time.perf_counter()
    result = fuse_table(table)
    fusion_s = time.perf_counter() - started
    started = time.perf_counter()
    judged = judge_table(adjudicator, table, result)
    adjudication_s = time.perf_counter() - started
    peak = _status_bytes("VmHWM") - before
    held = _status_bytes("VmRSS") - before
    store = _store(table, result, min(n, store_sample))
    store_s = store["seconds_per_observation"] * n
    analysis_s = fusion_s + adjudication_s
    statuses = np.bincount(judged.status, minlength=4)
    return {
        "observations": float(n),
        "incidents": float(result.n_incidents),
        "judged_in_full": float(len(judged.detailed)),
        "breaches": float(statuses[0] + statuses[1]),
        "clear_breaches": float(statuses[0]),
        "theatre_build_s": round(theatre_s, 3),
        "fusion_s": round(fusion_s, 3),
        "adjudication_s": round(adjudication_s, 3),
        "fusion_and_adjudication_s": round(analysis_s, 3),
        "fusion_and_adjudication_observations_per_s": round(n / analysis_s),
        "store_sample": float(store["sample"]),
        "store_observations_per_s": round(1.0 / store["seconds_per_observation"]),
        "store_s_scaled": round(store_s, 3),
        "total_with_store_s": round(analysis_s + store_s, 3),
        "total_with_store_observations_per_s": round(n / (analysis_s + store_s)),
        "table_bytes_per_observation": round((loaded_rss - before) / n, 1),
        "peak_bytes_per_observation": round(peak / n, 1),
        "held_bytes_per_observation": round(held / n, 1),
    }


def measure_file(path: Path, row_sample: int = ROW_SAMPLE) -> dict[str, float]:
    """One FIRMS file, in this process: columnar read, fusion, adjudication, memory; and the
    row adapter's rate on the first `row_sample` rows, for comparison."""
    from truceline.adjudication.adjudicator import Adjudicator
    from truceline.adjudication.batch import judge_table
    from truceline.fusion.aggregate import fuse_table
    from truceline.geometry.theatre import Theatre
    from truceline.sources.columnar import read_firms_table
    from truceline.sources.firms import FirmsAdapter
    from truceline.sources.registry import SourceRegistry

    loaded = pipeline_agreement()
    adjudicator = Adjudicator(loaded, Theatre(loaded), SourceRegistry())
    registry = SourceRegistry()
    before = _fresh_baseline()
    started = time.perf_counter()
    read = read_firms_table(path, registry, received_at=FILE_RECEIVED)
    read_s = time.perf_counter() - started
    table = read.table
    n = read.rows_read
    started = time.perf_counter()
    result = fuse_table(table)
    fusion_s = time.perf_counter() - started
    started = time.perf_counter()
    judge_table(adjudicator, table, result)
    adjudication_s = time.perf_counter() - started
    peak = _status_bytes("VmHWM") - before
    with path.open(encoding="utf-8") as handle:
        head = [next(handle) for _ in range(min(n, row_sample) + 1)]
    sample = path.with_name("sample.csv")
    sample.write_text("".join(head), encoding="utf-8")
    started = time.perf_counter()
    rows = sum(1 for _ in FirmsAdapter(registry).read(sample, received_at=FILE_RECEIVED))
    row_s = time.perf_counter() - started
    started = time.perf_counter()
    read_firms_table(sample, registry, received_at=FILE_RECEIVED)
    columnar_sample_s = time.perf_counter() - started
    sample.unlink()
    total = read_s + fusion_s + adjudication_s
    return {
        "rows": float(n),
        "accepted": float(read.accepted),
        "rejected": float(len(read.rejections)),
        "incidents": float(result.n_incidents),
        "read_s": round(read_s, 3),
        "read_rows_per_s": round(n / read_s),
        "sample_rows": float(rows),
        "row_adapter_rows_per_s_on_sample": round(rows / row_s),
        "columnar_rows_per_s_on_sample": round(rows / columnar_sample_s),
        "fusion_s": round(fusion_s, 3),
        "adjudication_s": round(adjudication_s, 3),
        "total_s": round(total, 3),
        "total_rows_per_s": round(n / total),
        "peak_bytes_per_row": round(peak / n, 1),
    }


def write_firms(table: ObservationTable, path: Path) -> None:
    """The table's positions and times as a NASA FIRMS VIIRS file (one detection a row)."""
    moments = table.t.astype("datetime64[s]")
    day = np.datetime_as_string(moments, unit="D")
    clock = np.datetime_as_string(moments, unit="m")
    rng = np.random.default_rng(len(table))
    frp = rng.gamma(1.5, 3.0, len(table))
    satellites = np.array(["N20", "N"])[rng.integers(0, 2, len(table))]
    with path.open("w", encoding="utf-8") as handle:
        handle.write(
            "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,confidence,"
            "version,bright_ti5,frp,daynight\n"
        )
        for lo in range(0, len(table), 200_000):
            hi = min(lo + 200_000, len(table))
            handle.writelines(
                f"{la:.5f},{lo_:.5f},330.5,0.39,0.36,{d},{c[11:13]}{c[14:16]},{s},nominal,"
                f"2.0NRT,290.1,{f:.2f},N\n"
                for la, lo_, d, c, s, f in zip(
                    table.lat[lo:hi].tolist(),
                    table.lon[lo:hi].tolist(),
                    day[lo:hi].tolist(),
                    clock[lo:hi].tolist(),
                    satellites[lo:hi].tolist(),
                    frp[lo:hi].tolist(),
                    strict=True,
                )
            )


def _store(table: ObservationTable, result: Any, sample: int) -> dict[str, float]:
    """Seconds per observation to write `sample` observations and their incidents to a new
    SQLite store, objects built from the columns included."""
    from truceline.fusion.build import build_incidents
    from truceline.observations.model import Credibility, Observation, Reliability
    from truceline.observations.table import DOMAINS, GRADES, KINDS
    from truceline.store import open_store

    rows = np.arange(sample)
    incidents_of_sample = np.unique(result.labels[rows])
    received = datetime(2026, 3, 15, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as folder, open_store(Path(folder) / "s.sqlite") as store:
        started = time.perf_counter()
        ids = table.ids[rows].tolist()
        times = table.t[rows].tolist()
        observations = [
            Observation(
                id=ids[i],
                source_id=table.sources[int(table.source[i])],
                source_ref=ids[i],
                observed_at=datetime.fromtimestamp(times[i], UTC),
                time_uncertainty_s=float(table.time_unc[i]),
                received_at=received,
                lon=float(table.lon[i]),
                lat=float(table.lat[i]),
                location_uncertainty_m=float(table.loc_unc[i]),
                domain=DOMAINS[int(table.domain[i])],
                kind=KINDS[int(table.kind[i])],
                reliability=Reliability(GRADES[int(table.grade[i])][0]),
                credibility=Credibility(int(GRADES[int(table.grade[i])][1])),
            )
            for i in range(sample)
        ]
        store.add_observations(observations)
        incidents = build_incidents(table, result, incidents_of_sample)
        store.replace_incidents([], incidents)
        seconds = time.perf_counter() - started
    return {"sample": float(sample), "seconds_per_observation": seconds / max(sample, 1)}


def slope(sizes: list[float], seconds: list[float]) -> float:
    """Least-squares slope of log(seconds) against log(size)."""
    if len(sizes) < 2:
        return math.nan
    fit = np.polyfit(np.log(sizes), np.log(seconds), 1)
    return round(float(fit[0]), 3)


def days_for(n: int) -> int:
    """Days of the synthetic feed for n observations: a month per million, so that the
    density of observations in space and time stays that of `bench_fusion`."""
    return max(1, round(DAYS_PER_MILLION * n / 1_000_000))


def _generate(n: int, seed: int, folder: Path) -> Path:
    path = folder / f"table-{n}-{seed}.npz"
    if not path.exists():
        save_table(synthetic_table(n, seed, days_for(n)), path)
    return path


def _child(path: Path, sample: int, mode: str = "--child") -> dict[str, float]:
    """Run `measure` (or, with --child-file, `measure_file`) in a fresh interpreter, so that
    peak memory is this size's alone."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_pipeline", mode, str(path), str(sample)],
        check=False,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    if done.returncode != 0:
        # One size failing (e.g. out of memory on a shared machine) must not lose the others.
        tail = (done.stderr or "").strip().splitlines()[-3:]
        print(f"{mode} {path.name} failed ({done.returncode}): {' | '.join(tail)}", file=sys.stderr)
        return {"failed": 1.0, "returncode": float(done.returncode)}
    measured: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return measured


def run(
    sizes: tuple[int, ...] = SIZES,
    *,
    postgis_sizes: tuple[int, ...] = POSTGIS_SIZES,
    file_sizes: tuple[int, ...] = FILE_SIZES,
    seed: int = 0,
    store_sample: int = STORE_SAMPLE,
) -> dict[str, Any]:
    """Every size in its own subprocess, the PostGIS baseline at `postgis_sizes`, ratios
    and log-log slopes."""
    per_size: list[dict[str, float]] = []
    baseline: list[dict[str, float]] = []
    skipped: list[dict[str, float]] = []
    files: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        for n in sizes:
            if per_size:
                # Peak memory grows with n: a size the machine cannot hold is not started.
                needed = per_size[-1]["peak_bytes_per_observation"] * n * 1.25
                available = _status_bytes_of("/proc/meminfo", "MemAvailable")
                if needed > available:
                    skipped.append(
                        {
                            "observations": float(n),
                            "needed_bytes": round(needed),
                            "available_bytes": float(available),
                        }
                    )
                    continue
            started = time.perf_counter()
            path = _generate(n, seed, folder)
            generated_s = time.perf_counter() - started
            measured = _child(path, store_sample)
            if "failed" in measured:
                skipped.append({"observations": float(n), **measured})
                path.unlink()
                continue
            measured["generation_s"] = round(generated_s, 3)
            if n in file_sizes:
                firms = folder / f"firms-{n}.csv"
                write_firms(load_table(path), firms)
                files.append(_child(firms, min(n, ROW_SAMPLE), "--child-file"))
                firms.unlink()
            if n in postgis_sizes:
                base = bench_postgis.run(load_table(path), pipeline_agreement())
                base["observations"] = float(n)
                base["speedup"] = round(
                    base["fusion_and_zones_s"] / measured["fusion_and_adjudication_s"], 1
                )
                measured["postgis_speedup"] = base["speedup"]
                baseline.append(base)
            per_size.append(measured)
            path.unlink()
    n_list = [m["observations"] for m in per_size]
    return {
        "definition": "in-memory ObservationTable -> fuse_table -> judge_table; store write "
        "timed on a sample and scaled",
        "sizes": per_size,
        "postgis": baseline,
        "from_firms_files": files,
        "skipped": skipped,
        "slope_fusion_and_adjudication": slope(
            n_list, [m["fusion_and_adjudication_s"] for m in per_size]
        ),
        "slope_fusion": slope(n_list, [m["fusion_s"] for m in per_size]),
        "slope_adjudication": slope(n_list, [m["adjudication_s"] for m in per_size]),
        "slope_peak_memory": slope(
            n_list, [m["peak_bytes_per_observation"] * m["observations"] for m in per_size]
        ),
    }


def main(argv: list[str] | None = None) -> int:
    """Print the results (or, with --child PATH SAMPLE, measure one saved table)."""
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "--child":
        print(json.dumps(measure(Path(args[1]), int(args[2]))))
        return 0
    if args and args[0] == "--child-file":
        print(json.dumps(measure_file(Path(args[1]), int(args[2]))))
        return 0
    sizes = tuple(int(a) for a in args) or SIZES
    print(json.dumps(run(sizes), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
