"""Fusion speed on synthetic observations along a 1,500 km front over 30 days.

    python -m benchmarks.bench_fusion [n]

Events along the front are each seen 1 to 5 times by a mix of sensors (satellite thermal,
UAVs, cameras, acoustic arrays, patrols, open sources, party reports) with the location and
time uncertainties of the simulator's sensor models (`truceline.simulation.sensors`): open
sources 3 to 10 km and 1 to 6 h, party reports 1 to 5 km and 10 to 60 min, patrols that
heard a blast 2 to 4 km; satellite thermal detections of unrelated fires make up the
background. The largest incident is reported: vague reports must not chain events. The
table is generated directly as columns. `fuse_table` (linking, grouping, aggregation) and
the building of Incident objects are timed separately. The baseline tests every pair with
numpy (O(n^2), vectorised in blocks, the same exact rule) on a small n; its time at the
full n is extrapolated as n^2, which is what it is: an estimate, not a measurement.
"""

from __future__ import annotations

import math
import os
import sys
import time
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from truceline.fusion.aggregate import fuse_table
from truceline.fusion.build import build_incidents
from truceline.fusion.linking import group_labels, is_vague, link_fit
from truceline.fusion.parameters import DEFAULT, FusionParameters
from truceline.fusion.sphere import EARTH_RADIUS_M
from truceline.observations.model import Domain, Kind
from truceline.observations.table import DOMAINS, GRADES, KINDS, ObservationTable

IndexArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

FRONT = np.array(
    [
        (31.20, 46.50),
        (32.20, 46.45),
        (33.40, 46.75),
        (34.60, 47.30),
        (35.90, 47.60),
        (36.90, 47.75),
        (37.60, 47.95),
        (37.95, 48.45),
        (38.05, 49.00),
        (37.75, 49.60),
        (37.35, 50.15),
        (36.30, 50.55),
        (35.20, 51.00),
        (34.00, 51.60),
        (32.50, 52.25),
        (31.20, 52.15),
        (30.60, 51.50),
        (29.10, 51.45),
    ]
)
"""A rough line along the front and the northern border, about 1,500 km."""
UKRAINE = (22.5, 44.5, 40.0, 52.3)
"""Bounding box for background fires (min lon, min lat, max lon, max lat)."""
START = datetime(2026, 2, 1, tzinfo=UTC).timestamp()
DAYS = 30

# Sensor profiles: source id, independence group, location uncertainty range (m), time
# uncertainty range (s), grade, party report, share of event observations. As in
# truceline.simulation.sensors.
PROFILES = (
    (
        "firms-viirs-noaa20",
        "NASA|satellite_thermal",
        (375.0, 375.0),
        (60.0, 60.0),
        "B3",
        False,
        0.20,
    ),
    ("firms-viirs-snpp", "NASA|satellite_thermal", (375.0, 375.0), (60.0, 60.0), "B3", False, 0.10),
    ("uav-wing-1", "Mission UAV wing|uav", (30.0, 100.0), (2.0, 10.0), "B2", False, 0.15),
    ("uav-wing-2", "Mission UAV wing|uav", (30.0, 100.0), (2.0, 10.0), "B2", False, 0.10),
    ("uav-coalition", "Coalition ISR|uav", (30.0, 100.0), (2.0, 10.0), "B2", False, 0.08),
    ("camera-net", "Mission|fixed_camera", (100.0, 400.0), (1.0, 2.0), "B2", False, 0.10),
    ("acoustic-net", "Mission|acoustic", (1000.0, 2000.0), (1.0, 3.0), "C2", False, 0.09),
    ("patrol", "Mission|ground_patrol", (2000.0, 4000.0), (60.0, 300.0), "A2", False, 0.08),
    ("osint", "Open sources|open_source", (3000.0, 10000.0), (3600.0, 21600.0), "D3", False, 0.04),
    ("party-a", "Party A|party_report", (1000.0, 5000.0), (600.0, 3600.0), "C3", True, 0.03),
    ("party-b", "Party B|party_report", (1000.0, 5000.0), (600.0, 3600.0), "C3", True, 0.03),
)
SOURCES = tuple(sorted(p[0] for p in PROFILES))
GROUPS = tuple(sorted({p[1] for p in PROFILES}))
EVENT_SHARE = 0.7
"""Share of observations that belong to events; the rest are background fires."""
BUILD_SAMPLE = 100_000
"""Incident objects built to time `build_incidents` (the first ones, by number)."""
FIRE_KINDS = (Kind.EXPLOSION, Kind.IMPACT, Kind.LAUNCH, Kind.DAMAGE, Kind.SMALL_ARMS_FIRE)
PRESENCE_KINDS = (Kind.WEAPON_SIGHTING, Kind.ARMED_PRESENCE, Kind.MOVEMENT)


