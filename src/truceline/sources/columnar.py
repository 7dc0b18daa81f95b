"""Columnar reading of feed files straight into an `ObservationTable`.

The row adapters (`truceline.sources.firms`, `truceline.sources.csv_rows`) build one
validated `Observation` per row: right for the store, slow for millions of rows. The
columnar reader of NASA FIRMS CSV checks whole columns at once and builds the table's
columns directly:

- every check the row path makes is made for all rows of a column together (numbers
  with Python's own `float`, as the row path does; dates, times, satellites and
  confidence values once per distinct value);
- a row that fails any check, or that the columnar checks cannot vouch for, is handed to
  the row adapter, so that its rejection names the same field with the same reason;
- rows whose observation id repeats within the file are resolved by the row path's rule
  (`unique_by_id`);
- a file that is not plain UTF-8 CSV (quotes, bytes that are not UTF-8, a line longer than
  the row reader accepts) is read by the row path as a whole.

The result equals `ObservationTable.from_observations` of the row adapter's observations
(after turning away unregistered sources, as ingest does), with the same rejections. Truceline
CSV has no columnar reader yet: `read_table` reads it with the row adapter.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from truceline.errors import InputError
from truceline.observations.model import Credibility, Kind, Observation
from truceline.observations.table import (
    DOMAINS,
    KINDS,
    ObservationTable,
    grade_code,
    unique_by_id,
)
from truceline.sources.base import Adapter, Rejection, adapter_for, aware_utc, excerpt
from truceline.sources.delimited import BOM, MAX_LINE_BYTES, Row
from truceline.sources.fields import MAX_NUMBER_CHARS, FieldError
from truceline.sources.firms import (
    MAX_PIXEL_KM,
    MODIS_PIXEL_KM,
    SATELLITES,
    VIIRS_PIXEL_KM,
    FirmsAdapter,
    _Columns,
    _confidence,
    _instrument,
    _platform,
    _when,
    pixel_radius_m,
    rounded_degrees,
)
from truceline.sources.registry import Source, SourceRegistry

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

CHUNK_ROWS = 250_000
"""Lines checked at once."""
_ARCHIVE = "firms-archive"
_THERMAL = KINDS.index(Kind.THERMAL_ANOMALY)
_LAND = DOMAINS.index(next(d for d in DOMAINS if d.value == "land"))


@dataclass
class ColumnarRead:
    """What a columnar read of one file gave: the table of its accepted observations
    (each id once), every rejection, and counts as `IngestReport` gives them."""

    table: ObservationTable
    rejections: list[Rejection] = field(default_factory=list)
    rows_read: int = 0
    accepted: int = 0
    """Rows accepted, counting an id repeated within the file each time."""
    columnar_rows: int = 0
    """Rows decided in columns (the rest went through the row adapter)."""


@dataclass
class _Columns5:
    """Accepted rows of one chunk, as columns."""

    ids: list[str] = field(default_factory=list)
    lon: list[FloatArray] = field(default_factory=list)
    lat: list[FloatArray] = field(default_factory=list)
    t: list[FloatArray] = field(default_factory=list)
    time_unc: list[FloatArray] = field(default_factory=list)
    loc_unc: list[FloatArray] = field(default_factory=list)
    grade: list[npt.NDArray[np.int64]] = field(default_factory=list)
    source: list[str] = field(default_factory=list)
    line: list[npt.NDArray[np.int64]] = field(default_factory=list)


def read_table(
    path: Path,
    registry: SourceRegistry,
    *,
    received_at: datetime,
    adapter: str | None = None,
) -> ColumnarRead:
    """Read one feed file into a table: columnar for FIRMS CSV, by rows otherwise."""
    reader = adapter_for(path, adapter, registry=registry)
    if isinstance(reader, FirmsAdapter):
        return read_firms_table(path, registry, received_at=received_at)
    return _by_rows(reader, path, registry, aware_utc(received_at))


def _by_rows(
    reader: Adapter, path: Path, registry: SourceRegistry, received: datetime
) -> ColumnarRead:
    """The row adapter's result as a ColumnarRead (unregistered sources turned away)."""
    kept: list[Observation] = []
    rejections: list[Rejection] = []
    for item in reader.read(path, received_at=received):
        if isinstance(item, Observation) and item.source_id not in registry:
            item = reader.unknown_source(str(path), None, item.source_id, item.source_ref)
        if isinstance(item, Rejection):
            rejections.append(item)
        else:
            kept.append(item)
    table = ObservationTable.from_observations(kept, registry)
    return ColumnarRead(table, rejections, len(kept) + len(rejections), len(kept), 0)


