"""Determinations: upserted by id, tied to their incident, filtered by every field."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_helpers import T0, determination, emptied, incident, query_plan

from truceline.adjudication.determination import Determination, Status
from truceline.errors import InputError, StoreError
from truceline.store import BBox, Store, TimeWindow, open_store


def test_put_replaces_by_id_with_its_zones_and_rules(store_target: str) -> None:
    with open_store(store_target) as store:
        store.replace_incidents([], [incident("a", ("obs-1",))])
        first = determination("inc-a", zones=("buffer", "withdrawal:mlrs"))
        store.put_determinations([first])
        assert store.determinations(zone="withdrawal:mlrs") == [first]
        revised = determination("inc-a", zones=("buffer",), rules=("DMZ-PRESENCE",))
        store.put_determinations([revised])
        assert store.determination(first.id) == revised
        assert store.determinations(zone="withdrawal:mlrs") == []
        assert store.determinations(rule="CV-FIRE") == []
        assert store.determinations(rule="DMZ-PRESENCE") == [revised]
        assert store.determination("det-none") is None
        # the last of two with one id wins
        store.put_determinations([first, revised.model_copy(update={"confidence": 0.5})])
        back = store.determination(first.id)
        assert back is not None
        assert back.confidence == 0.5
        store.put_determinations([])
        assert len(store.determinations()) == 1


def test_zone_and_rule_filters_use_their_indexes(tmp_path: Path) -> None:
    with open_store(tmp_path / "d.sqlite") as store:
        store.replace_incidents([], [incident("a", ("obs-1",))])
        store.put_determinations([determination("inc-a")])
        plan = query_plan(store, lambda: store.determinations(zone="buffer"))
        assert "ix_determination_zones_zone" in plan
        plan = query_plan(store, lambda: store.determinations(rule="CV-FIRE"))
        assert "ix_determination_rules_rule" in plan
        plan = query_plan(store, lambda: store.determinations(status=Status.CLEAR_BREACH))
        assert "ix_determinations_status" in plan


def test_a_determination_of_an_unstored_incident_is_refused(store_target: str) -> None:
    with open_store(store_target) as store:
        store.replace_incidents([], [incident("a", ("obs-1",))])
        good, orphan = determination("inc-a"), determination("inc-ghost")
        with pytest.raises(
            StoreError,
            match="determination 'det-inc-ghost-v1': its incident 'inc-ghost' is not stored",
        ):
            store.put_determinations([good, orphan])
        assert store.determinations() == []


def test_bad_status_is_refused(store_target: str) -> None:
    with (
        open_store(store_target) as store,
        pytest.raises(InputError, match="unknown status"),
    ):
        store.determinations(status="breach")  # type: ignore[arg-type]


PARTIES = ["UA", "RU"]
ZONES = ["buffer", "withdrawal:mlrs", "znpp-no-fly"]
RULES = ["CV-FIRE", "HW-WITHDRAWAL", "DMZ-PRESENCE"]

spots = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=48),
        st.floats(min_value=36.0, max_value=39.0),
        st.floats(min_value=47.0, max_value=49.0),
    ),
    min_size=1,
    max_size=6,
)
judgements = st.lists(
    st.fixed_dictionaries(
        {
            "side": st.sampled_from(PARTIES),
            "attributed_to": st.none() | st.sampled_from(PARTIES),
            "zones": st.lists(st.sampled_from(ZONES), max_size=2, unique=True).map(tuple),
            "rules": st.lists(st.sampled_from(RULES), max_size=2, unique=True).map(tuple),
            "status": st.sampled_from(Status),
            "clear_breach": st.booleans(),
            "agreement_id": st.sampled_from(["minsk-ii", "other"]),
            "agreement_version": st.integers(min_value=1, max_value=2),
        }
    ),
    max_size=10,
)
queries = st.fixed_dictionaries(
    {},
    optional={
        "window": st.tuples(
            st.integers(min_value=0, max_value=48), st.integers(min_value=0, max_value=12)
        ),
        "bbox": st.tuples(
            st.floats(min_value=36.0, max_value=39.0), st.floats(min_value=47.0, max_value=49.0)
        ),
        "zone": st.sampled_from(ZONES),
        "party": st.sampled_from(PARTIES),
        "attributed_to": st.sampled_from(PARTIES),
        "status": st.sampled_from(Status),
        "rule": st.sampled_from(RULES),
        "agreement_id": st.sampled_from(["minsk-ii", "other"]),
        "agreement_version": st.integers(min_value=1, max_value=2),
        "clear_breach": st.booleans(),
        "limit": st.integers(min_value=0, max_value=4),
    },
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(spots=spots, judgements=judgements, data=st.data(), query=queries)
def test_every_filter_matches_brute_force(
    scratch: Store,
    spots: list[tuple[int, float, float]],
    judgements: list[dict[str, Any]],
    data: st.DataObject,
    query: dict[str, Any],
) -> None:
    incidents = {
        f"inc-{n}": incident(
            str(n),
            (f"obs-{n}",),
            start=T0 + timedelta(hours=h),
            end=T0 + timedelta(hours=h + 1),
            lon=lon,
            lat=lat,
        )
        for n, (h, lon, lat) in enumerate(spots)
    }
    made = [
        determination(data.draw(st.sampled_from(sorted(incidents))), **fields).model_copy(
            update={"id": f"det-{n}"}
        )
        for n, fields in enumerate(judgements)
    ]
    args = dict(query)
    if "window" in args:
        start, length = args["window"]
        args["window"] = TimeWindow(
            T0 + timedelta(hours=start), T0 + timedelta(hours=start + length)
        )
    if "bbox" in args:
        lon, lat = args["bbox"]
        args["bbox"] = BBox(lon, lat, lon + 1.0, lat + 0.7)

    def wanted(d: Determination) -> bool:
        i = incidents[d.incident_id]
        w, b = args.get("window"), args.get("bbox")
        checks = [
            w is None or (i.start <= w.end and i.end >= w.start),
            b is None or (b.min_lon <= i.lon <= b.max_lon and b.min_lat <= i.lat <= b.max_lat),
            "zone" not in args or args["zone"] in d.zones,
            "rule" not in args or args["rule"] in d.rules,
            "party" not in args or args["party"] in (d.side, d.attributed_to),
        ]
        for name in (
            "attributed_to",
            "status",
            "agreement_id",
            "agreement_version",
            "clear_breach",
        ):
            checks.append(name not in args or getattr(d, name) == args[name])
        return all(checks)

    expected = sorted(
        (d for d in made if wanted(d)), key=lambda d: (incidents[d.incident_id].start, d.id)
    )
    if "limit" in args:
        expected = expected[: args["limit"]]
    store = emptied(scratch)
    store.replace_incidents([], list(incidents.values()))
    store.put_determinations(made)
    assert store.determinations(**args) == expected
