"""Same inputs and agreement version, same determinations; refusals of unusable input."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from adjudication_builders import (
    T0,
    agreement_data,
    at,
    incident,
    loaded_agreement,
    notice,
    registry,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from truceline.adjudication.adjudicator import Adjudicator, determination_id
from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.model import Agreement
from truceline.errors import GeometryError, InputError
from truceline.fusion.incident import Incident
from truceline.geometry.theatre import Theatre
from truceline.observations.model import Domain, Kind


def mixed_incidents() -> list[Incident]:
    return [
        incident("a", *at(4.2, "west"), (Kind.EXPLOSION,), fire_from_bearing_deg=90.0),
        incident("b", *at(2.0, "west"), (Kind.EXPLOSION, Kind.MOVEMENT)),
        incident("c", *at(20.0, "east"), (Kind.WEAPON_SIGHTING,), calibre_mm=152.0),
        incident("d", 35.5, 49.0, (Kind.AIRCRAFT,), domain=Domain.AIR),
        incident("e", 36.5, 45.4, (Kind.VESSEL,), domain=Domain.SEA, confidence=0.5),
    ]


def test_same_inputs_give_identical_determinations(
    adjudicator: Adjudicator, loaded: LoadedAgreement, theatre: Theatre
) -> None:
    first = adjudicator.adjudicate(mixed_incidents(), [notice("N-1")])
    again = Adjudicator(loaded, theatre, registry()).adjudicate(mixed_incidents(), [notice("N-1")])
    assert first == again
    assert [d.model_dump_json() for d in first] == [d.model_dump_json() for d in again]
    assert [d.incident_id for d in first] == sorted(d.incident_id for d in first)


def test_determination_id_is_derived_from_incident_and_agreement_version(
    adjudicator: Adjudicator,
) -> None:
    (determination,) = adjudicator.adjudicate(mixed_incidents()[:1], [])
    key = f"{determination.incident_id}\x1ftest-ceasefire\x1f1".encode()
    assert determination.id == "det-" + hashlib.sha256(key).hexdigest()[:24]
    assert determination.agreement_id == "test-ceasefire"
    assert determination.agreement_version == 1
    assert determination_id("inc-1", "test-ceasefire", 2) != determination_id(
        "inc-1", "test-ceasefire", 1
    )


def test_a_new_version_names_itself(theatre: Theatre) -> None:
    amended = loaded_agreement(version=2, amends=1)
    determinations = Adjudicator(amended, Theatre(amended), registry()).adjudicate(
        mixed_incidents(), []
    )
    assert {d.agreement_version for d in determinations} == {2}
    assert all(d.id != determination_id(d.incident_id, "test-ceasefire", 1) for d in determinations)


def test_empty_input(adjudicator: Adjudicator) -> None:
    assert adjudicator.adjudicate([], []) == []
    assert adjudicator.adjudicate([], [notice("N-1")]) == []


def test_the_same_incident_twice_is_judged_once(adjudicator: Adjudicator) -> None:
    case = mixed_incidents()[0]
    assert len(adjudicator.adjudicate([case, case], [])) == 1


def test_two_incidents_with_one_id_are_refused(adjudicator: Adjudicator) -> None:
    case = mixed_incidents()[0]
    other = case.model_copy(update={"confidence": 0.1})
    with pytest.raises(InputError, match=f"incident id '{case.id}' is used by two"):
        adjudicator.adjudicate([case, other], [])


@pytest.mark.parametrize(("field", "value"), [("lon", float("nan")), ("lat", 95.0)])
def test_unusable_location_is_refused(adjudicator: Adjudicator, field: str, value: float) -> None:
    case = mixed_incidents()[0].model_copy(update={field: value})
    with pytest.raises(InputError, match=f"incident '{case.id}', field '{field}'"):
        adjudicator.adjudicate([case], [])


KINDS = [Kind.EXPLOSION, Kind.IMPACT, Kind.MOVEMENT, Kind.ARMED_PRESENCE, Kind.WEAPON_SIGHTING]

incidents_strategy = st.lists(
    st.builds(
        lambda lon, lat, kinds, bearing, confidence, calibre, hour: (
            lon,
            lat,
            tuple(kinds),
            bearing,
            confidence,
            calibre,
            hour,
        ),
        st.floats(35.6, 36.4),
        st.floats(47.7, 48.3),
        st.lists(st.sampled_from(KINDS), min_size=1, max_size=3, unique=True),
        st.none() | st.floats(0.0, 359.9),
        st.floats(0.0, 1.0),
        st.none() | st.sampled_from([82.0, 120.0, 152.0]),
        st.integers(-30, 30),
    ),
    min_size=1,
    max_size=8,
)


def build(
    specs: list[tuple[float, float, tuple[Kind, ...], float | None, float, float | None, int]],
) -> list[Incident]:
    built: list[Incident] = []
    for n, (lon, lat, kinds, bearing, confidence, calibre, hour) in enumerate(specs):
        extra: dict[str, Any] = {} if bearing is None else {"fire_from_bearing_deg": bearing}
        built.append(
            incident(
                f"h{n}",
                lon,
                lat,
                kinds,
                confidence=confidence,
                calibre_mm=calibre,
                start=T0 + timedelta(hours=hour),
                **extra,
            )
        )
    return built


NOTICES = [
    notice("N-1"),
    notice("N-late", lead_hours=2.0),
    notice("N-ru", party="RU", area=(36.0, 47.9, 36.2, 48.1)),
    notice("N-old", starts_at=T0 - timedelta(hours=40), hours_long=24.0),
]


@settings(max_examples=25, deadline=None)
@given(specs=incidents_strategy, data=st.data())
def test_determinations_do_not_depend_on_input_order(
    adjudicator: Adjudicator,
    specs: list[tuple[float, float, tuple[Kind, ...], float | None, float, float | None, int]],
    data: st.DataObject,
) -> None:
    incidents = build(specs)
    shuffled = data.draw(st.permutations(incidents))
    notices = data.draw(st.permutations(NOTICES))
    together = adjudicator.adjudicate(incidents, NOTICES)
    assert adjudicator.adjudicate(shuffled, notices) == together
    one_by_one = [adjudicator.adjudicate([i], NOTICES)[0] for i in incidents]
    assert sorted(one_by_one, key=lambda d: d.incident_id) == together


def test_a_theatre_of_another_agreement_is_refused(loaded: LoadedAgreement) -> None:
    data = agreement_data()
    data["zones"] = {"buffer": {"width_km": {"UA": 1, "RU": 1}}}
    data["prohibited_acts"] = data["prohibited_acts"][:1]
    data["permitted_activities"] = []
    other = LoadedAgreement(
        agreement=Agreement.model_validate(data), line=loaded.line, held_areas=loaded.held_areas
    )
    mismatched = Adjudicator(loaded, Theatre(other), registry())
    with pytest.raises(GeometryError, match="build the Theatre from the same LoadedAgreement"):
        mismatched.adjudicate(mixed_incidents(), [])
