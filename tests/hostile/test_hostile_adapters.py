"""Fuzzing every adapter: arbitrary bytes and structured-but-wrong records.

Whatever the file holds, an adapter yields observations and rejections, or refuses the whole
file with an InputError; it never raises anything else, and every rejection says why and
where. Sizes are bounded (hypothesis examples of at most a few KiB), so nothing can hang.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hostile_support import ADAPTERS, Outcome, assert_explained, read_with
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

SUFFIXES = {"firms": ".csv", "csv": ".csv", "geojson": ".geojson"}


def read_bytes(name: str, data: bytes) -> Outcome:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{SUFFIXES.get(name, '.txt')}"
        path.write_bytes(data)
        outcome = read_with(name, path)
    assert_explained(outcome)
    return outcome


def test_every_adapter_is_fuzzed() -> None:
    """A new adapter is fuzzed too: the tests cover every installed one."""
    assert set(ADAPTERS) >= {"csv", "firms", "geojson"}
    assert set(ADAPTERS) <= set(SUFFIXES), "give the new adapter a file suffix in SUFFIXES"


@pytest.mark.parametrize("name", ADAPTERS)
@FUZZ
@given(data=st.binary(max_size=2048))
def test_arbitrary_bytes(name: str, data: bytes) -> None:
    read_bytes(name, data)


# --- structured but wrong -------------------------------------------------------------

HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "\x00",
            "uav-1\u202e",
            "uav\u200b-1",
            "\ufeffuav-1",
            "1e999",
            "-1e999",
            "nan",
            "inf",
            "9" * 5000,
            "0x1p10",
            "2025-09-01T10:00:00",
            "2025-02-30T10:00:00Z",
            "9999-12-31T23:59:59-23:59",
            "0001-01-01T00:00:00+23:59",
            '"quoted""',
            "../../etc/passwd",
            "file:///etc/shadow",
            "\u0430\u0440\u0435",  # Cyrillic look-alikes of Latin letters
            "explosion",
            "37.5",
            "48.1",
            "uav-1",
        ]
    ),
)


def csv_cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


@FUZZ
@given(rows=st.lists(st.lists(HOSTILE_TEXT, min_size=0, max_size=9), max_size=8))
def test_truceline_csv_wrong_rows(rows: list[list[str]]) -> None:
    header = (
        "source_id,source_ref,observed_at,lon,lat,kind,weapon_class,calibre_mm,evidence_uri,"
        "evidence_sha256\n"
    )
    body = "".join(",".join(csv_cell(c) for c in row) + "\n" for row in rows)
    outcome = read_bytes("csv", (header + body).encode("utf-8", "surrogatepass"))
    assert outcome.refused is None
    # a record is one physical line: a cell holding a line break makes more records
    assert len(outcome.observations) + len(outcome.rejections) <= len(body.splitlines())


@FUZZ
@given(rows=st.lists(st.lists(HOSTILE_TEXT, min_size=0, max_size=8), max_size=8))
def test_firms_wrong_rows(rows: list[list[str]]) -> None:
    header = "latitude,longitude,acq_date,acq_time,confidence,frp,satellite,daynight\n"
    body = "".join(",".join(csv_cell(c) for c in row) + "\n" for row in rows)
    outcome = read_bytes("firms", (header + body).encode("utf-8", "surrogatepass"))
    assert outcome.refused is None
    # a record is one physical line: a cell holding a line break makes more records
    assert len(outcome.observations) + len(outcome.rejections) <= len(body.splitlines())


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | HOSTILE_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(HOSTILE_TEXT, inner, max_size=4),
    max_leaves=20,
)

PROPERTIES = st.fixed_dictionaries(
    {},
    optional={
        key: JSON_VALUES
        for key in (
            "source_id",
            "source_ref",
            "observed_at",
            "kind",
            "evidence",
            "calibre_mm",
            "releasability",
            "location_uncertainty_m",
        )
    },
)

FEATURES = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["Feature", "feature", 1]) | JSON_VALUES,
        "geometry": st.fixed_dictionaries(
            {"type": st.just("Point") | JSON_VALUES, "coordinates": JSON_VALUES}
        )
        | JSON_VALUES,
        "properties": PROPERTIES | JSON_VALUES,
    }
)


@FUZZ
@given(features=st.lists(FEATURES | JSON_VALUES, max_size=6))
def test_geojson_wrong_features(features: list[Any]) -> None:
    document = {"type": "FeatureCollection", "features": features}
    text = json.dumps(document, ensure_ascii=False)
    outcome = read_bytes("geojson", text.encode("utf-8", "surrogatepass"))
    if outcome.refused is None:
        assert len(outcome.observations) + len(outcome.rejections) == len(features)
