"""The store's read filters, on SQLite and PostgreSQL: every read that returns or counts
observations, incidents or determinations keeps only what the principal may read."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from access_support import (
    CELL_USERS,
    MARKINGS,
    NOW,
    ORGANISATIONS,
    READERS,
    T0,
    USERS,
    determination,
    fill,
    incident,
    observation,
    people,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from truceline.access.directory import Directory
from truceline.access.marking import Marking, parse_marking
from truceline.access.model import ROLES_OF_KIND, Organisation, OrganisationKind, Principal, User
from truceline.access.policy import may_read, principal_of, read_filter
from truceline.sources.ingest import ingest_file
from truceline.sources.registry import Source, SourceRegistry
from truceline.store import Store, TimeWindow, open_store, store_engine
from truceline.store import tables as t
from truceline.store.codec import observation_values
from truceline.store.migrations import LATEST_VERSION, MIGRATIONS
from truceline.store.sql_store import SqlStore


def principals(store: Store) -> dict[str, Principal]:
    """The principal of every test user, as the directory resolves them."""
    directory = Directory(store)
    found = {o.id: o for o in directory.organisations()}
    return {u.id: principal_of(u, found[u.organisation]) for u in directory.users()}


@pytest.fixture
def filled(store_target: str) -> Iterator[Store]:
    with open_store(store_target) as store:
        people(store)
        fill(store)
        yield store


def test_every_read_keeps_exactly_what_each_role_may_read(filled: Store) -> None:
    marked = fill(filled)  # the same again: stored once
    by_observation = {m.observation: m.marking for m in marked.values()}
    by_incident = {m.incident: m.marking for m in marked.values()}
    by_determination = {m.determination: m.marking for m in marked.values()}
    window = TimeWindow(T0 - timedelta(days=1), T0 + timedelta(days=1))
    for user, principal in principals(filled).items():
        readable = read_filter(principal)
        assert (readable is None) == (user in CELL_USERS)
        allowed = {m for m in MARKINGS if user in READERS[m]}
        hidden = set(MARKINGS) - allowed
        reads = {
            "observations": {by_observation[o.id] for o in filled.observations(readable=readable)},
            "observations in a window": {
                by_observation[o.id] for o in filled.observations(window=window, readable=readable)
            },
            "observations by id": {
                by_observation[o.id]
                for o in filled.observations(ids=list(by_observation), readable=readable)
            },
            "every observation": {
                by_observation[o.id]
                for chunk in filled.iter_observations(chunk_size=3, readable=readable)
                for o in chunk
            },
            "incidents": {by_incident[x.id] for x in filled.incidents(readable=readable)},
            "incidents containing": {
                by_incident[x.id]
                for x in filled.incidents_containing(list(by_observation), readable=readable)
            },
            "determinations": {
                by_determination[d.id] for d in filled.determinations(readable=readable)
            },
        }
        for path, seen in reads.items():
            assert seen == allowed, (user, path)
        assert filled.observation_count(readable=readable) == len(allowed), user
        assert filled.incident_count(readable=readable) == len(allowed), user
        for m in marked.values():
            expected = m.marking in allowed
            assert (filled.incident(m.incident, readable=readable) is not None) == expected
            found = filled.determination(m.determination, readable=readable)
            assert (found is not None) == expected, (user, m.marking)
        assert hidden == {m for m in MARKINGS if not may_read(principal, m)}


def test_limits_count_only_what_may_be_read(filled: Store) -> None:
    party = principals(filled)["party-ua"]
    readable = read_filter(party)
    first = filled.observations(limit=1, readable=readable)
    assert [o.releasability for o in first] == ["public"]
    two = filled.observations(limit=2, readable=readable)
    assert [o.releasability for o in two] == ["public", "cell+parties"]
    assert [d.incident_id for d in filled.determinations(limit=5, readable=readable)] == [
        "inc-0",
        "inc-5",
        "inc-6",
    ]


def test_an_incident_is_as_restricted_as_its_most_restricted_observation(
    store_target: str,
) -> None:
    with open_store(store_target) as store:
        obs = [
            observation(1, "cell+members:FR,UK+parties"),
            observation(2, "cell+members:FR+parties:UA"),
            observation(3, "public"),
            observation(4, "cell+parties:RU"),
        ]
        store.add_observations(obs)
        ids = [o.id for o in obs]
        store.replace_incidents(
            [],
            [
                incident("a", (ids[0], ids[1], ids[2]), 1),  # meet of the three
                incident("b", (ids[2],), 2),  # public alone
                incident("c", (ids[2], "obs-not-stored"), 3),  # one unknown: the cell only
                incident("d", (ids[1], ids[3]), 4),  # nobody in common: the cell only
            ],
        )
        store.put_determinations([determination(f"inc-{x}") for x in "abcd"])
        assert store.incident_releasability(["inc-a", "inc-b", "inc-c", "inc-d", "x"]) == {
            "inc-a": "cell+members:FR+parties:UA",
            "inc-b": "public",
            "inc-c": "cell",
            "inc-d": "cell",
        }
        fr = Principal("f", "FR", frozenset(), frozenset({"public", "member:*", "member:FR"}))
        uk = Principal("u", "UK", frozenset(), frozenset({"public", "member:*", "member:UK"}))
        seen_fr = {d.incident_id for d in store.determinations(readable=read_filter(fr))}
        assert seen_fr == {"inc-a", "inc-b"}
        assert {d.incident_id for d in store.determinations(readable=read_filter(uk))} == {"inc-b"}


def test_a_marking_set_on_an_incident_holds_until_unset(store_target: str) -> None:
    with open_store(store_target) as store:
        obs = observation(1, "cell")
        store.add_observations([obs])
        store.replace_incidents([], [incident("a", (obs.id,), 1)])
        store.put_determinations([determination("inc-a")])
        public = Principal("p", "PUBLIC", frozenset(), frozenset({"public"}))
        assert store.determination("det-inc-a", readable=read_filter(public)) is None
        assert store.set_incident_releasability("inc-a", "Public")
        assert store.incident_releasability(["inc-a"]) == {"inc-a": "public"}
        assert store.determination("det-inc-a", readable=read_filter(public)) is not None
        # the incident changes (a new confidence) but keeps its id: the marking stays
        changed = incident("a", (obs.id,), 1).model_copy(update={"confidence": 0.9})
        store.replace_incidents([], [changed])
        assert store.incident_releasability(["inc-a"]) == {"inc-a": "public"}
        assert store.set_incident_releasability("inc-a", None)
        assert store.incident_releasability(["inc-a"]) == {"inc-a": "cell"}
        assert store.incident("inc-a", readable=read_filter(public)) is None
        assert not store.set_incident_releasability("inc-missing", "public")
        with pytest.raises(Exception, match="releasability: 'everyone'"):
            store.set_incident_releasability("inc-a", "everyone")


def test_a_v1_store_keeps_its_rows_for_the_cell_only(store_target: str) -> None:
    first = SqlStore(*store_engine(store_target), migrations=MIGRATIONS[:1])
    try:
        assert first.schema_version() == 1
        # a row as version 1 wrote it: every column but the releasability
        values = observation_values(observation(1, "cell"))[:-1]
        names = [c.name for c in t.observations.columns][:-1]
        with first.engine.begin() as conn:
            conn.execute(t.observations.insert().values(dict(zip(names, values, strict=True))))
    finally:
        first.close()
    with open_store(store_target) as store:
        assert store.schema_version() == LATEST_VERSION
        assert [o.releasability for o in store.observations()] == ["cell"]
        assert [o.id for o in Directory(store).organisations()] == ["PUBLIC"]
        public = Principal("p", "PUBLIC", frozenset(), frozenset({"public"}))
        assert store.observation_count(readable=read_filter(public)) == 0


def test_files_get_their_sources_default_marking(tmp_path: Path, sqlite_target: str) -> None:
    registry = SourceRegistry(
        [
            Source(id="uav-1", name="UAV", operator="Mission", type="uav"),
            Source(
                id="osint", name="OSINT", operator="Press", type="open_source",
                releasability="cell+members",
            ),
        ]
    )  # fmt: skip
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [37.0, 48.0]},
            "properties": {
                "source_id": source,
                "source_ref": f"r{i}",
                "observed_at": "2025-09-01T00:00:00Z",
                "kind": "explosion",
            },
        }
        for i, source in enumerate(["uav-1", "osint", "osint"])
    ]
    # a report that says it is for the cell only stays so, whatever its source's default
    features[2]["properties"]["releasability"] = "cell"
    path = tmp_path / "reports.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    with open_store(sqlite_target) as store:
        store.upsert_sources(registry)
        ingest_file(path, store, registry=registry, progress=False, received_at=NOW)
        found = {o.source_ref: o.releasability for o in store.observations()}
        assert found == {"r0": "cell", "r1": "cell+members", "r2": "cell"}
        assert [s.releasability for s in store.sources()] == ["cell+members", None]


def test_the_audiences_of_every_marking_written_are_listed(filled: Store) -> None:
    assert isinstance(filled, SqlStore)
    a = t.releasability_audiences
    with filled.engine.connect() as conn:
        rows = set(conn.execute(select(a.c.marking, a.c.audience)).all())
    expected = {(m, x) for m in MARKINGS for x in parse_marking(m).audiences}
    assert rows == expected
    assert not any(m == "cell" for m, _ in rows)  # the cell's marking names nobody


# Random markings: what the SQL filter lets through is what the rules allow.

CODES = ("FR", "UK", "UA", "RU")
marking_texts = st.one_of(
    st.just("public"),
    st.builds(
        lambda m, p: "+".join(
            ["cell"]
            + ([] if m == () else ["members" if m is None else "members:" + ",".join(m)])
            + ([] if p == () else ["parties" if p is None else "parties:" + ",".join(p)])
        ),
        st.one_of(st.none(), st.lists(st.sampled_from(CODES), max_size=3).map(tuple)),
        st.one_of(st.none(), st.lists(st.sampled_from(CODES), max_size=3).map(tuple)),
    ),
)
ORGS = [
    Organisation(id="PUBLIC", name="p", kind=OrganisationKind.PUBLIC),
    *(Organisation(id=c, name=c, kind=OrganisationKind.MEMBER) for c in CODES),
    *(Organisation(id=c, name=c, kind=OrganisationKind.PARTY) for c in CODES),
]


@pytest.fixture(scope="module")
def random_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with open_store(tmp_path_factory.mktemp("random") / "random.sqlite") as store:
        yield store


_counter = iter(range(10**9))


@settings(max_examples=60)
@given(found=st.lists(marking_texts, min_size=1, max_size=12))
def test_no_principal_sees_a_row_its_marking_hides(random_store: Store, found: list[str]) -> None:
    n = next(_counter) * 100
    obs = [observation(n + i, m) for i, m in enumerate(found)]
    random_store.add_observations(obs)
    ids = [o.id for o in obs]
    for org in ORGS:
        principal = principal_of(_user(org), org)
        seen = {o.id for o in random_store.observations(ids=ids, readable=read_filter(principal))}
        expected = {o.id for o in obs if _reference(org, parse_marking(o.releasability))}
        assert seen == expected, (org.kind, org.id, found)


def test_random_markings_filter_alike_on_both_backends(store_target: str) -> None:
    """The same property on each backend, over one seeded sample."""
    rng = random.Random(7)
    choices = (*MARKINGS, "cell+members:UK,FR+parties", "cell+parties:RU,UA")
    texts = [rng.choice(choices) for _ in range(40)]
    with open_store(store_target) as store:
        obs = [observation(i, m) for i, m in enumerate(texts)]
        store.add_observations(obs)
        for org in ORGS:
            principal = principal_of(_user(org), org)
            seen = {o.id for o in store.observations(readable=read_filter(principal))}
            expected = {o.id for o in obs if _reference(org, parse_marking(o.releasability))}
            assert seen == expected, org
            assert store.observation_count(readable=read_filter(principal)) == len(expected)


def _user(org: Organisation) -> User:
    return User(id="u", organisation=org.id, display_name="u", roles=ROLES_OF_KIND[org.kind])


def _reference(org: Organisation, marking: Marking) -> bool:
    """The rules as docs/access.md states them (the cell is not among ORGS)."""
    if marking.public:
        return True
    if org.kind is OrganisationKind.MEMBER:
        return marking.members is None or org.id in marking.members
    if org.kind is OrganisationKind.PARTY:
        return marking.parties is None or org.id in marking.parties
    return False


def test_every_user_of_the_matrix_is_known() -> None:
    assert {u.organisation for u in USERS} <= {o.id for o in ORGANISATIONS} | {"PUBLIC"}
