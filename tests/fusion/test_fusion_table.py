"""ObservationTable: columns built from observations, sorted, deduplicated, validated."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest
from fusion_support import T0, obs, registry

from truceline.errors import InputError
from truceline.observations.model import Kind
from truceline.observations.table import GRADES, KINDS, ObservationTable, grade_code


def _assert_same(a: ObservationTable, b: ObservationTable) -> None:
    for name, value in vars(a).items():
        other = getattr(b, name)
        if isinstance(value, np.ndarray):
            assert value.dtype == other.dtype, name
            np.testing.assert_array_equal(value, other, err_msg=name)
        else:
            assert value == other, name


def test_rows_are_sorted_by_id_and_the_order_of_input_does_not_matter() -> None:
    batch = [obs("uav-1", f"ref-{n}", east_m=100.0 * n) for n in range(6)]
    forward = ObservationTable.from_observations(batch, registry())
    backward = ObservationTable.from_observations(batch[::-1], registry())
    assert forward.ids.tolist() == sorted(o.id for o in batch)
    _assert_same(forward, backward)


def test_an_id_given_twice_is_kept_once_the_copy_received_first() -> None:
    first = obs("uav-1", "same", east_m=0.0)
    late = first.model_copy(update={"received_at": first.received_at + timedelta(hours=1)})
    late = late.model_copy(update={"lon": first.lon + 0.5})
    for batch in ([first, late], [late, first], [first, first, late]):
        table = ObservationTable.from_observations(batch, registry())
        assert len(table) == 1
        assert table.lon.tolist() == [first.lon]


def test_codes_and_vocabularies() -> None:
    batch = [
        obs("uav-2", "a", kind=Kind.LAUNCH, grade="A1", weapon_class="mlrs", calibre_mm=122),
        obs("party-ru", "b", grade="C3"),
        obs("uav-1", "c", grade="F6"),
    ]
    table = ObservationTable.from_observations(batch, registry())
    assert table.sources == ("party-ru", "uav-1", "uav-2")
    assert table.groups == ("Mission UAV wing|uav", "RU MoD|party_report")
    assert table.parties == ("RU",)
    assert table.weapon_classes == ("mlrs",)
    by_source = {table.sources[s]: row for row, s in enumerate(table.source.tolist())}
    launch = by_source["uav-2"]
    assert KINDS[table.kind[launch]] is Kind.LAUNCH
    assert GRADES[table.grade[launch]] == "A1"
    assert table.weapon[launch] == 0
    assert table.calibre[launch] == 122.0
    assert table.group[by_source["uav-1"]] == table.group[launch]
    assert table.is_party.tolist() == [
        s == "party-ru" for s in (table.sources[c] for c in table.source)
    ]
    assert table.party[by_source["party-ru"]] == 0
    assert table.party[by_source["uav-1"]] == -1
    assert math.isnan(table.calibre[by_source["uav-1"]])
    assert GRADES[grade_code(batch[2].reliability, batch[2].credibility)] == "F6"


def test_time_is_seconds_since_the_epoch() -> None:
    table = ObservationTable.from_observations([obs("uav-1", "a", dt_s=1.5)], registry())
    assert table.t[0] == T0.timestamp() + 1.5


@pytest.mark.parametrize(
    ("attributes", "origin", "bearing"),
    [
        ({"origin_lon": 38.0, "origin_lat": 48.5}, (38.0, 48.5), math.nan),
        ({"origin_lon": 38.0}, (math.nan, math.nan), math.nan),
        ({"origin_lon": "38", "origin_lat": 48.5}, (math.nan, math.nan), math.nan),
        ({"origin_lon": 200.0, "origin_lat": 48.5}, (math.nan, math.nan), math.nan),
        ({"fire_from_bearing_deg": -90}, (math.nan, math.nan), 270.0),
        ({"fire_from_bearing_deg": True}, (math.nan, math.nan), math.nan),
        ({"fire_from_bearing_deg": 400.0}, (math.nan, math.nan), math.nan),
    ],
)
def test_fire_attributes_are_read_when_they_are_numbers_in_range(
    attributes: dict[str, object], origin: tuple[float, float], bearing: float
) -> None:
    table = ObservationTable.from_observations(
        [obs("uav-1", "a", attributes=attributes)], registry()
    )
    got = (table.origin_lon[0], table.origin_lat[0], table.bearing[0])
    np.testing.assert_array_equal(got, (*origin, bearing))


def test_an_unknown_source_is_refused_with_the_observation_named() -> None:
    stray = obs("nobody", "x")
    with pytest.raises(InputError, match=rf"observation {stray.id}: unknown source 'nobody'"):
        ObservationTable.from_observations([stray], registry())


def test_empty_table() -> None:
    table = ObservationTable.from_observations([], registry())
    assert len(table) == 0
    assert table.lon.dtype == np.float64


def test_construction_checks_order_lengths_codes_and_vocabularies() -> None:
    table = ObservationTable.from_observations([obs("uav-1", "a"), obs("uav-1", "b")], registry())
    with pytest.raises(InputError, match="strictly increasing"):
        replace(table, ids=table.ids[::-1])
    with pytest.raises(InputError, match="column 'lat'"):
        replace(table, lat=np.zeros(3))
    with pytest.raises(InputError, match="column 'kind'"):
        replace(table, kind=np.array([0, 99], dtype=np.int8))
    with pytest.raises(InputError, match="column 'source'"):
        replace(table, source=np.array([0, -1], dtype=np.int32))
    with pytest.raises(InputError, match="vocabulary 'sources'"):
        replace(table, sources=("b", "a"))


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("t", math.nan),
        ("t", math.inf),
        ("time_unc", -1.0),
        ("time_unc", math.nan),
        ("loc_unc", -0.5),
        ("loc_unc", math.inf),
        ("lon", 181.0),
        ("lat", math.nan),
    ],
)
def test_numbers_must_be_finite_and_in_range(column: str, value: float) -> None:
    table = ObservationTable.from_observations([obs("uav-1", "a"), obs("uav-1", "b")], registry())
    bad = getattr(table, column).copy()
    bad[1] = value
    with pytest.raises(InputError, match=rf"column '{column}' must hold finite numbers.*row 1"):
        replace(table, **{column: bad})
