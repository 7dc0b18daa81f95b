"""A simulated scenario on disk, in the formats Truceline's adapters read, and back.

`write_scenario` writes a folder that `truceline ingest` reads as it would real feeds
(thermal satellites as NASA FIRMS CSV, every other sensor as Truceline CSV, the source
registry as YAML), with the agreement, the parties' pre-notifications and what only a
simulation knows: the truth, the coverage gaps, which event each observation reports and
when it arrived. `manifest.json` lists every file with its SHA-256. `load_scenario` reads
the folder back into `ScenarioTables`, through the same adapters.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from truceline.agreement.geometry_files import feature_collection
from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.loader import load_agreement
from truceline.agreement.prenotification import PreNotification
from truceline.errors import InputError
from truceline.observations.model import Observation, SourceType
from truceline.observations.table import DOMAINS, KINDS, ObservationTable
from truceline.simulation.gaps import CoverageGap, GapReason
from truceline.simulation.reports import missing
from truceline.simulation.tables import ScenarioTables, TruthTable
from truceline.sources.base import Rejection
from truceline.sources.csv_rows import CsvAdapter
from truceline.sources.firms import FirmsAdapter
from truceline.sources.registry import Source, SourceRegistry

FORMAT = "truceline-scenario"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
AGREEMENT_DIR = "agreement"
AGREEMENT_FILE = "agreement.yaml"
FEEDS_DIR = "feeds"
SOURCES_FILE = "sources.yaml"
PRENOTIFICATIONS_FILE = "prenotifications.json"
TRUTH_FILE = "truth.csv"
GAPS_FILE = "coverage_gaps.csv"
LINKS_FILE = "links.csv"

Step = Callable[[str, int], None]
"""Told each file's name and the number of rows it will hold, before writing it."""
Advance = Callable[[int], None]
"""Told the number of rows just written."""

FIRMS_COLUMNS = (
    "latitude",
    "longitude",
    "scan",
    "track",
    "acq_date",
    "acq_time",
    "satellite",
    "instrument",
    "confidence",
    "frp",
    "daynight",
)
CSV_COLUMNS = (
    "source_id",
    "source_ref",
    "observed_at",
    "time_uncertainty_s",
    "lon",
    "lat",
    "location_uncertainty_m",
    "domain",
    "kind",
    "weapon_class",
    "calibre_mm",
)
TRUTH_COLUMNS = (
    "id",
    "category",
    "rule",
    "rules",
    "party",
    "kind",
    "time",
    "lon",
    "lat",
    "weapon_class",
    "domain",
    "victim",
    "origin_lon",
    "origin_lat",
    "prenotification_id",
    "distance_m",
    "along_m",
    "note",
)
GAP_COLUMNS = ("sensor", "source_id", "reason", "start", "end", "sector", "area_wkt")
LINK_COLUMNS = ("observation_id", "event_id", "received_at")


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _number(value: float) -> str:
    """A float as text that reads back to the same float; "" for NaN."""
    return "" if math.isnan(value) else repr(value)