def _front_points(rng: np.random.Generator, count: int) -> tuple[FloatArray, FloatArray]:
    """Points spread along the front, with a normal offset of 8 km across it."""
    seg = np.diff(FRONT, axis=0)
    km_per_deg = np.array([111.32 * np.cos(np.radians(48.5)), 110.57])
    lengths = np.hypot(*(seg * km_per_deg).T)
    where = rng.uniform(0.0, lengths.sum(), count)
    index = np.minimum(np.searchsorted(np.cumsum(lengths), where), len(seg) - 1)
    before = np.concatenate(([0.0], np.cumsum(lengths)))[index]
    frac = (where - before) / lengths[index]
    base = FRONT[index] + seg[index] * frac[:, None]
    normal = np.column_stack((-seg[index, 1], seg[index, 0])) * km_per_deg[::-1]
    normal /= np.hypot(normal[:, 0], normal[:, 1])[:, None]
    offset_km = rng.normal(0.0, 8.0, count)
    lon = base[:, 0] + normal[:, 0] * offset_km / km_per_deg[0]
    lat = base[:, 1] + normal[:, 1] * offset_km / km_per_deg[1]
    return lon, lat


def front_length_km() -> float:
    """Length of the synthetic front."""
    seg = np.diff(FRONT, axis=0)
    km_per_deg = np.array([111.32 * np.cos(np.radians(48.5)), 110.57])
    return float(np.hypot(*(seg * km_per_deg).T).sum())