@dataclass(frozen=True)
class _Text:
    """A plain file's lines in chunks, the number of its last line, and whether that
    line ends with a newline."""

    chunks: list[tuple[int, list[str]]]
    last_line: int
    ends_with_newline: bool


def _lines(path: Path) -> _Text | None:
    """The file's lines in chunks; None when the file is not plain (not UTF-8, a quote, a
    line that may be too long): the row path reads those."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    ends_with_newline = data.endswith(b"\n")
    if data.startswith(BOM):
        data = data[len(BOM) :]
    if b'"' in data:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    del data
    lines = text.split("\n")
    del text
    if lines and lines[-1] == "":
        lines.pop()
    if lines and 4 * max(map(len, lines)) + 1 > MAX_LINE_BYTES:
        return None
    size = max(1, CHUNK_ROWS)
    chunks = [(start + 1, lines[start : start + size]) for start in range(0, len(lines), size)]
    return _Text(chunks, len(lines), ends_with_newline)


def _floats(column: list[str]) -> tuple[FloatArray, BoolArray]:
    """Python `float` of every cell (as the row path), NaN and False where it fails."""
    try:
        return np.fromiter(map(float, column), dtype=np.float64, count=len(column)), np.ones(
            len(column), dtype=np.bool_
        )
    except ValueError:
        values = np.full(len(column), np.nan)
        ok = np.zeros(len(column), dtype=np.bool_)
        for k, cell in enumerate(column):
            try:
                values[k] = float(cell)
                ok[k] = True
            except ValueError:
                pass
        return values, ok


def _five_decimals(text: str) -> str | None:
    """`rounded_degrees` of a plain decimal of at most six decimals, the sixth not a 5
    (no tie); None otherwise (the caller then asks `rounded_degrees`)."""
    body = text[1:] if text[:1] == "-" else text
    whole, dot, fraction = body.partition(".")
    if not (whole.isdigit() and whole.isascii()) or len(fraction) > 6:
        return None
    if dot and not (fraction.isdigit() and fraction.isascii()):
        return None
    units = int(whole + fraction[:5].ljust(5, "0"))
    if len(fraction) == 6:
        if fraction[5] == "5":
            return None
        units += fraction[5] > "5"
    value = f"{units // 100_000}.{units % 100_000:05d}"
    return "-" + value if text[:1] == "-" and units else value


def _rounded(column: list[str]) -> tuple[list[str], BoolArray]:
    """The coordinates as the source reference writes them, and where that worked."""
    out: list[str] = []
    ok = np.ones(len(column), dtype=np.bool_)
    for k, text in enumerate(column):
        fast = _five_decimals(text)
        if fast is None:
            try:
                fast = rounded_degrees(text)
            except ValueError:
                ok[k] = False
                fast = ""
        out.append(fast)
    return out, ok


def _numbers_ok(column: list[str]) -> tuple[FloatArray, BoolArray, BoolArray]:
    """A numeric attribute column: values, whether given, whether the row path accepts it."""
    stripped = [cell.strip() for cell in column]
    given = np.array([bool(cell) for cell in stripped], dtype=np.bool_)
    values, parsed = _floats([cell if cell else "0" for cell in stripped])
    short = np.array([len(cell) <= MAX_NUMBER_CHARS for cell in stripped], dtype=np.bool_)
    ok = ~given | (parsed & short & np.isfinite(values))
    return values, given, ok


def read_firms_table(
    path: Path, registry: SourceRegistry, *, received_at: datetime
) -> ColumnarRead:
    """Read a NASA FIRMS CSV file into a table, in columns (see the module doc)."""
    received = aware_utc(received_at)
    adapter = FirmsAdapter(registry)
    plain = _lines(path)
    if plain is None:
        return _by_rows(adapter, path, registry, received)
    file = str(path)
    header: list[str] | None = None
    columns: _Columns | None = None
    width = 0
    sources = {s.id: s for s in registry}
    times: dict[tuple[str, str], tuple[datetime, float, str]] = {}
    accepted = _Columns5()
    rejections: list[tuple[int, Rejection]] = []
    rows_read = accepted_rows = columnar = 0
    row_path: list[tuple[Row, int]] = []
    for first, lines in plain.chunks:
        numbers = np.arange(first, first + len(lines))
        keep = [k for k, line in enumerate(lines) if line.rstrip("\r").strip()]
        texts = [lines[k].rstrip("\r") for k in keep]
        line_no = numbers[keep]
        if header is None:
            if not texts:
                continue
            header = texts[0].split(",")
            columns = _Columns.of(header, file)
            width = len(header)
            texts, line_no = texts[1:], line_no[1:]
        assert columns is not None
        split = [text.split(",") for text in texts]
        good_width = np.array([len(f) == width for f in split], dtype=np.bool_)
        for k in np.flatnonzero(~good_width).tolist():
            reason = f"expected {width} fields as in the header, got {len(split[k])}"
            if int(line_no[k]) == plain.last_line and not plain.ends_with_newline:
                reason += " (the file seems cut off in this last line)"
            rejections.append(
                (int(line_no[k]), Rejection(file, int(line_no[k]), None, reason, excerpt(texts[k])))
            )
        rows_read += len(texts)
        index = np.flatnonzero(good_width)
        rows = [split[k] for k in index.tolist()]
        row_texts = [texts[k] for k in index.tolist()]
        row_lines = line_no[index]
        if not rows:
            continue
        ok, values = _check_chunk(rows, columns, sources, received)
        for k in np.flatnonzero(~ok).tolist():
            row_path.append((Row(int(row_lines[k]), rows[k], row_texts[k]), int(row_lines[k])))
        good = np.flatnonzero(ok)
        columnar += len(good)
        accepted_rows += len(good)
        accepted.ids.extend(values["ids"][k] for k in good.tolist())
        accepted.source.extend(values["source"][k] for k in good.tolist())
        for name in ("lon", "lat", "t", "time_unc", "loc_unc", "grade"):
            getattr(accepted, name).append(values[name][good])
        accepted.line.append(row_lines[good])

    if header is None:
        raise InputError(f"{file}: the file is empty; expected a header row with column names")
    assert columns is not None
    extra: list[Observation] = []
    for row, number in row_path:
        item = _row_item(adapter, file, row, columns, received, times, sources)
        if isinstance(item, Rejection):
            rejections.append((number, item))
        else:
            extra.append(item)
            accepted_rows += 1
    rejections.sort(key=lambda pair: pair[0])
    table = _table(accepted, extra, registry, adapter, file, columns, received, times, sources)
    return ColumnarRead(
        table=table,
        rejections=[r for _, r in rejections],
        rows_read=rows_read,
        accepted=accepted_rows,
        columnar_rows=columnar,
    )


def _row_item(
    adapter: FirmsAdapter,
    file: str,
    row: Row,
    columns: _Columns,
    received: datetime,
    times: dict[tuple[str, str], tuple[datetime, float, str]],
    sources: dict[str, Source],
) -> Observation | Rejection:
    """What the row path makes of one row (an observation or its rejection)."""
    from pydantic import ValidationError

    from truceline.sources.readable import rejection_from

    try:
        return adapter._observation(file, row, columns, received, times, sources)
    except FieldError as bad:
        return Rejection(file, row.line, bad.field, bad.reason, excerpt(row.text))
    except ValidationError as exc:
        return rejection_from(exc, file=file, line=row.line, text=row.text)


def _cells(rows: list[list[str]], index: int | None) -> list[str]:
    if index is None:
        return [""] * len(rows)
    return [r[index] for r in rows]


def _check_chunk(
    rows: list[list[str]],
    columns: _Columns,
    sources: dict[str, Source],
    received: datetime,
) -> tuple[BoolArray, dict[str, npt.NDArray[np.generic] | list[str]]]:
    """Which rows the columnar path accepts, and their values (meaningful where accepted)."""
    n = len(rows)
    lat_text, lon_text = _cells(rows, columns.lat), _cells(rows, columns.lon)
    lat, lat_ok = _floats(lat_text)
    lon, lon_ok = _floats(lon_text)
    ok = lat_ok & lon_ok & (np.abs(lat) <= 90.0) & (np.abs(lon) <= 180.0)
    lat5, lat5_ok = _rounded(lat_text)
    lon5, lon5_ok = _rounded(lon_text)
    ok &= lat5_ok & lon5_ok

    days = [cell.strip() for cell in _cells(rows, columns.day)]
    clocks = [cell.strip() for cell in _cells(rows, columns.time)]
    # Dates and times: each distinct pair checked once, then looked up per row.
    moments = list(zip(days, clocks, strict=True))
    code_of: dict[tuple[str, str], int] = {}
    when_t: list[float] = []
    when_u: list[float] = []
    when_ok: list[bool] = []
    when_hhmm: list[str] = []
    for pair in set(moments):
        try:
            moment, uncertainty, normal = _when(pair[0], pair[1], received)
            when_t.append(moment.timestamp())
            when_u.append(uncertainty)
            when_ok.append(True)
            when_hhmm.append(normal)
        except (FieldError, OverflowError):
            when_t.append(0.0)
            when_u.append(0.0)
            when_ok.append(False)
            when_hhmm.append("")
        code_of[pair] = len(when_t) - 1
    code = np.fromiter(map(code_of.__getitem__, moments), dtype=np.int64, count=n)
    t = np.array(when_t)[code] if n else np.zeros(0)
    time_unc = np.array(when_u)[code] if n else np.zeros(0)
    ok &= np.array(when_ok, dtype=np.bool_)[code] if n else ok
    hhmm = [when_hhmm[c] for c in code.tolist()]

    satellites = [cell.strip() for cell in _cells(rows, columns.satellite)]
    source_of: dict[str, str | None] = {}
    for value in set(satellites):
        if not value:
            source_of[value] = _ARCHIVE
        else:
            source_of[value] = SATELLITES.get(value.upper().replace(" ", "").replace("-", ""))
    source_ids = [source_of[s] or "" for s in satellites]
    ok &= np.array([sid in sources for sid in source_ids], dtype=np.bool_)

    attributes: dict[str, tuple[FloatArray, BoolArray]] = {}
    for name, i in columns.numeric:
        values, given, fine = _numbers_ok(_cells(rows, i))
        ok &= fine
        attributes[name] = (values, given)
    named_instrument: list[str] = [""] * n
    for name, i in columns.text:
        cells = [cell.strip() for cell in _cells(rows, i)]
        ok &= np.array([len(cell) <= 200 for cell in cells], dtype=np.bool_)
        if name == "instrument":
            named_instrument = cells
    if columns.type is not None:
        kinds = [cell.strip() for cell in _cells(rows, columns.type)]
        ok &= np.array([kind in ("", "0", "1", "2", "3") for kind in kinds], dtype=np.bool_)

    credibility = np.array(
        [int(sources[sid].credibility) if sid in sources else 6 for sid in source_ids]
    )
    if columns.confidence is not None:
        confidence_of: dict[str, int | None] = {}
        cells = [cell.strip() for cell in _cells(rows, columns.confidence)]
        for value in set(cells):
            try:
                confidence_of[value] = int(_confidence(value)[0]) if value else 0
            except FieldError:
                confidence_of[value] = None
        parsed = [confidence_of[cell] for cell in cells]
        ok &= np.array([p is not None for p in parsed], dtype=np.bool_)
        credibility = np.where(
            np.array([p or 0 for p in parsed]) > 0, np.array([p or 0 for p in parsed]), credibility
        )

    radius = np.zeros(n)
    scan = attributes.get("scan")
    track = attributes.get("track")
    both = np.zeros(n, dtype=np.bool_)
    if scan is not None and track is not None:
        both = scan[1] & track[1]
        for size in (scan[0], track[0]):
            ok &= ~both | ((size > 0.0) & (size <= MAX_PIXEL_KM))
        pairs: dict[tuple[float, float], float] = {}
        for k in np.flatnonzero(both & ok).tolist():
            size_pair = (float(scan[0][k]), float(track[0][k]))
            if size_pair not in pairs:
                pairs[size_pair] = pixel_radius_m(*size_pair)
            radius[k] = pairs[size_pair]
    default: dict[tuple[str, str], float] = {}
    for k in np.flatnonzero(~both & ok).tolist():
        key = (source_ids[k], named_instrument[k])
        if key not in default:
            upper = key[1].upper() if key[1] else None
            instrument = _instrument(key[0], upper) or columns.instrument
            side = VIIRS_PIXEL_KM if instrument == "VIIRS" else MODIS_PIXEL_KM
            default[key] = pixel_radius_m(side, side)
        radius[k] = default[key]

    grades = np.zeros(n, dtype=np.int64)
    ids: list[str] = [""] * n
    grade_of: dict[tuple[str, int], int] = {}
    for k in np.flatnonzero(ok).tolist():
        sid = source_ids[k]
        graded = (sid, int(credibility[k]))
        if graded not in grade_of:
            grade_of[graded] = grade_code(sources[sid].reliability, _credibility(graded[1]))
        grades[k] = grade_of[graded]
        detection = f"{lat5[k]}|{lon5[k]}|{days[k]}|{hhmm[k]}|{_platform(satellites[k], sid)}"
        ref = hashlib.sha256(detection.encode()).hexdigest()[:32]
        digest = hashlib.sha256(f"{sid}\x1f{ref}".encode()).hexdigest()
        ids[k] = f"obs-{digest[:24]}"
    return ok, {
        "ids": ids,
        "source": source_ids,
        "lon": lon,
        "lat": lat,
        "t": t,
        "time_unc": time_unc,
        "loc_unc": radius,
        "grade": grades,
    }


def _credibility(value: int) -> Credibility:
    return Credibility(value)


def _table(
    accepted: _Columns5,
    extra: list[Observation],
    registry: SourceRegistry,
    adapter: FirmsAdapter,
    file: str,
    columns: _Columns,
    received: datetime,
    times: dict[tuple[str, str], tuple[datetime, float, str]],
    sources: dict[str, Source],
) -> ObservationTable:
    """The table of the accepted rows (columnar ones and row-path ones), each id once."""
    ids = np.array(accepted.ids + [o.id for o in extra], dtype=str)
    cat = {
        name: np.concatenate([*getattr(accepted, name), np.empty(0)])
        for name in ("lon", "lat", "t", "time_unc", "loc_unc")
    }
    grade = np.concatenate([*accepted.grade, np.empty(0, np.int64)])
    source_names = accepted.source + [o.source_id for o in extra]
    extra_table = ObservationTable.from_observations(extra, registry) if extra else None
    if extra_table is not None:
        # from_observations keeps one per id; each extra observation takes its id's row.
        position = {key: k for k, key in enumerate(extra_table.ids.tolist())}
        rows = [position[o.id] for o in extra]
        for name in cat:
            cat[name] = np.concatenate(
                [cat[name][: len(accepted.ids)], getattr(extra_table, name)[rows]]
            )
        grade = np.concatenate([grade, extra_table.grade[rows].astype(np.int64)])
    n = len(ids)
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    repeated = np.zeros(n, dtype=np.bool_)
    if n > 1:
        same = sorted_ids[1:] == sorted_ids[:-1]
        repeated[1:] |= same
        repeated[:-1] |= same
    keep_sorted = ~repeated
    chosen: list[int] = []
    if repeated.any():
        # The same detection twice in a file: the row path's rule chooses which is kept.
        lines = np.concatenate([*accepted.line, np.full(len(extra), -1, np.int64)])
        groups: dict[str, list[int]] = {}
        for k in order[repeated].tolist():
            groups.setdefault(str(ids[k]), []).append(k)
        wanted = {
            int(lines[k]) for members in groups.values() for k in members if k < len(accepted.ids)
        }
        again = _reread(adapter, file, wanted, columns, received, times, sources)
        for members in groups.values():
            made = {
                k: extra[k - len(accepted.ids)] if k >= len(accepted.ids) else again[int(lines[k])]
                for k in members
            }
            winner = next(iter(unique_by_id(made[k] for k in members).values()))
            chosen.append(next(k for k in members if made[k] is winner))
    picked = np.sort(np.concatenate([order[keep_sorted], np.array(chosen, dtype=np.int64)]))
    picked = picked[np.argsort(ids[picked], kind="stable")]
    used = sorted({source_names[k] for k in picked.tolist()})
    registered = [registry.get(s) for s in used]
    groups_vocab = sorted({s.independence_group for s in registered})
    parties = sorted({s.party for s in registered if s.party is not None})
    source_code = {s: i for i, s in enumerate(used)}
    party_code: dict[str | None, int] = {p: i for i, p in enumerate(parties)}
    of_source = {s.id: s for s in registered}
    names = [source_names[k] for k in picked.tolist()]
    return ObservationTable(
        ids=ids[picked],
        lon=cat["lon"][picked],
        lat=cat["lat"][picked],
        t=cat["t"][picked],
        time_unc=cat["time_unc"][picked],
        loc_unc=cat["loc_unc"][picked],
        kind=np.full(len(picked), _THERMAL, dtype=np.int8),
        domain=np.full(len(picked), _LAND, dtype=np.int8),
        grade=grade[picked].astype(np.int8),
        source=np.array([source_code[s] for s in names], dtype=np.int32),
        group=np.array(
            [groups_vocab.index(of_source[s].independence_group) for s in used], dtype=np.int32
        )[np.array([source_code[s] for s in names], dtype=np.int64)]
        if len(picked)
        else np.empty(0, np.int32),
        is_party=np.array([of_source[s].is_party_channel for s in names], dtype=np.bool_),
        party=np.array([party_code.get(of_source[s].party, -1) for s in names], dtype=np.int32),
        weapon=np.full(len(picked), -1, dtype=np.int32),
        calibre=np.full(len(picked), math.nan),
        origin_lon=np.full(len(picked), math.nan),
        origin_lat=np.full(len(picked), math.nan),
        bearing=np.full(len(picked), math.nan),
        sources=tuple(used),
        groups=tuple(groups_vocab),
        parties=tuple(parties),
        weapon_classes=(),
    )


def _reread(
    adapter: FirmsAdapter,
    file: str,
    numbers: set[int],
    columns: _Columns,
    received: datetime,
    times: dict[tuple[str, str], tuple[datetime, float, str]],
    sources: dict[str, Source],
) -> dict[int, Observation]:
    """The row path's observations of some lines of the file (rows accepted in columns)."""
    found: dict[int, Observation] = {}
    with open(file, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if number not in numbers:
                continue
            text = raw.decode("utf-8").removeprefix("\ufeff").rstrip("\r\n")
            row = Row(number, text.split(","), text)
            item = _row_item(adapter, file, row, columns, received, times, sources)
            if not isinstance(item, Observation):
                raise InputError(f"{file}, line {number}: changed while it was read; read it again")
            found[number] = item
    return found


__all__ = ["ColumnarRead", "read_firms_table", "read_table"]
