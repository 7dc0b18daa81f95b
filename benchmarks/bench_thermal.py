"""The satellite thermal channel on real data: background build, war years, a replay.

    python -m benchmarks.bench_thermal [--smoke]

1. Builds the background model from the NASA FIRMS history of the normal years (2012,
   2013, 2016, 2018-2021; ../shared/data/firms/history) and times it (reading included).
2. Leave one year out: each normal year is classified against a model built from the other
   normal years, with both strategies; the share flagged is a false-alarm rate, since none
   of these years had a full-scale war.
3. Classifies the war years 2022 and 2023 (one batch per year) with both strategies and
   writes benchmarks/out/thermal_labels_<year>_<strategy>.csv (latitude, longitude, date,
   label, score).
4. Replays a hypothetical ceasefire in force from 2025-09-01 (Minsk II style terms on the
   line of contact and occupied area of that day, DeepStateMap) on the NASA FIRMS VIIRS
   NOAA-20 detections of 2025-09-01 onwards, through the whole pipeline (read, classify,
   fuse, adjudicate) for each strategy and for no baseline: suspected and clear breaches
   per day, per region (oblast), per side and per rule, in the results and in
   benchmarks/out/thermal_replay_2025_breaches.csv, and a map
   (benchmarks/out/thermal_replay_2025.png).

Data: NASA FIRMS; DeepStateMap; regions grid via the war-fire-model repository.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from truceline.adjudication.adjudicator import Adjudicator
from truceline.adjudication.batch import STATUSES, judge_table
from truceline.adjudication.determination import Status
from truceline.agreement.geometry_files import areas_from_geojson, read_geojson
from truceline.agreement.hypothetical import hypothetical_ceasefire
from truceline.agreement.loaded import LoadedAgreement
from truceline.cli.thermal import write_labels
from truceline.fusion.aggregate import fuse_table
from truceline.geometry.theatre import Theatre
from truceline.observations.model import Kind, Observation
from truceline.observations.table import KINDS, ObservationTable, unique_by_id
from truceline.sources.firms import FirmsAdapter
from truceline.sources.ingest import thermal_observation
from truceline.sources.registry import SourceRegistry
from truceline.sources.thermal.baseline import BaselineModel, fit, load, save, statistics
from truceline.sources.thermal.classify import Strategy, classify
from truceline.sources.thermal.history import Detections, read_detections, read_many

ROOT = Path(__file__).resolve().parent
DATA = ROOT.parent.parent / "shared" / "data"
HISTORY = DATA / "firms" / "history"
VIIRS_2025 = DATA / "firms" / "viirs_noaa20_2025"
REGIONS = DATA / "regions"
OUT = ROOT / "out"
NORMAL_YEARS = (2012, 2013, 2016, 2018, 2019, 2020, 2021)
WAR_YEARS = (2022, 2023)
NEAR_LINE_KM = 25.0
LINE_FILE = DATA / "contact_line" / "line_of_contact_20250901.geojson"
OCCUPIED_FILE = DATA / "contact_line" / "deepstate_occupied_20250901.geojson"
OUTLINE_FILE = DATA / "boundaries" / "ukraine_outline.geojson"
REPLAY_FROM = datetime(2025, 9, 1, tzinfo=UTC)
SMOKE_FILES = 8
"""Days of the smoke replay: enough for the retrospective rule's 7 days between excesses."""
NO_BASELINE = "no-baseline"
"""The reference: every detection kept as a thermal anomaly, as ingest without a baseline."""
OUTSIDE_GRID = "outside Ukraine's grid"
OUTSIDE_OUTLINE = "outside Ukraine's outline"
NONE, SUSPECTED, CLEAR = 0, 1, 2
"""Status of an incident in the replay's columns."""


def _out() -> Path:
    OUT.mkdir(exist_ok=True)
    ignore = OUT / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")
    return OUT


def _history(years: tuple[int, ...]) -> Detections:
    return read_many([HISTORY / f"ukr_fire_data_{y}.csv" for y in years])


def _build(detections: Detections, years: tuple[int, ...]) -> BaselineModel:
    return fit(statistics(detections, set(years)))


def _shares(model: BaselineModel, batch: Detections) -> dict[str, Any]:
    out: dict[str, Any] = {"detections": len(batch)}
    for strategy in Strategy:
        result = classify(batch, model, strategy)
        flagged = int(result.anomalous.sum())
        out[strategy.value] = {
            "anomalous": flagged,
            "share": round(flagged / max(len(batch), 1), 4),
        }
    return out


