"""Incidents: replaced in one transaction with their determinations, and queried."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_helpers import T0, determination, emptied, incident

from truceline.errors import StoreError
from truceline.fusion.incident import Incident
from truceline.store import BBox, Store, TimeWindow, open_store


def test_replace_adds_removes_and_counts(store_target: str) -> None:
    a = incident("a", ("obs-1", "obs-2"))
    b = incident("b", ("obs-3",), start=T0 + timedelta(hours=1), end=T0 + timedelta(hours=2))
    with open_store(store_target) as store:
        store.replace_incidents([], [b, a])
        assert store.incident_count() == 2
        assert store.incidents() == [a, b]
        assert store.incident("inc-a") == a
        assert store.incident("inc-none") is None
        merged = incident("ab", ("obs-1", "obs-2", "obs-3"))
        store.replace_incidents(iter(["inc-a", "inc-b", "inc-never-stored"]), [merged])
        assert store.incidents() == [merged]
        assert store.incidents_containing(["obs-3"]) == [merged]


def test_removing_an_incident_removes_its_determinations(store_target: str) -> None:
    a, b = incident("a", ("obs-1",)), incident("b", ("obs-2",))
    with open_store(store_target) as store:
        store.replace_incidents([], [a, b])
        store.put_determinations([determination("inc-a"), determination("inc-b")])
        store.replace_incidents(["inc-a"], [])
        assert store.determination("det-inc-a-v1") is None
        assert store.determination("det-inc-b-v1") == determination("inc-b")
        assert store.determinations(zone="buffer") == [determination("inc-b")]
        assert store.determinations(rule="CV-FIRE") == [determination("inc-b")]
        assert store.incidents_containing(["obs-1"]) == []


def test_an_unchanged_incident_keeps_its_determinations_a_changed_one_loses_them(
    store_target: str,
) -> None:
    a = incident("a", ("obs-1",))
    with open_store(store_target) as store:
        store.replace_incidents([], [a])
        store.put_determinations([determination("inc-a")])
        store.replace_incidents([], [a])  # the same fusion run again
        assert store.determination("det-inc-a-v1") is not None
        changed = incident("a", ("obs-1",), confidence=0.9)
        store.replace_incidents([], [changed])
        assert store.incident("inc-a") == changed
        assert store.determination("det-inc-a-v1") is None
        store.put_determinations([determination("inc-a")])
        store.replace_incidents(["inc-a"], [changed])  # listed for removal: always replaced
        assert store.determination("det-inc-a-v1") is None
        assert store.incident_count() == 1


def test_an_incident_given_twice_differently_is_refused(store_target: str) -> None:
    a = incident("a", ("obs-1",))
    with open_store(store_target) as store:
        store.replace_incidents([], [a, a])
        assert store.incident_count() == 1
        with pytest.raises(StoreError, match="'inc-b' is given twice with different content"):
            store.replace_incidents([], [incident("b", ("x",)), incident("b", ("y",))])


def test_a_failed_replacement_changes_nothing(store_target: str) -> None:
    a = incident("a", ("obs-1",))
    with open_store(store_target) as store:
        store.replace_incidents([], [a])
        store.put_determinations([determination("inc-a")])
        broken = incident("broken", ("obs-1",), lon=float("nan"))
        with pytest.raises(StoreError, match=r"incident 'inc-broken': lon is nan; .*finite"):
            store.replace_incidents(["inc-a"], [broken])
        assert store.incidents() == [a]
        assert store.determination("det-inc-a-v1") == determination("inc-a")


def test_incidents_containing_finds_each_holder_once_in_order(store_target: str) -> None:
    late = incident(
        "late", ("obs-1", "obs-2"), start=T0 + timedelta(days=1), end=T0 + timedelta(days=1)
    )
    early = incident("early", ("obs-2", "obs-3"))
    other = incident("other", ("obs-9",))
    with open_store(store_target) as store:
        store.replace_incidents([], [late, early, other])
        assert store.incidents_containing(["obs-2", "obs-1", "obs-2"]) == [early, late]
        assert store.incidents_containing(["obs-3"]) == [early]
        assert store.incidents_containing([]) == []
        assert store.incidents_containing(["obs-404"]) == []


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    spots=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=96),  # start, hours after T0
            st.integers(min_value=0, max_value=12),  # length, hours
            st.floats(min_value=36.0, max_value=39.0),
            st.floats(min_value=47.0, max_value=49.0),
        ),
        max_size=12,
    ),
    window=st.tuples(
        st.integers(min_value=-5, max_value=100), st.integers(min_value=0, max_value=30)
    ),
    box=st.tuples(
        st.floats(min_value=36.0, max_value=39.0), st.floats(min_value=47.0, max_value=49.0)
    ),
    limit=st.none() | st.integers(min_value=0, max_value=5),
)
def test_window_bbox_and_limit_match_brute_force(
    scratch: Store,
    spots: list[tuple[int, int, float, float]],
    window: tuple[int, int],
    box: tuple[float, float],
    limit: int | None,
) -> None:
    stored = [
        incident(
            str(n),
            (f"obs-{n}",),
            start=T0 + timedelta(hours=start),
            end=T0 + timedelta(hours=start + length),
            lon=lon,
            lat=lat,
        )
        for n, (start, length, lon, lat) in enumerate(spots)
    ]
    when = TimeWindow(T0 + timedelta(hours=window[0]), T0 + timedelta(hours=sum(window)))
    where = BBox(box[0], box[1], box[0] + 1.0, box[1] + 0.5)

    def wanted(i: Incident) -> bool:
        in_time = i.start <= when.end and i.end >= when.start
        in_box = where.min_lon <= i.lon <= where.max_lon and where.min_lat <= i.lat <= where.max_lat
        return in_time and in_box

    expected = sorted((i for i in stored if wanted(i)), key=lambda i: (i.start, i.id))
    store = emptied(scratch)
    store.replace_incidents([], stored)
    found = store.incidents(window=when, bbox=where, limit=limit)
    assert found == (expected if limit is None else expected[:limit])
    some = [i.id for i in stored[::2]]
    assert [i.id for i in store.incidents(ids=some)] == [
        i.id for i in sorted(stored, key=lambda i: (i.start, i.id)) if i.id in some
    ]
