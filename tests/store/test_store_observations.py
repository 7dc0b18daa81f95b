"""Observations: idempotent bulk writes and every query path, checked against brute force."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, text
from store_helpers import T0, emptied, firms_observations, observation, query_plan
from tests.store_backends import BACKENDS, fresh_schema

from truceline.errors import InputError
from truceline.observations.model import Kind, Observation
from truceline.store import BBox, Store, TimeWindow, open_store, store_engine
from truceline.store.dialect import dialect_indexes
from truceline.store.sql_store import IN_CHUNK, SqlStore
from truceline.store.tables import observations as observations_table


def _us(moment: datetime) -> int:
    return (moment - T0) // timedelta(microseconds=1)


def _overlaps(obs: Observation, window: TimeWindow) -> bool:
    """The documented rule: [observed_at - unc, observed_at + unc] meets the window, with the
    uncertainty rounded up to whole microseconds."""
    half = math.ceil(obs.time_uncertainty_s * 1_000_000)
    at = _us(obs.observed_at)
    return at - half <= _us(window.end) and at + half >= _us(window.start)


@pytest.fixture(scope="module")
def firms(shared_data: Path) -> list[Observation]:
    return firms_observations(shared_data, days=55)


@pytest.fixture(scope="module", params=BACKENDS)
def firms_store(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    firms: list[Observation],
) -> Iterator[Store]:
    """The real detections in a store of each backend."""
    if request.param == "sqlite":
        with open_store(tmp_path_factory.mktemp("firms") / "firms.sqlite") as store:
            store.add_observations(firms)
            yield store
        return
    with (
        fresh_schema(request.getfixturevalue("postgresql_server")) as url,
        open_store(url) as store,
    ):
        store.add_observations(firms)
        yield store


def test_adding_is_idempotent_by_id(store_target: str) -> None:
    with open_store(store_target) as store:
        first = [observation(i) for i in range(100)]
        assert store.add_observations(first) == 100
        assert store.add_observations(first) == 0
        overlapping = [observation(i) for i in range(50, 150)]
        assert store.add_observations(overlapping) == 50
        twice = [observation(200), observation(200), observation(201)]
        assert store.add_observations(twice) == 2
        assert store.add_observations([]) == 0
        assert store.observation_count() == 152


def test_the_same_report_resent_keeps_the_first_version(store_target: str) -> None:
    with open_store(store_target) as store:
        original = observation(1, attributes={"frp": 1.5})
        resent = observation(1, attributes={"frp": 9.0})
        assert original.id == resent.id
        assert store.add_observations([original]) == 1
        assert store.add_observations([resent]) == 0
        assert store.observations(ids=[original.id]) == [original]
        twice = [observation(2, attributes={"n": 1}), observation(2, attributes={"n": 2})]
        assert store.add_observations(twice) == 1
        assert store.observations(ids=[twice[0].id]) == [twice[0]]


def test_real_firms_detections_are_stored_once_and_queried(
    firms_store: Store, firms: list[Observation]
) -> None:
    unique = {o.id: o for o in reversed(firms)}  # first one of an id wins
    assert firms_store.observation_count() == len(unique)
    assert firms_store.add_observations(firms[:500]) == 0
    lon = np.array([o.lon for o in unique.values()])
    lat = np.array([o.lat for o in unique.values()])
    ids = np.array(list(unique))
    # around Donetsk (occupied) and around Kramatorsk (not)
    for box in (BBox(37.3, 47.7, 38.3, 48.3), BBox(37.2, 48.5, 37.9, 48.9)):
        inside = (lon >= box.min_lon) & (lon <= box.max_lon)
        inside &= (lat >= box.min_lat) & (lat <= box.max_lat)
        found = firms_store.observations(bbox=box)
        assert sorted(o.id for o in found) == sorted(ids[inside].tolist())
        assert found == sorted(found, key=lambda o: (o.observed_at, o.id))
        assert all(found_o == unique[found_o.id] for found_o in found)
    day = TimeWindow(T0 + timedelta(days=3), T0 + timedelta(days=4))
    expected = sorted(o.id for o in unique.values() if _overlaps(o, day))
    assert expected, "the real data has detections on 4 September 2025"
    assert sorted(o.id for o in firms_store.observations(window=day)) == expected


def test_every_filter_together_and_the_limit(firms_store: Store, firms: list[Observation]) -> None:
    box = BBox(30.0, 46.0, 40.0, 52.0)
    window = TimeWindow(T0 + timedelta(days=10), T0 + timedelta(days=40))
    every = firms_store.observations(
        window=window, bbox=box, source_id="firms-viirs-noaa20", kind=Kind.THERMAL_ANOMALY
    )
    assert len(every) > 100
    assert firms_store.observations(window=window, bbox=box, limit=7) == every[:7]
    assert firms_store.observations(window=window, bbox=box, limit=0) == []
    assert firms_store.observations(window=window, source_id="firms-modis") == []
    assert firms_store.observations(window=window, kind=Kind.EXPLOSION) == []
    as_text: Any = "thermal_anomaly"
    assert firms_store.observations(window=window, kind=as_text) == firms_store.observations(
        window=window
    )


def test_ids_query_in_several_chunks_stays_ordered_and_limited(store_target: str) -> None:
    count = IN_CHUNK * 2 + 10
    batch = [
        observation(i, observed_at=T0 + timedelta(seconds=(i * 7919) % count)) for i in range(count)
    ]
    with open_store(store_target) as store:
        store.add_observations(batch)
        wanted = [o.id for o in batch[::-1]] + ["obs-not-there"]
        found = store.observations(ids=wanted)
        expected = sorted(batch, key=lambda o: (o.observed_at, o.id))
        assert found == expected
        assert store.observations(ids=wanted, limit=25) == expected[:25]
        assert store.observations(ids=[]) == []


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    offsets=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=3_600_000_000),
            st.floats(min_value=0.0, max_value=900.0),
        ),
        min_size=1,
        max_size=30,
    ),
    wide=st.floats(min_value=0.0, max_value=86_400.0 * 31),
    start=st.integers(min_value=-1_000_000_000, max_value=4_000_000_000),
    length=st.integers(min_value=0, max_value=600_000_000),
)
def test_window_matches_observations_whose_uncertainty_overlaps_it(
    scratch: Store, offsets: list[tuple[int, float]], wide: float, start: int, length: int
) -> None:
    batch = [
        observation(i, observed_at=T0 + timedelta(microseconds=at), time_uncertainty_s=unc)
        for i, (at, unc) in enumerate(offsets)
    ]
    batch.append(observation(10_000, observed_at=T0 + timedelta(days=20), time_uncertainty_s=wide))
    window = TimeWindow(
        T0 + timedelta(microseconds=start), T0 + timedelta(microseconds=start + length)
    )
    store = emptied(scratch)
    store.add_observations(batch)
    found = store.observations(window=window)
    expected = sorted(
        (o for o in batch if _overlaps(o, window)), key=lambda o: (o.observed_at, o.id)
    )
    assert found == expected


def test_iter_observations_gives_all_in_id_order_in_chunks(new_target: Callable[[], str]) -> None:
    batch = [observation(i) for i in range(1_003)]
    with open_store(new_target()) as store:
        store.add_observations(batch[500:])
        store.add_observations(batch[:500])
        chunks = list(store.iter_observations(chunk_size=100))
        assert [len(c) for c in chunks] == [100] * 10 + [3]
        flat = [o for chunk in chunks for o in chunk]
        assert flat == sorted(batch, key=lambda o: o.id)
        assert [len(c) for c in store.iter_observations(chunk_size=1_003)] == [1_003]
        assert sum(len(c) for c in store.iter_observations()) == 1_003
        with pytest.raises(InputError, match="chunk_size: expected a whole number >= 1"):
            next(store.iter_observations(chunk_size=0))
    with open_store(new_target()) as empty:
        assert list(empty.iter_observations()) == []


def test_bad_query_arguments_are_refused(firms_store: Store) -> None:
    with pytest.raises(InputError, match="limit: expected a whole number >= 0") as caught:
        firms_store.observations(limit=-1)
    assert caught.value.field == "limit"
    with pytest.raises(InputError, match="unknown observation kind 'bonfire'"):
        firms_store.observations(kind="bonfire")  # type: ignore[arg-type]


def test_a_bulk_load_rebuilds_the_indexes_and_finds_the_same(
    new_target: Callable[[], str], firms: list[Observation]
) -> None:
    bulk = SqlStore(*store_engine(new_target()), bulk_rows=1_000)
    row_by_row = SqlStore(*store_engine(new_target()), bulk_rows=10**9)
    try:
        for store in (bulk, row_by_row):
            assert store.add_observations(firms[:3_000]) == len({o.id for o in firms[:3_000]})
            store.add_observations(firms[3_000:3_100])  # small: row by row in both
            store.add_observations(firms)  # at least as large as the table: bulk in `bulk`
        dialect = bulk.engine.dialect.name
        indexes = {
            i["name"] for i in inspect(bulk.engine).get_indexes("observations", schema=bulk.schema)
        }
        expected = {str(i.name) for i in observations_table.indexes}
        assert indexes == expected | dialect_indexes(dialect, "observations")
        with bulk.engine.connect() as conn:
            if dialect == "sqlite":
                analysed = conn.execute(
                    text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'observations'")
                ).scalar()
                assert analysed == len(indexes) + 1
            else:
                analysed = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stats WHERE schemaname = :schema "
                        "AND tablename = 'observations'"
                    ),
                    {"schema": bulk.schema},
                ).scalar()
                assert analysed == len(observations_table.columns) + 1  # and the point
        box = BBox(35.0, 47.0, 38.5, 49.0)
        window = TimeWindow(T0 + timedelta(days=5), T0 + timedelta(days=25))
        assert bulk.observations(bbox=box, window=window) == row_by_row.observations(
            bbox=box, window=window
        )
        assert bulk.observation_count() == row_by_row.observation_count()
        assert list(bulk.iter_observations()) == list(row_by_row.iter_observations())
    finally:
        bulk.close()
        row_by_row.close()


def test_queries_use_the_indexes(firms_store: Store) -> None:
    assert isinstance(firms_store, SqlStore)
    day = TimeWindow(T0 + timedelta(days=3), T0 + timedelta(days=4))
    box = BBox(37.3, 47.7, 38.3, 48.3)
    plans = {
        "window": query_plan(firms_store, lambda: firms_store.observations(window=day)),
        "bbox": query_plan(firms_store, lambda: firms_store.observations(bbox=box)),
        "kind": query_plan(
            firms_store, lambda: firms_store.observations(window=day, kind=Kind.EXPLOSION)
        ),
        "source": query_plan(
            firms_store, lambda: firms_store.observations(window=day, source_id="firms-modis")
        ),
        "ids": query_plan(firms_store, lambda: firms_store.observations(ids=["obs-1"])),
    }
    postgresql = firms_store.engine.dialect.name == "postgresql"
    assert "ix_observations_time" in plans["window"]
    assert ("ix_observations_geom" if postgresql else "ix_observations_lon_lat") in plans["bbox"]
    assert "ix_observations_kind_time" in plans["kind"]
    assert "ix_observations_source_time" in plans["source"]
    assert ("observations_pkey" if postgresql else "sqlite_autoindex_observations_1") in plans[
        "ids"
    ]