def synthetic_table(n: int, seed: int = 0, days: int = DAYS) -> ObservationTable:
    """n synthetic observations over `days` days (see the module doc), ids in random order."""
    rng = np.random.default_rng(seed)
    sizes_all = rng.choice(5, size=n, p=[0.35, 0.25, 0.2, 0.12, 0.08]) + 1
    cut = int(np.searchsorted(np.cumsum(sizes_all), int(n * EVENT_SHARE)))
    sizes = sizes_all[:cut]
    n_event = int(sizes.sum())
    n_events = len(sizes)
    ev_lon, ev_lat = _front_points(rng, n_events)
    ev_t = START + rng.uniform(0.0, days * 86_400.0, n_events)
    ev_class = rng.choice(3, size=n_events, p=[0.85, 0.12, 0.03])  # fire, presence, aircraft
    event = np.repeat(np.arange(n_events), sizes)

    shares = np.array([p[6] for p in PROFILES])
    profile = rng.choice(len(PROFILES), size=n_event, p=shares / shares.sum())
    loc_range = np.array([p[2] for p in PROFILES])[profile]
    time_range = np.array([p[3] for p in PROFILES])[profile]
    loc_unc = rng.uniform(loc_range[:, 0], loc_range[:, 1])
    time_unc = rng.uniform(time_range[:, 0], time_range[:, 1])
    metres = rng.normal(0.0, 1.0, (n_event, 2)) * (loc_unc / 2.0)[:, None]
    lat = ev_lat[event] + np.degrees(metres[:, 1] / EARTH_RADIUS_M)
    lon = ev_lon[event] + np.degrees(
        metres[:, 0] / (EARTH_RADIUS_M * np.cos(np.radians(ev_lat[event])))
    )
    t = ev_t[event] + rng.normal(0.0, 1.0, n_event) * time_unc / 2.0
    cls = ev_class[event]
    satellite = profile < 2
    fire = np.array([KINDS.index(k) for k in FIRE_KINDS])[rng.integers(0, len(FIRE_KINDS), n_event)]
    presence = np.array([KINDS.index(k) for k in PRESENCE_KINDS])[
        rng.integers(0, len(PRESENCE_KINDS), n_event)
    ]
    kind = np.where(cls == 0, fire, np.where(cls == 1, presence, KINDS.index(Kind.AIRCRAFT)))
    kind = np.where(satellite & (cls == 0), KINDS.index(Kind.THERMAL_ANOMALY), kind)
    domain = np.where(cls == 2, DOMAINS.index(Domain.AIR), DOMAINS.index(Domain.LAND))

    n_bg = n - n_event
    bg_day = rng.integers(0, days, n_bg)
    overpass = np.array([0.75, 10.75, 11.5, 23.8])[rng.integers(0, 4, n_bg)] * 3600.0
    bg_t = START + bg_day * 86_400.0 + overpass + rng.normal(0.0, 120.0, n_bg)
    bg_lon = rng.uniform(UKRAINE[0], UKRAINE[2], n_bg)
    bg_lat = rng.uniform(UKRAINE[1], UKRAINE[3], n_bg)
    bg_profile = rng.integers(0, 2, n_bg)

    all_profile = np.concatenate((profile, bg_profile))
    source_code = np.array([SOURCES.index(p[0]) for p in PROFILES], dtype=np.int32)
    group_code = np.array([GROUPS.index(p[1]) for p in PROFILES], dtype=np.int32)
    grade_code = np.array([GRADES.index(p[4]) for p in PROFILES], dtype=np.int8)
    party = np.array([p[5] for p in PROFILES])
    shuffle = rng.permutation(n)
    digits = len(str(n))

    def mix(a: npt.NDArray[np.generic]) -> npt.NDArray[np.generic]:
        return a[shuffle]

    is_party = mix(party[all_profile])
    return ObservationTable(
        ids=np.array([f"obs-{i:0{digits}d}" for i in range(n)], dtype=str),
        lon=mix(np.concatenate((lon, bg_lon))).astype(np.float64),
        lat=mix(np.concatenate((lat, bg_lat))).astype(np.float64),
        t=mix(np.concatenate((t, bg_t))).astype(np.float64),
        time_unc=mix(np.concatenate((time_unc, np.full(n_bg, 60.0)))).astype(np.float64),
        loc_unc=mix(np.concatenate((loc_unc, np.full(n_bg, 375.0)))).astype(np.float64),
        kind=mix(np.concatenate((kind, np.full(n_bg, KINDS.index(Kind.THERMAL_ANOMALY))))).astype(
            np.int8
        ),
        domain=mix(np.concatenate((domain, np.zeros(n_bg, np.int64)))).astype(np.int8),
        grade=mix(grade_code[all_profile]).astype(np.int8),
        source=mix(source_code[all_profile]).astype(np.int32),
        group=mix(group_code[all_profile]).astype(np.int32),
        is_party=is_party.astype(np.bool_),
        party=np.full(n, -1, dtype=np.int32),
        weapon=np.full(n, -1, dtype=np.int32),
        calibre=np.full(n, np.nan),
        origin_lon=np.full(n, np.nan),
        origin_lat=np.full(n, np.nan),
        bearing=np.full(n, np.nan),
        sources=SOURCES,
        groups=GROUPS,
    )


