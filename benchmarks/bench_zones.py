"""Zone membership of random points over the real theatre, against a naive baseline.

The theatre is the line of contact of 2025-09-01 with the area occupied that day
(DeepStateMap, ../shared/data/contact_line), a 5 km buffer and the four Minsk II
withdrawal bands (15, 25, 35 and 70 km per side). Points are drawn uniformly over the
theatre's bounding box. The baseline measures every point's distance to the whole line
with shapely in the same projection and tests sides with shapely, as code without an index
would; it runs on a sample and is scaled to the same number of points. Distances
(`Theatre.distance_to_line_m`) are timed on the same points, and on as many points drawn
within the widest band (70 km of the line).

    python -m benchmarks.bench_zones
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import MultiPolygon, shape

from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.model import Agreement
from truceline.geometry import Theatre
from truceline.geometry.projection import LocalProjection

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "contact_line"
LINE_FILE = DATA / "line_of_contact_20250901.geojson"
HELD_FILE = DATA / "deepstate_occupied_20250901.geojson"

BUFFER_KM = 5.0
MINSK_BANDS_KM = {"light_artillery": 15.0, "artillery": 25.0, "mlrs": 35.0, "heavy_mlrs": 70.0}
BASELINE_SAMPLE = 20_000


def _geometry(path: Path) -> Any:
    data = json.loads(path.read_text(encoding="utf-8"))
    return shapely.union_all([shape(f["geometry"]) for f in data["features"]])


def real_theatre_agreement() -> LoadedAgreement:
    """The real line and occupied area with a buffer and the Minsk II bands."""
    per_side = {code: {"UA": km, "RU": km} for code, km in MINSK_BANDS_KM.items()}
    agreement = Agreement.model_validate(
        {
            "id": "bench",
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
                {"code": "FIRE", "title": "Fire", "description": "Fire", "kinds": ["explosion"]}
            ],
            "clear_breach": {"min_confidence": 0.6, "min_independent_sources": 2},
        }
    )
    held = _geometry(HELD_FILE)
    if not isinstance(held, MultiPolygon):
        held = MultiPolygon([held])
    return LoadedAgreement(agreement, line=_geometry(LINE_FILE), held_areas={"RU": held})


def _best_of(runs: int, work: Callable[[], object]) -> float:
    work()
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def _near_points(
    theatre: Theatre,
    bounds: tuple[float, float, float, float],
    n: int,
    rng: np.random.Generator,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """n random points of `bounds` within the widest band (either side of the line)."""
    widest = max(MINSK_BANDS_KM.items(), key=lambda item: item[1])[0]
    column = theatre.zone_ids.index(f"withdrawal:{widest}")
    lons: list[NDArray[np.float64]] = []
    lats: list[NDArray[np.float64]] = []
    found = 0
    while found < n:
        lon = rng.uniform(bounds[0], bounds[2], n)
        lat = rng.uniform(bounds[1], bounds[3], n)
        inside = theatre.zone_membership(lon, lat).matrix[:, column]
        lons.append(lon[inside])
        lats.append(lat[inside])
        found += int(inside.sum())
    return np.concatenate(lons)[:n], np.concatenate(lats)[:n]


def run(n: int = 1_000_000, seed: int = 0) -> dict[str, float]:
    """Seconds and points per second of `Theatre.zone_membership` for n random points
    (best of 3 after a warm-up), and of the naive baseline, with the speed ratio; and of
    `Theatre.distance_to_line_m` for the same points and for n points within 70 km."""
    loaded = real_theatre_agreement()
    started = time.perf_counter()
    theatre = Theatre(loaded)
    build = time.perf_counter() - started
    min_lon, min_lat, max_lon, max_lat = shapely.union_all(
        [loaded.line, *loaded.held_areas.values()]
    ).bounds
    rng = np.random.default_rng(seed)
    lon = rng.uniform(min_lon, max_lon, n)
    lat = rng.uniform(min_lat, max_lat, n)
    seconds = _best_of(3, lambda: theatre.zone_membership(lon, lat))
    distance_seconds = _best_of(3, lambda: theatre.distance_to_line_m(lon, lat))
    near_lon, near_lat = _near_points(theatre, (min_lon, min_lat, max_lon, max_lat), n, rng)
    near_seconds = _best_of(3, lambda: theatre.distance_to_line_m(near_lon, near_lat))

    widths_m = np.array([BUFFER_KM, *MINSK_BANDS_KM.values()]) * 1000.0
    occupied = loaded.held_areas["RU"]
    centre = LocalProjection(
        (loaded.line.bounds[0] + loaded.line.bounds[2]) / 2,
        (loaded.line.bounds[1] + loaded.line.bounds[3]) / 2,
    )
    projected_line = shapely.transform(
        loaded.line, lambda xy: np.stack(centre.forward(xy[:, 0], xy[:, 1]), axis=1)
    )
    sample = min(n, BASELINE_SAMPLE)

    def baseline() -> object:
        x, y = centre.forward(lon[:sample], lat[:sample])
        distance = shapely.distance(shapely.points(x, y), projected_line)
        shapely.contains_xy(occupied, lon[:sample], lat[:sample])
        return distance[:, None] <= widths_m[None, :]

    baseline_seconds = _best_of(3, baseline) * n / sample
    return {
        "points": float(n),
        "build_seconds": build,
        "seconds": seconds,
        "points_per_second": n / seconds,
        "baseline_seconds": baseline_seconds,
        "baseline_points_per_second": n / baseline_seconds,
        "speedup": baseline_seconds / seconds,
        "distance_seconds": distance_seconds,
        "distance_points_per_second": n / distance_seconds,
        "near_distance_seconds": near_seconds,
        "near_distance_points_per_second": n / near_seconds,
    }


def main() -> None:
    """Run the benchmark at full size and print its numbers."""
    for key, value in run().items():
        print(f"{key:>32}: {value:,.3f}")


if __name__ == "__main__":
    main()
