"""Incremental fusion through a store gives exactly what batch fusion gives."""

from __future__ import annotations

from fusion_support import MemoryStore, obs, observation_lists, registry
from hypothesis import given, settings
from hypothesis import strategies as st

from truceline.fusion.fuse import fuse
from truceline.fusion.incremental import FusionUpdate, refuse
from truceline.fusion.parameters import FusionParameters
from truceline.observations.model import Observation


def _feed(store: MemoryStore, batch: list[Observation], params: FusionParameters) -> FusionUpdate:
    store.add(batch)
    update = refuse(batch, store, registry(), params)
    store.apply(update)
    return update


@settings(max_examples=60, deadline=None)
@given(observation_lists(max_size=30), st.data())
def test_batches_in_any_split_give_the_batch_result(
    batch: list[Observation], data: st.DataObject
) -> None:
    params = FusionParameters()
    cuts = sorted(data.draw(st.lists(st.integers(0, len(batch)), max_size=5)))
    order = data.draw(st.permutations(batch))
    store = MemoryStore()
    for lo, hi in zip([0, *cuts], [*cuts, len(order)], strict=True):
        _feed(store, list(order[lo:hi]), params)
    assert store.sorted_incidents() == fuse(batch, registry(), params)


@settings(max_examples=40, deadline=None)
@given(observation_lists(max_size=20), st.data())
def test_feeding_stored_observations_again_changes_nothing(
    batch: list[Observation], data: st.DataObject
) -> None:
    params = FusionParameters()
    store = MemoryStore()
    _feed(store, batch, params)
    again = data.draw(st.lists(st.sampled_from(batch), max_size=8)) if batch else []
    assert refuse(again, store, registry(), params) == FusionUpdate(removed_ids=[], added=[])


def test_new_observations_need_not_be_stored_first() -> None:
    params = FusionParameters()
    store = MemoryStore()
    first = [obs("uav-1", "a"), obs("camera", "b", east_m=5_000.0)]
    _feed(store, first, params)
    bridge = [obs("acoustic", "c", east_m=2_500.0, r=1_500.0)]
    update = refuse(bridge, store, registry(), params)
    assert len(update.removed_ids) == 2
    assert len(update.added) == 1
    assert len(update.added[0].observation_ids) == 3


def test_a_chain_beyond_the_first_search_is_followed_to_its_end() -> None:
    """Links of at most 1 h; reports 50 min apart; the bridge is the last one to arrive."""
    params = FusionParameters(max_link_time_s=3_600.0, base_time_s=3_600.0)
    chain = [obs("uav-1", f"c{n}", dt_s=3_000.0 * n) for n in range(8)]
    store = MemoryStore()
    _feed(store, chain[:3] + chain[4:], params)
    assert len(store.incidents) == 2
    queries = store.queries
    update = _feed(store, [chain[3]], params)
    assert store.queries - queries > 1, "the store was searched again around the chain"
    assert len(update.removed_ids) == 2
    assert store.sorted_incidents() == fuse(chain, registry(), params)
    assert len(store.sorted_incidents()[0].observation_ids) == 8


def test_a_spatial_chain_is_followed_too() -> None:
    params = FusionParameters(max_link_distance_m=1_000.0)
    chain = [obs("uav-1", f"c{n}", east_m=900.0 * n, r=400.0) for n in range(10)]
    store = MemoryStore()
    _feed(store, [o for n, o in enumerate(chain) if n != 5], params)
    _feed(store, [chain[5]], params)
    assert store.sorted_incidents() == fuse(chain, registry(), params)
    assert len(store.incidents) == 1


def test_an_incident_that_grows_keeps_its_id_and_is_replaced() -> None:
    params = FusionParameters()
    store = MemoryStore()
    _feed(store, [obs("uav-1", "a")], params)
    (before,) = store.sorted_incidents()
    candidates = [obs("acoustic", ref, east_m=50.0) for ref in "bcdefgh"]
    newcomer = next(o for o in candidates if o.id > before.observation_ids[0])
    update = _feed(store, [newcomer], params)
    assert update.removed_ids == [before.id]
    assert [i.id for i in update.added] == [before.id]
    assert update.added[0].confidence > before.confidence


def test_nothing_new_is_nothing_to_do() -> None:
    assert refuse([], MemoryStore(), registry()) == FusionUpdate(removed_ids=[], added=[])


def test_near_the_pole_and_across_the_antimeridian() -> None:
    params = FusionParameters()
    places = [(179.9995, 0.0), (-179.9995, 0.0), (10.0, 89.999), (-170.0, 89.999)]
    batch = [
        obs("uav-1", f"p{n}").model_copy(update={"lon": lon, "lat": lat})
        for n, (lon, lat) in enumerate(places)
    ]
    store = MemoryStore()
    for item in batch:
        _feed(store, [item], params)
    assert store.sorted_incidents() == fuse(batch, registry(), params)
    assert len(store.incidents) == 2
