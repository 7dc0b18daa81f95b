"""A hypothetical ceasefire on the real line of 2025-09-01 (DeepStateMap), judged on NASA
FIRMS detections: sides from the occupied area and Ukraine's outline, thermal anomalies
near the line as suspected breaches, fires as no violation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import shapely
from agreement_testdata import line_file, occupied_file, outline_file
from hypothesis import given, settings
from hypothesis import strategies as st

from truceline.adjudication.adjudicator import Adjudicator
from truceline.adjudication.determination import Status
from truceline.agreement.geometry_files import areas_from_geojson, read_geojson
from truceline.agreement.hypothetical import hypothetical_ceasefire
from truceline.agreement.loaded import LoadedAgreement
from truceline.errors import GeometryError, InputError
from truceline.fusion.fuse import fuse
from truceline.geometry.theatre import Theatre
from truceline.observations.model import Kind, Observation
from truceline.sources.firms import FirmsAdapter
from truceline.sources.registry import SourceRegistry

FROM = datetime(2025, 9, 1, tzinfo=UTC)
OCCUPIED_SIDE = [(37.80, 48.00), (35.37, 46.85), (33.52, 44.60)]  # Donetsk, Melitopol, Sevastopol
HELD_SIDE = [(37.56, 48.73), (35.14, 47.84), (32.62, 46.64)]  # Kramatorsk, Zaporizhzhia, Kherson


@pytest.fixture(scope="module")
def loaded(shared_data: Path) -> LoadedAgreement:
    return hypothetical_ceasefire(
        line_file(shared_data),
        occupied_file(shared_data),
        outline_file=outline_file(shared_data),
        effective_from=FROM,
    )


@pytest.fixture(scope="module")
def areas(shared_data: Path) -> tuple[shapely.MultiPolygon, shapely.MultiPolygon]:
    """Ukraine's outline and the occupied area, as read from their files."""
    outline = areas_from_geojson(read_geojson(outline_file(shared_data)))
    occupied = areas_from_geojson(read_geojson(occupied_file(shared_data)))
    shapely.prepare(outline)
    shapely.prepare(occupied)
    return outline, occupied


@pytest.fixture(scope="module")
def theatre(loaded: LoadedAgreement) -> Theatre:
    return Theatre(loaded)


def test_sides_follow_the_occupied_area_and_the_outline(
    loaded: LoadedAgreement, theatre: Theatre
) -> None:
    assert loaded.agreement.line.rest_held_by == "RU"
    points = np.array([*OCCUPIED_SIDE, *HELD_SIDE, (36.59, 50.60)])  # and Belgorod, Russia
    sides = np.asarray(theatre.parties)[theatre.sides(points[:, 0], points[:, 1])]
    assert sides.tolist() == ["RU"] * 3 + ["UA"] * 3 + ["RU"]
    assert loaded.held_areas["UA"].intersection(loaded.held_areas["RU"]).area < 1e-9


def test_without_an_outline_everything_not_occupied_is_the_holders(shared_data: Path) -> None:
    plain = hypothetical_ceasefire(
        line_file(shared_data), occupied_file(shared_data), effective_from=FROM
    )
    assert plain.agreement.line.rest_held_by == "UA"
    assert set(plain.held_areas) == {"RU"}


@settings(max_examples=150)
@given(
    lon=st.floats(min_value=30.0, max_value=40.0),
    lat=st.floats(min_value=44.0, max_value=52.0),
)
def test_a_point_is_on_the_occupiers_side_unless_in_the_outline_and_not_occupied(
    areas: tuple[shapely.MultiPolygon, shapely.MultiPolygon],
    theatre: Theatre,
    lon: float,
    lat: float,
) -> None:
    outline, occupied = areas
    point = shapely.Point(lon, lat)
    if min(outline.boundary.distance(point), occupied.boundary.distance(point)) < 1e-6:
        return  # on a boundary the side is a matter of rounding
    held = shapely.contains_xy(outline, lon, lat) and not shapely.contains_xy(occupied, lon, lat)
    side = theatre.parties[int(theatre.sides([lon], [lat])[0])]
    assert side == ("UA" if held else "RU")


