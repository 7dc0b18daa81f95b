"""Round trips: what is read back equals what was written, field for field."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from store_helpers import (
    T0,
    determinations_of,
    emptied,
    incidents,
    observations,
    prenotifications,
    without_nul,
)

from truceline.agreement.prenotification import PreNotification
from truceline.errors import StoreError
from truceline.fusion.incident import Incident
from truceline.observations.model import Observation, SourceType
from truceline.sources.registry import BUILTIN_SOURCES, Source
from truceline.store import Store, open_store

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _same(back: BaseModel, original: BaseModel) -> None:
    """Equal, and equal in JSON, so that True and 1, or 1 and 1.0, are told apart."""
    assert type(back) is type(original)
    assert back == original
    assert back.model_dump_json() == original.model_dump_json()


def _storable(model: BaseModel) -> bool:
    """Whether a model stays clear of the two documented limits of the backends."""
    # SQLite keeps whole REAL numbers as integers on disk, so -0.0 reads back as 0.0;
    # PostgreSQL text cannot hold NUL characters.
    dumped = model.model_dump_json()
    return "-0.0," not in dumped and "-0.0}" not in dumped and without_nul(model)


@SETTINGS
@given(batch=st.lists(observations, min_size=1, max_size=8, unique_by=lambda o: o.id))
def test_observations_round_trip(scratch: Store, batch: list[Observation]) -> None:
    store = emptied(scratch)
    batch = [o for o in batch if _storable(o)]
    store.add_observations(batch)
    back = {o.id: o for o in store.observations(ids=[o.id for o in batch])}
    assert len(back) == len(batch)
    for original in batch:
        _same(back[original.id], original)


@SETTINGS
@given(batch=st.lists(incidents, min_size=1, max_size=5, unique_by=lambda i: i.id))
def test_incidents_round_trip(scratch: Store, batch: list[Incident]) -> None:
    store = emptied(scratch)
    batch = [i for i in batch if _storable(i)]
    store.replace_incidents([i.id for i in batch], batch)
    for original in batch:
        back = store.incident(original.id)
        assert back is not None
        _same(back, original)


@SETTINGS
@given(data=st.data())
def test_determinations_round_trip(scratch: Store, data: st.DataObject) -> None:
    store = emptied(scratch)
    stored = data.draw(st.lists(incidents, min_size=1, max_size=3, unique_by=lambda i: i.id))
    stored = [i for i in stored if without_nul(i)]
    store.replace_incidents([i.id for i in stored], stored)
    if not stored:
        return
    batch = data.draw(
        st.lists(determinations_of([i.id for i in stored]), max_size=4, unique_by=lambda d: d.id)
    )
    batch = [d for d in batch if _storable(d)]
    store.put_determinations(batch)
    for original in batch:
        back = store.determination(original.id)
        assert back is not None
        _same(back, original)


@SETTINGS
@given(notice=prenotifications())
def test_prenotifications_round_trip(scratch: Store, notice: PreNotification) -> None:
    store = emptied(scratch)
    assert store.add_prenotification(notice) is True
    assert store.add_prenotification(notice) is False
    found = [p for p in store.prenotifications(party=notice.party) if p.id == notice.id]
    assert len(found) == 1
    _same(found[0], notice)


def test_sources_round_trip_and_upsert(store_target: str) -> None:
    with open_store(store_target) as store:
        store.upsert_sources(BUILTIN_SOURCES)
        assert store.sources() == sorted(BUILTIN_SOURCES, key=lambda s: s.id)
        renamed = BUILTIN_SOURCES[0].model_copy(update={"name": "NOAA-20, renamed"})
        party = Source(
            id="ua-mod",
            name="UA reports",
            operator="UA MoD",
            type=SourceType.PARTY_REPORT,
            party="UA",
        )
        store.upsert_sources([renamed, party])
        back = {s.id: s for s in store.sources()}
        assert len(back) == len(BUILTIN_SOURCES) + 1
        _same(back[renamed.id], renamed)
        _same(back["ua-mod"], party)


def test_values_the_database_cannot_hold_are_refused_and_nothing_is_written(
    store_target: str,
) -> None:
    from store_helpers import incident

    with open_store(store_target) as store:
        good = incident("good", ("obs-1",))
        bad = incident("text", ("obs-2",), attributes={"note": "broken \udc80 text"})
        with pytest.raises(StoreError, match="cannot replace incidents: a value cannot be stored"):
            store.replace_incidents([], [good, bad])
        huge = incident("huge", ("obs-3",), independent_sources=2**64)
        with pytest.raises(StoreError, match="whole numbers within 64 bits"):
            store.replace_incidents([], [good, huge])
        assert store.incident_count() == 0


def test_text_with_nul_is_refused_on_postgresql(postgresql_server: str) -> None:
    from store_helpers import incident
    from tests.store_backends import fresh_schema

    with fresh_schema(postgresql_server) as url, open_store(url) as store:
        good = incident("good", ("obs-1",))
        nul = incident("nul", ("obs-4",), weapon_class="MLRS\x00")
        with pytest.raises(StoreError, match="text must not contain NUL characters"):
            store.replace_incidents([], [good, nul])
        assert store.incident_count() == 0


def test_values_json_cannot_hold_are_refused_with_the_incident_named(store_target: str) -> None:
    from store_helpers import incident

    with open_store(store_target) as store:
        bad = incident("nan", ("obs-1",), attributes={"score": float("nan")})
        with pytest.raises(StoreError, match="incident 'inc-nan' attributes: cannot be stored"):
            store.replace_incidents([], [bad])
        assert store.incident_count() == 0
        odd = incident("obj", ("obs-1",), attributes={"when": T0})
        with pytest.raises(StoreError, match="datetime is not JSON"):
            store.replace_incidents([], [odd])


def test_numpy_values_in_attributes_are_stored_as_plain_numbers(store_target: str) -> None:
    import numpy as np
    from store_helpers import incident

    with open_store(store_target) as store:
        made = incident(
            "np",
            ("obs-1",),
            attributes={
                "kind_counts": {"explosion": np.int64(3)},
                "origin_lon": np.float64(37.25),
                "bearings": np.array([90.0, 95.5]),
            },
        )
        store.replace_incidents([], [made])
        back = store.incident("inc-np")
    assert back is not None
    assert back.attributes == {
        "kind_counts": {"explosion": 3},
        "origin_lon": 37.25,
        "bearings": [90.0, 95.5],
    }
    assert type(back.attributes["kind_counts"]["explosion"]) is int