@cache
def _regions() -> tuple[dict[tuple[int, int], str], dict[str, str]]:
    cells: dict[tuple[int, int], str] = {}
    with (REGIONS / "ukr_oblasts_grid_0.1deg.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            key = (round(float(row["LATITUDE"]) * 10), round(float(row["LONGITUDE"]) * 10))
            cells[key] = row["OBLAST_ID"]
    names: dict[str, str] = {}
    with (REGIONS / "ukr_oblasts_ids.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            names[row["OBLAST_ID"]] = row["SUBDIVISION_NAME_EN"]
    return cells, names


def _region_of(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.str_]:
    """Region (oblast) of each point, from the 0.1° regions grid."""
    cells, names = _regions()
    rows = np.rint(lat * 10).astype(np.int64)
    cols = np.rint(lon * 10).astype(np.int64)
    found = []
    for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
        oblast = cells.get((r, c))
        if oblast is None:  # near a coast or border: the nearest grid point around it
            for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0), (1, 1), (-1, -1), (1, -1), (-1, 1)):
                oblast = cells.get((r + dr, c + dc))
                if oblast is not None:
                    break
        found.append(names.get(oblast, oblast) if oblast else OUTSIDE_GRID)
    return np.asarray(found, dtype=np.str_)


def _replay_agreement() -> LoadedAgreement:
    """The hypothetical ceasefire: Minsk II style terms on the line and occupied area of
    2025-09-01, Ukraine's outline restricting the sides, in force from 2025-09-01."""
    return hypothetical_ceasefire(
        LINE_FILE,
        OCCUPIED_FILE,
        outline_file=OUTLINE_FILE,
        effective_from=REPLAY_FROM,
        agreement_id="replay-2025-09-01",
        title="Hypothetical ceasefire in force from 2025-09-01 (replay)",
    )


def _read_feed(files: list[Path], registry: SourceRegistry) -> tuple[list[Observation], int]:
    """The observations of the FIRMS files by the row adapter, each id once, sorted by id,
    and the count of rows refused. A file counts as received at the end of its day."""
    observations: list[Observation] = []
    refused = 0
    for path in files:
        day = datetime.strptime(path.stem[-7:], "%Y%j").replace(tzinfo=UTC)
        for item in FirmsAdapter(registry).read(path, received_at=day + timedelta(days=1)):
            if isinstance(item, Observation) and item.source_id in registry:
                observations.append(item)
            else:
                refused += 1
    unique = unique_by_id(observations)
    return [unique[key] for key in sorted(unique)], refused


def _detections(observations: list[Observation]) -> Detections:
    """The detections the background model weighs, one per observation, as ingest has them."""
    frp = [o.attributes.get("frp") for o in observations]
    return Detections(
        lat=np.array([o.lat for o in observations], dtype=np.float64),
        lon=np.array([o.lon for o in observations], dtype=np.float64),
        day=np.array([o.observed_at.date() for o in observations], dtype="datetime64[D]"),
        frp=np.array([f if isinstance(f, int | float) else np.nan for f in frp], dtype=np.float64),
        night=np.array(
            [str(o.attributes.get("daynight", "")).upper() == "N" for o in observations],
            dtype=np.bool_,
        ),
    )


def _count(statuses: NDArray[np.int8], keys: NDArray[np.str_]) -> dict[str, dict[str, int]]:
    """Suspected and clear breaches by key, keys with any breach only, sorted by key."""
    table: dict[str, dict[str, int]] = {}
    for key in sorted(set(keys[statuses != NONE].tolist())):
        here = statuses[keys == key]
        table[key] = {
            "suspected_breach": int((here == SUSPECTED).sum()),
            "clear_breach": int((here == CLEAR).sum()),
        }
    return table