def write_scenario(
    tables: ScenarioTables,
    out: Path,
    *,
    days: int,
    overwrite: bool = False,
    step: Step | None = None,
    advance: Advance | None = None,
) -> dict[str, Any]:
    """Write the scenario into the folder `out`; returns the manifest.

    Refuses (InputError, field `out`) a folder that holds files, unless `overwrite`; then
    only the files a scenario consists of are replaced.
    """
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is a file; give a folder for the scenario", field="out")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise InputError(
            f"{out} is not empty; pass --overwrite to replace the scenario in it, or choose "
            "another folder",
            field="out",
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / FEEDS_DIR).mkdir(exist_ok=True)
    if overwrite:
        for old in (out / FEEDS_DIR).glob("*.csv"):
            old.unlink()
    on_step = step or (lambda _name, _rows: None)
    on_rows = advance or (lambda _rows: None)
    files: list[str] = []
    files += _write_agreement(tables.loaded, out)
    _write_sources(tables.sources, out / SOURCES_FILE)
    files.append(SOURCES_FILE)
    files += _write_feeds(tables, out, on_step, on_rows)
    notices = [p.model_dump(mode="json") for p in tables.prenotifications]
    (out / PRENOTIFICATIONS_FILE).write_text(
        json.dumps(notices, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    files.append(PRENOTIFICATIONS_FILE)
    on_step(TRUTH_FILE, len(tables.truth))
    _write_rows(out / TRUTH_FILE, TRUTH_COLUMNS, _truth_rows(tables.truth), on_rows)
    on_step(GAPS_FILE, len(tables.coverage_gaps))
    _write_rows(out / GAPS_FILE, GAP_COLUMNS, _gap_rows(tables.coverage_gaps), on_rows)
    on_step(LINKS_FILE, len(tables.observations))
    _write_rows(out / LINKS_FILE, LINK_COLUMNS, _link_rows(tables), on_rows)
    files += [TRUTH_FILE, GAPS_FILE, LINKS_FILE]
    by_category = dict(zip(*np.unique(tables.truth.category, return_counts=True), strict=True))
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "agreement": f"{AGREEMENT_DIR}/{AGREEMENT_FILE}",
        "agreement_id": tables.loaded.agreement.id,
        "agreement_version": tables.loaded.agreement.version,
        "seed": tables.seed,
        "days": days,
        "start": _iso(tables.start.timestamp()),
        "end": _iso(tables.end.timestamp()),
        "intensity": tables.intensity,
        "counts": {
            "observations": len(tables.observations),
            "true_events": len(tables.truth),
            "true_events_by_category": {str(k): int(v) for k, v in sorted(by_category.items())},
            "prenotifications": len(tables.prenotifications),
            "coverage_gaps": len(tables.coverage_gaps),
            "sources": len(tables.sources),
        },
        "files": [
            {"path": name, "sha256": _sha256(out / name), "bytes": (out / name).stat().st_size}
            for name in sorted(files)
        ],
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_rows(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[str]], advance: Advance
) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        batch: list[Sequence[str]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= 50_000:
                writer.writerows(batch)
                advance(len(batch))
                batch = []
        writer.writerows(batch)
        advance(len(batch))


def _write_agreement(loaded: LoadedAgreement, out: Path) -> list[str]:
    """The agreement YAML and its geometry files, named inside the folder."""
    folder = out / AGREEMENT_DIR
    folder.mkdir(exist_ok=True)
    agreement = loaded.agreement
    held = {code: f"held_{code.lower()}.geojson" for code in agreement.line.held_areas}
    zones = {z.id: f"zone_{z.id.lower()}.geojson" for z in agreement.zones.exclusions}
    line = agreement.line.model_copy(update={"file": "line_of_contact.geojson", "held_areas": held})
    exclusions = [z.model_copy(update={"file": zones[z.id]}) for z in agreement.zones.exclusions]
    renamed = agreement.model_copy(
        update={
            "line": line,
            "zones": agreement.zones.model_copy(update={"exclusions": exclusions}),
        }
    )
    geometry = {"line_of_contact.geojson": (loaded.line, {"role": "line of contact"})}
    for code, name in held.items():
        geometry[name] = (loaded.held_areas[code], {"role": f"area held by {code}"})
    for zone_id, name in zones.items():
        geometry[name] = (loaded.exclusions[zone_id], {"role": f"exclusion zone {zone_id}"})
    written = []
    for name, (shape, properties) in sorted(geometry.items()):
        text = json.dumps(feature_collection(shape, properties), separators=(",", ":"))
        (folder / name).write_text(text + "\n", encoding="utf-8")
        written.append(f"{AGREEMENT_DIR}/{name}")
    document = renamed.model_dump(mode="json", exclude_none=True)
    text = "# Written by `truceline simulate`: the agreement the scenario was simulated under.\n"
    text += yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    (folder / AGREEMENT_FILE).write_text(text, encoding="utf-8")
    written.append(f"{AGREEMENT_DIR}/{AGREEMENT_FILE}")
    return written


def _write_sources(sources: Sequence[Source], path: Path) -> None:
    entries = [s.model_dump(mode="json", exclude_none=True) for s in sources]
    text = "# Every source of the scenario (docs/formats.md, the source registry).\n"
    text += yaml.safe_dump(entries, sort_keys=False, allow_unicode=True)
    path.write_text(text, encoding="utf-8")


def _feed_name(source: Source) -> str:
    if source.type is SourceType.SATELLITE_THERMAL:
        return f"firms_{source.id.removeprefix('firms-').replace('-', '_')}.csv"
    return f"{source.type.value}.csv"


def _write_feeds(tables: ScenarioTables, out: Path, step: Step, advance: Advance) -> list[str]:
    """One file per feed, rows in the order they arrived (then by id)."""
    table = tables.observations
    by_id = {s.id: s for s in tables.sources}
    feed_of_source = np.array([_feed_name(by_id[s]) for s in table.sources], dtype=object)
    feeds = feed_of_source[table.source] if len(table) else np.empty(0, dtype=object)
    order = np.lexsort((table.ids, tables.received_t))
    written = []
    for name in sorted(set(feeds.tolist())):
        rows = order[feeds[order] == name]
        step(f"{FEEDS_DIR}/{name}", rows.size)
        path = out / FEEDS_DIR / name
        if name.startswith("firms_"):
            _write_rows(path, FIRMS_COLUMNS, _firms_rows(tables, rows), advance)
        else:
            header, produced = _csv_rows(tables, rows)
            _write_rows(path, header, produced, advance)
        written.append(f"{FEEDS_DIR}/{name}")
    return written


def _attribute_text(column: np.ndarray, rows: np.ndarray) -> list[str]:
    values = column[rows]
    if column.dtype == np.float64:
        return [_number(v) for v in values.tolist()]
    return [str(v) for v in values.tolist()]


def _firms_rows(tables: ScenarioTables, rows: np.ndarray) -> Iterator[list[str]]:
    table, attrs = tables.observations, tables.attributes
    columns = {
        name: _attribute_text(attrs[name], rows)
        for name in ("satellite", "instrument", "confidence", "daynight")
    }
    scan = attrs["scan"][rows].tolist()
    track = attrs["track"][rows].tolist()
    frp = attrs["frp"][rows].tolist()
    for j, (lat, lon, t) in enumerate(
        zip(table.lat[rows].tolist(), table.lon[rows].tolist(), table.t[rows].tolist(), strict=True)
    ):
        when = datetime.fromtimestamp(t, tz=UTC)
        yield [
            f"{lat:.5f}",
            f"{lon:.5f}",
            f"{scan[j]:.2f}",
            f"{track[j]:.2f}",
            when.strftime("%Y-%m-%d"),
            when.strftime("%H%M"),
            columns["satellite"][j],
            columns["instrument"][j],
            columns["confidence"][j],
            f"{frp[j]:.1f}",
            columns["daynight"][j],
        ]


def _csv_rows(tables: ScenarioTables, rows: np.ndarray) -> tuple[list[str], Iterator[list[str]]]:
    table, attrs = tables.observations, tables.attributes
    present = [
        name
        for name, column in sorted(attrs.items())
        if rows.size and not bool(missing(column[rows]).all())
    ]
    header = [*CSV_COLUMNS, *(f"attr_{name}" for name in present)]
    extra = [_attribute_text(attrs[name], rows) for name in present]
    weapons = ["", *table.weapon_classes]

    def produce() -> Iterator[list[str]]:
        for j, i in enumerate(rows.tolist()):
            yield [
                table.sources[table.source[i]],
                str(tables.source_refs[i]),
                _iso(float(table.t[i])),
                repr(float(table.time_unc[i])),
                repr(float(table.lon[i])),
                repr(float(table.lat[i])),
                repr(float(table.loc_unc[i])),
                DOMAINS[table.domain[i]].value,
                KINDS[table.kind[i]].value,
                weapons[table.weapon[i] + 1],
                _number(float(table.calibre[i])),
                *(column[j] for column in extra),
            ]

    return header, produce()


def _truth_rows(truth: TruthTable) -> Iterator[list[str]]:
    for i in range(len(truth)):
        yield [
            str(truth.ids[i]),
            str(truth.category[i]),
            str(truth.rule[i]),
            str(truth.rules[i]),
            str(truth.party[i]),
            str(truth.kind[i]),
            _iso(float(truth.t[i])),
            _number(float(truth.lon[i])),
            _number(float(truth.lat[i])),
            str(truth.weapon_class[i]),
            str(truth.domain[i]),
            str(truth.victim[i]),
            _number(float(truth.origin_lon[i])),
            _number(float(truth.origin_lat[i])),
            str(truth.prenotification_id[i]),
            _number(float(truth.distance_m[i])),
            _number(float(truth.along_m[i])),
            str(truth.note[i]),
        ]


def _gap_rows(gaps: Sequence[CoverageGap]) -> Iterator[list[str]]:
    for g in gaps:
        yield [
            g.sensor,
            g.source_id,
            g.reason.value,
            _iso(g.start.timestamp()),
            _iso(g.end.timestamp()),
            g.sector,
            g.area,
        ]


def _link_rows(tables: ScenarioTables) -> Iterator[list[str]]:
    events = tables.truth.ids[tables.event_index].tolist()
    for oid, event, received in zip(
        tables.observations.ids.tolist(), events, tables.received_t.tolist(), strict=True
    ):
        yield [oid, event, _iso(received)]


# Reading back ---------------------------------------------------------------------------------


def load_scenario(folder: Path) -> ScenarioTables:
    """Read a scenario folder written by `write_scenario` (or `truceline simulate`).

    Every file of the manifest must be present with its SHA-256; the feeds are read by the
    FIRMS and Truceline CSV adapters, so the observations are exactly what `truceline
    ingest` stores. Raises InputError naming the file when anything does not match.
    """
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise InputError(
            f"{folder}: no {MANIFEST}; give a folder written by `truceline simulate`",
            field="folder",
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise InputError(
            f"{manifest_path}: not a scenario manifest of format {FORMAT} {FORMAT_VERSION}",
            field="format",
        )
    for entry in manifest["files"]:
        path = folder / entry["path"]
        if not path.is_file():
            raise InputError(f"{path}: listed in the manifest but missing", field="files")
        if _sha256(path) != entry["sha256"]:
            raise InputError(
                f"{path}: its SHA-256 differs from the manifest's; the file was changed after "
                "it was written",
                field="files",
            )
    loaded = load_agreement(folder / manifest["agreement"])
    registry = SourceRegistry.from_yaml(folder / SOURCES_FILE, with_builtin=False)
    sources = sorted(registry, key=lambda s: s.id)
    end = datetime.fromisoformat(manifest["end"])
    observations = _read_feeds(folder, registry, end + timedelta(days=30))
    table = ObservationTable.from_observations(observations, registry)
    by_id = {o.id: o for o in observations}
    truth = _read_truth(folder / TRUTH_FILE)
    links = _read_csv(folder / LINKS_FILE, LINK_COLUMNS)
    link_of = {row[0]: row for row in links}
    if set(link_of) != set(by_id):
        raise InputError(
            f"{folder / LINKS_FILE}: does not list exactly the observations of the feeds",
            field="observation_id",
        )
    ordered = [link_of[str(i)] for i in table.ids.tolist()]
    event_ids = np.array([row[1] for row in ordered], dtype=str)
    event_index = np.searchsorted(truth.ids, event_ids).astype(np.int32)
    received = np.array(
        [datetime.fromisoformat(row[2]).timestamp() for row in ordered], dtype=np.float64
    )
    notices = json.loads((folder / PRENOTIFICATIONS_FILE).read_text(encoding="utf-8"))
    return ScenarioTables(
        loaded=loaded,
        sources=sources,
        observations=table,
        received_t=received,
        event_index=event_index,
        truth=truth,
        prenotifications=[PreNotification.model_validate(n) for n in notices],
        coverage_gaps=[
            CoverageGap(
                sensor=row[0],
                source_id=row[1],
                reason=GapReason(row[2]),
                start=datetime.fromisoformat(row[3]),
                end=datetime.fromisoformat(row[4]),
                sector=row[5],
                area=row[6],
            )
            for row in _read_csv(folder / GAPS_FILE, GAP_COLUMNS)
        ],
        start=datetime.fromisoformat(manifest["start"]),
        end=end,
        seed=int(manifest["seed"]),
        source_refs=np.array([by_id[str(i)].source_ref for i in table.ids.tolist()], dtype=str),
        attributes=_attribute_columns([by_id[str(i)] for i in table.ids.tolist()]),
        intensity=float(manifest["intensity"]),
    )


def _read_feeds(folder: Path, registry: SourceRegistry, received: datetime) -> list[Observation]:
    observations: list[Observation] = []
    for path in sorted((folder / FEEDS_DIR).glob("*.csv")):
        adapter = (FirmsAdapter if path.name.startswith("firms_") else CsvAdapter)(registry)
        for item in adapter.read(path, received_at=received):
            if isinstance(item, Rejection):
                raise InputError(
                    f"{item.file}, line {item.line}, field {item.field!r}: {item.reason}",
                    field=item.field,
                )
            observations.append(item)
    return observations


def _read_csv(path: Path, header: Sequence[str]) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        first = next(reader, None)
        if first is None or tuple(first) != tuple(header):
            raise InputError(f"{path}: expected the header {','.join(header)}", field=path.name)
        return list(reader)


def _floats(values: list[str]) -> np.ndarray:
    return np.array([float(v) if v else math.nan for v in values], dtype=np.float64)


def _read_truth(path: Path) -> TruthTable:
    rows = _read_csv(path, TRUTH_COLUMNS)
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in TRUTH_COLUMNS]
    by_name = {name: list(column) for name, column in zip(TRUTH_COLUMNS, columns, strict=True)}

    def text(name: str) -> np.ndarray:
        return np.array(by_name[name], dtype=str) if by_name[name] else np.empty(0, dtype=str)

    note = np.empty(len(rows), dtype=object)
    note[:] = by_name["note"]
    return TruthTable(
        ids=text("id"),
        category=text("category"),
        rule=text("rule"),
        rules=text("rules"),
        party=text("party"),
        kind=text("kind"),
        t=np.array(
            [datetime.fromisoformat(v).timestamp() for v in by_name["time"]], dtype=np.float64
        ),
        lon=_floats(by_name["lon"]),
        lat=_floats(by_name["lat"]),
        weapon_class=text("weapon_class"),
        domain=text("domain"),
        victim=text("victim"),
        origin_lon=_floats(by_name["origin_lon"]),
        origin_lat=_floats(by_name["origin_lat"]),
        prenotification_id=text("prenotification_id"),
        distance_m=_floats(by_name["distance_m"]),
        along_m=_floats(by_name["along_m"]),
        note=note,
    )


def _attribute_columns(observations: Sequence[Observation]) -> dict[str, np.ndarray]:
    """Attributes as columns: float where every value is a number, str otherwise."""
    names = sorted({k for o in observations for k in o.attributes})
    out: dict[str, np.ndarray] = {}
    for name in names:
        values = [o.attributes.get(name) for o in observations]
        numeric = all(
            v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in values
        )
        if numeric:
            out[name] = np.array(
                [math.nan if v is None else float(v) for v in values], dtype=np.float64
            )
        else:
            column = np.empty(len(values), dtype=object)
            column[:] = ["" if v is None else str(v) for v in values]
            out[name] = column
    return out