def naive_labels(table: ObservationTable, params: FusionParameters = DEFAULT) -> IndexArray:
    """Incident labels from testing every pair (blocks of rows against all later rows)."""
    n = len(table)
    firsts: list[IndexArray] = []
    seconds: list[IndexArray] = []
    fits: list[FloatArray] = []
    block = 256
    for lo in range(0, n, block):
        rows = np.arange(lo, min(lo + block, n))
        i = np.repeat(rows, n - rows - 1)
        j = np.concatenate([np.arange(r + 1, n) for r in rows]) if len(i) else rows[:0]
        fit = link_fit(table, params, i, j)
        keep = np.isfinite(fit)
        firsts.append(i[keep])
        seconds.append(j[keep])
        fits.append(fit[keep])
    return group_labels(
        table, params, np.concatenate(firsts), np.concatenate(seconds), np.concatenate(fits)
    )


def _best_of(repeat: int, table: ObservationTable, workers: int | None) -> tuple[float, float]:
    """Shortest wall time of `repeat` runs of fuse_table, and the CPU time of that run."""
    best = (math.inf, math.inf)
    for _ in range(max(1, repeat)):
        wall, cpu = time.perf_counter(), time.process_time()
        fuse_table(table, workers=workers)
        best = min(best, (time.perf_counter() - wall, time.process_time() - cpu))
    return best


def run(n: int = 1_000_000, seed: int = 0, *, repeat: int = 3) -> dict[str, float]:
    """Time fuse_table and the building of incidents at n, and the naive baseline.

    fuse_table times are the best of `repeat` runs, with one thread per CPU and with one.
    """
    table = synthetic_table(n, seed)
    result = fuse_table(table)
    fuse_s, fuse_cpu_s = _best_of(repeat, table, None)
    single_s, _ = _best_of(repeat, table, 1)

    sample = min(result.n_incidents, BUILD_SAMPLE)
    started = time.perf_counter()
    build_incidents(table, result, range(sample))
    build_s = time.perf_counter() - started

    naive_n = min(n, 5_000)
    small = synthetic_table(naive_n, seed)
    fast_small = fuse_table(small)
    fast_small_s, _ = _best_of(repeat, small, None)
    started = time.perf_counter()
    slow_labels = naive_labels(small)
    naive_s = time.perf_counter() - started
    if not np.array_equal(slow_labels, fast_small.labels):
        raise AssertionError("fuse_table and the all-pairs baseline disagree")
    naive_estimate_s = naive_s * (n / naive_n) ** 2
    sizes = result.sizes
    return {
        "observations": float(n),
        "front_km": round(front_length_km(), 1),
        "incidents": float(result.n_incidents),
        "mean_observations_per_incident": round(float(sizes.mean()), 3),
        "largest_incident": float(sizes.max()),
        "vague_observations": float(is_vague(table, DEFAULT).sum()),
        "workers": float(os.cpu_count() or 1),
        "fuse_table_s": round(fuse_s, 3),
        "fuse_table_cpu_s": round(fuse_cpu_s, 3),
        "fuse_table_observations_per_s": round(n / fuse_s),
        "fuse_table_one_thread_s": round(single_s, 3),
        "fuse_table_one_thread_observations_per_s": round(n / single_s),
        "build_incidents_sample": float(sample),
        "build_incidents_sample_s": round(build_s, 3),
        "build_incidents_per_s": round(sample / build_s),
        "naive_n": float(naive_n),
        "naive_s": round(naive_s, 3),
        "fuse_table_s_at_naive_n": round(fast_small_s, 4),
        "speedup_at_naive_n": round(naive_s / fast_small_s, 1),
        "naive_estimated_s_at_n": round(naive_estimate_s, 1),
        "speedup_estimated_at_n": round(naive_estimate_s / fuse_s, 1),
    }


def main() -> None:
    """Print the benchmark's results."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    for key, value in run(n).items():
        print(f"{key:34s} {value:,}")


if __name__ == "__main__":
    main()