def _judged(
    observations: list[Observation],
    registry: SourceRegistry,
    adjudicator: Adjudicator,
    outline: Any,
) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
    """Fuse and adjudicate one strategy's observations: the counts, and the incidents'
    columns (lon, lat, day, region, side, status, rules) for the tables and the map."""
    started = time.perf_counter()
    table = ObservationTable.from_observations(observations, registry)
    result = fuse_table(table)
    fused = time.perf_counter()
    judgement = judge_table(adjudicator, table, result)
    judged = time.perf_counter()
    status = np.full(len(judgement), NONE, dtype=np.int8)
    status[judgement.status == STATUSES.index(Status.SUSPECTED_BREACH)] = SUSPECTED
    status[judgement.status == STATUSES.index(Status.CLEAR_BREACH)] = CLEAR
    parties = np.asarray([p.code for p in adjudicator.loaded.agreement.parties], dtype=np.str_)
    inside = shapely.contains_xy(outline, result.lon, result.lat)
    side = np.where(inside, parties[judgement.side], OUTSIDE_OUTLINE)
    day = (result.start.astype("datetime64[s]")).astype("datetime64[D]").astype(str)
    region = _region_of(result.lon, result.lat)
    thermal = KINDS.index(Kind.THERMAL_ANOMALY)
    rules = {
        code: np.where(judgement.rules[:, j], status, NONE).astype(np.int8)
        for j, code in enumerate(judgement.rule_codes)
    }
    columns: dict[str, NDArray[Any]] = {
        "lon": result.lon,
        "lat": result.lat,
        "day": day,
        "region": region,
        "side": side,
        "status": status,
        "rule": np.array(
            [
                "+".join(c for j, c in enumerate(judgement.rule_codes) if judgement.rules[k, j])
                for k in range(len(status))
            ],
            dtype=np.str_,
        ),
    }
    breach = status != NONE
    counts: dict[str, Any] = {
        "seconds": {"fuse": round(fused - started, 3), "adjudicate": round(judged - fused, 3)},
        "observations": len(table),
        "thermal_anomalies": int((table.kind == thermal).sum()),
        "fires": int((table.kind == KINDS.index(Kind.FIRE)).sum()),
        "incidents": result.n_incidents,
        "suspected_breach": int((status == SUSPECTED).sum()),
        "clear_breach": int((status == CLEAR).sum()),
        "most_independent_sources": int(result.independent_sources[breach].max(initial=0)),
        "by_rule": {
            code: {
                "suspected_breach": int((column == SUSPECTED).sum()),
                "clear_breach": int((column == CLEAR).sum()),
            }
            for code, column in rules.items()
        },
        "by_side": _count(status, side),
        "per_day": _count(status, day),
        "per_region": _count(status, region),
    }
    return counts, columns


def _replay(model: BaselineModel, smoke: bool) -> dict[str, Any]:
    """The hypothetical ceasefire replayed through the whole pipeline, per strategy."""
    files = sorted(VIIRS_2025.glob("*.csv"))
    files = [f for f in files if int(f.stem[-3:]) >= 244]  # 2025-09-01 = day 244
    if smoke:
        files = files[:SMOKE_FILES]
    registry = SourceRegistry()
    loaded = _replay_agreement()
    theatre = Theatre(loaded)
    adjudicator = Adjudicator(loaded, theatre, registry)
    outline = areas_from_geojson(read_geojson(OUTLINE_FILE))
    shapely.prepare(outline)
    observations, refused = _read_feed(files, registry)
    batch = _detections(observations)
    distance_km = theatre.distance_to_line_m(batch.lon, batch.lat) / 1000.0
    threshold = loaded.agreement.clear_breach
    results: dict[str, Any] = {
        "agreement": {
            "id": loaded.agreement.id,
            "effective_from": loaded.agreement.effective_from.isoformat(),
            "line": LINE_FILE.name,
            "held_areas": dict(loaded.agreement.line.held_areas),
            "rest_held_by": loaded.agreement.line.rest_held_by,
            "rules": {a.code: [k.value for k in a.kinds] for a in loaded.agreement.prohibited_acts},
            "clear_breach": threshold.model_dump(mode="json"),
        },
        "files": len(files),
        "first_day": str(batch.day.min()),
        "last_day": str(batch.day.max()),
        "detections": len(batch),
        "rows_refused": refused,
        "within_25_km_of_line": int((distance_km <= NEAR_LINE_KM).sum()),
        "note": (
            "NASA FIRMS VIIRS NOAA-20 detections are one source type, one independent "
            f"source; the agreement's clear-breach threshold asks for "
            f"{threshold.min_independent_sources} independent sources, so satellite thermal "
            "detections alone can only be suspected breaches."
        ),
    }
    labels: dict[str, NDArray[np.bool_]] = {}
    columns: dict[str, dict[str, NDArray[Any]]] = {}
    for strategy in (NO_BASELINE, *Strategy):
        started = time.perf_counter()
        if strategy == NO_BASELINE:
            flagged = np.ones(len(batch), dtype=np.bool_)
            fed = observations
        else:
            result = classify(batch, model, Strategy(strategy), distance_to_line_km=distance_km)
            flagged = result.anomalous
            fed = [thermal_observation(o, result, i) for i, o in enumerate(observations)]
            write_labels(
                _out() / f"thermal_replay_2025_{strategy}.csv", batch, result.labels, result.score
            )
        classified = time.perf_counter() - started
        labels[str(strategy)] = flagged
        counts, columns[str(strategy)] = _judged(fed, registry, adjudicator, outline)
        near = flagged & (distance_km <= NEAR_LINE_KM)
        counts["seconds"]["classify"] = round(classified, 3)
        counts["anomalous_within_25_km"] = int(near.sum())
        results[str(strategy)] = counts
    both = labels["same-day"] & labels["retrospective"]
    results["labels_agree"] = {
        "both": int(both.sum()),
        "same_day_only": int((labels["same-day"] & ~both).sum()),
        "retrospective_only": int((labels["retrospective"] & ~both).sum()),
    }
    results["csv"] = str(_write_breaches(columns))
    results["map"] = str(_map(batch, labels, columns, loaded, outline))
    return results


