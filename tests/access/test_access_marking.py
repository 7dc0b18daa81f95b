"""Releasability markings: one canonical form, clear refusals, and a lattice whose order is
the order of who may read."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from truceline.access.marking import (
    CELL_ONLY,
    PUBLIC_MARKING,
    Marking,
    canonical_marking,
    join,
    meet,
    parse_marking,
)
from truceline.access.model import Organisation, OrganisationKind
from truceline.access.policy import audiences_of
from truceline.errors import InputError
from truceline.observations.model import Observation
from truceline.sources.registry import Source

CODES = ("DE", "FR", "RU", "UA", "UK")

ORGANISATIONS = [
    Organisation(id="JCC", name="cell", kind=OrganisationKind.LEAD),
    Organisation(id="PUBLIC", name="public", kind=OrganisationKind.PUBLIC),
    *(Organisation(id=c, name=c, kind=OrganisationKind.MEMBER) for c in CODES),
    *(Organisation(id=c, name=c, kind=OrganisationKind.PARTY) for c in CODES),
    Organisation(id="XX", name="a member no marking names", kind=OrganisationKind.MEMBER),
    Organisation(id="YY", name="a party no marking names", kind=OrganisationKind.PARTY),
]
"""Every kind; members and parties sharing codes, so that a mix-up would show; and one of
each that no marking names, as those of the future (so that 'all members' differs from
'every member named')."""

codes = st.one_of(st.none(), st.frozensets(st.sampled_from(CODES)))
markings = st.one_of(
    st.just(PUBLIC_MARKING), st.builds(lambda m, p: Marking(members=m, parties=p), codes, codes)
)


def reference_reads(organisation: Organisation, marking: Marking) -> bool:
    """Who may read a marking, straight from the rules as docs/access.md states them."""
    if organisation.kind is OrganisationKind.LEAD or marking.public:
        return True
    if organisation.kind is OrganisationKind.MEMBER:
        return marking.members is None or organisation.id in marking.members
    if organisation.kind is OrganisationKind.PARTY:
        return marking.parties is None or organisation.id in marking.parties
    return False


def readers(marking: Marking) -> set[tuple[str, str]]:
    return {(o.kind.value, o.id) for o in ORGANISATIONS if reference_reads(o, marking)}


def code_reads(organisation: Organisation, marking: Marking) -> bool:
    audiences = audiences_of(organisation)
    return "*" in audiences or marking.allows(audiences)


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("public", "public"),
        (" PUBLIC ", "public"),
        ("cell", "cell"),
        ("cell+members", "cell+members"),
        ("cell+members:uk,FR", "cell+members:FR,UK"),
        ("CELL + parties : ua , ru", "cell+parties:RU,UA"),
        ("cell+parties:UA+members:UK+members:FR", "cell+members:FR,UK+parties:UA"),
        ("cell+members:FR+members", "cell+members"),
        ("cell+members:FR,FR", "cell+members:FR"),
    ],
)
def test_markings_are_read_leniently_and_written_canonically(given: str, canonical: str) -> None:
    assert canonical_marking(given) == canonical
    assert canonical_marking(canonical) == canonical


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("", "it is empty"),
        ("+cell", "starts with '+'"),
        ("secret", "must be 'public' or start with 'cell'"),
        ("public+members", "'public' stands alone"),
        ("cell+friends", "unknown part 'friends'"),
        ("cell+members:", "needs organisation codes"),
        ("cell+members:FR,,UK", "needs organisation codes"),
        ("cell+parties:U A", "'U A' is not an organisation code"),
        ("cell+parties:1UA", "'1UA' is not an organisation code"),
    ],
)
def test_a_bad_marking_is_refused_naming_the_field_and_the_reason(given: str, reason: str) -> None:
    with pytest.raises(InputError, match="releasability: ") as caught:
        parse_marking(given)
    assert caught.value.field == "releasability"
    assert reason in str(caught.value)
    with pytest.raises(InputError) as named:
        parse_marking(given, field="default_releasability")
    assert named.value.field == "default_releasability"


def test_models_keep_markings_canonical_and_refuse_bad_ones() -> None:
    values = {
        "source_id": "s",
        "source_ref": "r",
        "observed_at": "2025-09-01T00:00:00Z",
        "received_at": "2025-09-01T00:00:00Z",
        "lon": 37.0,
        "lat": 48.0,
        "kind": "explosion",
    }
    plain = Observation.model_validate(values)
    assert plain.releasability == "cell"
    marked = Observation.model_validate({**values, "releasability": "cell+parties:ua"})
    assert marked.releasability == "cell+parties:UA"
    assert marked.id == plain.id  # the marking is not part of the id
    with pytest.raises(ValidationError, match="releasability") as caught:
        Observation.model_validate({**values, "releasability": "everyone"})
    assert "must be 'public' or start with 'cell'" in str(caught.value)
    source = {"id": "s", "name": "S", "operator": "O", "type": "uav"}
    assert Source.model_validate(source).releasability is None
    assert Source.model_validate({**source, "releasability": "Public"}).releasability == "public"


@given(markings)
def test_the_canonical_form_reads_back_as_the_same_marking(marking: Marking) -> None:
    text = str(marking)
    assert parse_marking(text) == marking
    assert str(parse_marking(text.upper())) == text


@given(markings)
def test_the_code_decides_as_the_rules_say(marking: Marking) -> None:
    for organisation in ORGANISATIONS:
        assert code_reads(organisation, marking) == reference_reads(organisation, marking), (
            organisation,
            str(marking),
        )


@given(st.lists(markings, max_size=4))
def test_meet_is_read_by_exactly_those_who_read_every_one(found: list[Marking]) -> None:
    expected = set.intersection(*(readers(m) for m in found)) if found else readers(PUBLIC_MARKING)
    assert readers(meet(found)) == expected
    assert meet(found) == meet(reversed(found))  # order does not matter


@given(st.lists(markings, max_size=4))
def test_join_is_read_by_those_who_read_any_one(found: list[Marking]) -> None:
    expected = set.union(*(readers(m) for m in found)) if found else readers(CELL_ONLY)
    assert readers(join(found)) == expected


@given(markings, markings)
def test_the_order_of_markings_is_the_order_of_their_readers(one: Marking, two: Marking) -> None:
    assert one.at_most(two) == (readers(one) <= readers(two))
    assert meet([one, two]).at_most(one)
    assert CELL_ONLY.at_most(one)
    assert one.at_most(PUBLIC_MARKING)


def test_a_public_marking_names_nobody_else() -> None:
    with pytest.raises(InputError, match="names no members or parties"):
        Marking(public=True, members=None)