def test_fire_rule_lists_thermal_anomalies_only_when_asked(shared_data: Path) -> None:
    def fire_kinds(thermal_fire: bool) -> list[Kind]:
        made = hypothetical_ceasefire(
            line_file(shared_data),
            occupied_file(shared_data),
            effective_from=FROM,
            thermal_fire=thermal_fire,
            thermal_strategy="retrospective",
        )
        assert made.agreement.thermal is not None
        assert made.agreement.thermal.strategy == "retrospective"
        (act,) = [a for a in made.agreement.prohibited_acts if a.code == "CV-FIRE"]
        return list(act.kinds)

    assert Kind.THERMAL_ANOMALY in fire_kinds(True)
    assert Kind.THERMAL_ANOMALY not in fire_kinds(False)
    assert Kind.FIRE not in fire_kinds(True)


def test_real_detections_near_the_line_are_suspected_breaches_and_fires_are_not(
    shared_data: Path, loaded: LoadedAgreement, theatre: Theatre
) -> None:
    registry = SourceRegistry()
    path = (
        shared_data
        / "firms"
        / "viirs_noaa20_2025"
        / "J1_VIIRS_C2_Global_VJ114IMGTDL_NRT_2025244.csv"
    )
    read = FirmsAdapter(registry).read(path, received_at=datetime(2025, 9, 2, tzinfo=UTC))
    detections = [o for o in read if isinstance(o, Observation)]
    lon = np.array([o.lon for o in detections])
    lat = np.array([o.lat for o in detections])
    distance = theatre.distance_to_line_m(lon, lat)
    near = [o for o, d in zip(detections, distance, strict=True) if d <= 10_000.0][:30]
    far = [o for o, d in zip(detections, distance, strict=True) if d >= 100_000.0][:30]
    assert near
    assert far
    chosen = near + far
    adjudicator = Adjudicator(loaded, theatre, registry)

    anomalies = adjudicator.adjudicate(fuse(chosen, registry), ())
    near_ids = {o.id for o in near}
    incidents = {i.id: i for i in fuse(chosen, registry)}
    for determination in anomalies:
        close = bool(set(incidents[determination.incident_id].observation_ids) & near_ids)
        expected = Status.SUSPECTED_BREACH if close else Status.NO_VIOLATION
        assert determination.status is expected
        assert not determination.clear_breach
        assert determination.rules == (("CV-FIRE",) if close else ())
    assert any(d.status is Status.SUSPECTED_BREACH for d in anomalies)

    fires = [o.model_copy(update={"kind": Kind.FIRE}) for o in chosen]
    judged = adjudicator.adjudicate(fuse(fires, registry), ())
    assert {d.status for d in judged} == {Status.NO_VIOLATION}


def test_bad_arguments_name_the_field(shared_data: Path) -> None:
    line, occupied = line_file(shared_data), occupied_file(shared_data)
    cases: list[tuple[dict[str, object], str]] = [
        ({"effective_from": datetime(2025, 9, 1)}, "effective_from"),
        ({"effective_from": FROM, "rest_held_by": "BY"}, "rest_held_by"),
        ({"effective_from": FROM, "thermal_strategy": "weekly"}, "thermal_strategy"),
    ]
    for kwargs, field in cases:
        with pytest.raises(InputError) as caught:
            hypothetical_ceasefire(line, occupied, **kwargs)  # type: ignore[arg-type]
        assert caught.value.field == field
        assert field in str(caught.value)
    with pytest.raises(GeometryError, match="no such file"):
        hypothetical_ceasefire(line, occupied.with_name("missing.geojson"), effective_from=FROM)