def _write_breaches(columns: dict[str, dict[str, NDArray[Any]]]) -> Path:
    """One row per strategy, day, region, side and rule with any breach: the counts of
    suspected and clear breaches (incidents)."""
    rows: dict[tuple[str, ...], list[int]] = {}
    for strategy, c in columns.items():
        for k in np.flatnonzero(c["status"] != NONE).tolist():
            key = (strategy, str(c["day"][k]), str(c["region"][k]), str(c["side"][k]))
            row = rows.setdefault((*key, str(c["rule"][k])), [0, 0])
            row[0 if c["status"][k] == SUSPECTED else 1] += 1
    path = _out() / "thermal_replay_2025_breaches.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(
            ["strategy", "day", "region", "side", "rule", "suspected_breach", "clear_breach"]
        )
        order = {s: i for i, s in enumerate(columns)}
        for row_key in sorted(rows, key=lambda r: (order[r[0]], *r[1:])):
            writer.writerow([*row_key, *rows[row_key]])
    return path


def _map(
    batch: Detections,
    labels: dict[str, NDArray[np.bool_]],
    columns: dict[str, dict[str, NDArray[Any]]],
    loaded: LoadedAgreement,
    outline: Any,
) -> Path:
    """Two maps side by side (same-day, retrospective): the line, the occupied area, the
    detections and the suspected-breach incidents; below each, the suspected breaches per
    day beside those of the reference without a baseline."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(
        2, 2, figsize=(16, 10), dpi=100, gridspec_kw={"height_ratios": [3, 1]}
    )
    occupier = loaded.agreement.parties[1].code
    days = np.arange(batch.day.min(), batch.day.max() + np.timedelta64(1, "D"))
    reference = columns[NO_BASELINE]
    for column, strategy in enumerate(Strategy):
        c = columns[strategy.value]
        ax = axes[0, column]
        for polygon in shapely.get_parts(outline):
            ax.plot(*polygon.exterior.xy, color="#808080", linewidth=0.5, zorder=0)
        for polygon in shapely.get_parts(loaded.held_areas[occupier]):
            ax.fill(*polygon.exterior.xy, color="#f2dede", linewidth=0, zorder=0)
            ax.plot(*polygon.exterior.xy, color="#c9302c", linewidth=0.4, zorder=1)
        for line in shapely.get_parts(loaded.line):
            ax.plot(*line.xy, color="black", linewidth=0.9, zorder=2)
        normal = ~labels[strategy.value]
        ax.scatter(
            batch.lon[normal],
            batch.lat[normal],
            s=1.5,
            c="#b0b0b0",
            linewidths=0,
            zorder=3,
            label=f"detection usual for place and season ({int(normal.sum())})",
        )
        suspected = c["status"] == SUSPECTED
        ax.scatter(
            c["lon"][suspected],
            c["lat"][suspected],
            s=9,
            c="#d62728",
            linewidths=0,
            zorder=4,
            label=f"suspected breach, incident ({int(suspected.sum())})",
        )
        ax.set_xlim(29.5, 40.5)
        ax.set_ylim(44, 52.5)
        ax.set_aspect(1 / np.cos(np.radians(48.5)))
        ax.set_title(f"{strategy.value}: suspected breaches of the hypothetical ceasefire")
        ax.legend(loc="lower left", fontsize=8)
        bars = axes[1, column]
        per_day = Counter(c["day"][suspected].tolist())
        ref_day = Counter(reference["day"][reference["status"] == SUSPECTED].tolist())
        x = np.arange(len(days))
        bars.bar(x, [per_day.get(str(d), 0) for d in days], color="#d62728", label=strategy.value)
        step = max(1, len(days) // 10)
        bars.set_xticks(x[::step], [str(d)[5:] for d in days[::step]], fontsize=8)
        bars.set_ylabel(f"{strategy.value}: per day", color="#d62728")
        twin = bars.twinx()
        twin.plot(
            x,
            [ref_day.get(str(d), 0) for d in days],
            color="#808080",
            linewidth=1,
            label="no baseline: every detection (right axis)",
        )
        twin.set_ylim(bottom=0)
        twin.set_ylabel("no baseline: per day", color="#808080")
        bars.set_title("suspected breaches (incidents) per day", fontsize=9)
        handles = [*bars.get_legend_handles_labels()[0], *twin.get_legend_handles_labels()[0]]
        bars.legend(handles=handles, fontsize=8, loc="upper right")
    figure.suptitle(
        f"Replay of a hypothetical ceasefire from {REPLAY_FROM.date()} along the line of "
        f"contact of that day: NASA FIRMS VIIRS NOAA-20, {batch.day.min()} to {batch.day.max()}"
        " (one source type: suspected breaches only)"
    )
    figure.text(
        0.99,
        0.005,
        "Data: NASA FIRMS; line and occupied area: DeepStateMap; regions via the war-fire-model",
        ha="right",
        fontsize=7,
    )
    path = _out() / "thermal_replay_2025.png"
    figure.savefig(path, bbox_inches="tight")
    plt.close(figure)
    return path


def run(smoke: bool = False) -> dict[str, Any]:
    """Build time and size of the baseline; leave-one-year-out false-alarm rates; labels of
    the war years; the 2025 replay. `smoke`: two normal years, one war year, five days."""
    years = (2020, 2021) if smoke else NORMAL_YEARS
    war = (2022,) if smoke else WAR_YEARS
    out = _out()
    started = time.perf_counter()
    history = _history(years)
    model = _build(history, years)
    build_seconds = time.perf_counter() - started
    path = out / "thermal-baseline.npz"
    size = save(model, path)
    started = time.perf_counter()
    load(path)
    load_seconds = time.perf_counter() - started
    results: dict[str, Any] = {
        "normal_years": list(years),
        "baseline_build_seconds": round(build_seconds, 2),
        "baseline_load_seconds": round(load_seconds, 2),
        "baseline_bytes": size,
        "history_detections": len(history),
    }
    if not smoke:
        loyo: dict[str, Any] = {}
        year_of = history.years()
        for year in years:
            others = tuple(y for y in years if y != year)
            loyo[str(year)] = _shares(
                _build(history.take(year_of != year), others), history.take(year_of == year)
            )
        results["leave_one_year_out"] = loyo
        results["in_sample_2021"] = _shares(model, history.take(year_of == 2021))
    war_results: dict[str, Any] = {}
    for year in war:
        batch = read_detections(HISTORY / f"ukr_fire_data_{year}.csv")
        entry: dict[str, Any] = {"detections": len(batch)}
        for strategy in Strategy:
            started = time.perf_counter()
            result = classify(batch, model, strategy)
            seconds = time.perf_counter() - started
            flagged = int(result.anomalous.sum())
            entry[strategy.value] = {
                "anomalous": flagged,
                "normal": len(batch) - flagged,
                "share": round(flagged / len(batch), 4),
                "classify_seconds": round(seconds, 3),
            }
            write_labels(
                out / f"thermal_labels_{year}_{strategy.value}.csv",
                batch,
                result.labels,
                result.score,
            )
        war_results[str(year)] = entry
    results["war_years"] = war_results
    results["replay_2025"] = _replay(model, smoke)
    return results


if __name__ == "__main__":
    print(json.dumps(run("--smoke" in sys.argv[1:]), indent=2))
