"""The columnar simulation: determinism, size, sensor properties, files and reading back."""

from __future__ import annotations

from dataclasses import fields
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
import shapely
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from typer.testing import CliRunner

from truceline.agreement.loaded import LoadedAgreement
from truceline.cli.app import app
from truceline.cli.simulate import simulate as simulate_command
from truceline.errors import InputError
from truceline.observations.model import Kind
from truceline.observations.table import KINDS, ObservationTable
from truceline.simulation import (
    DEFAULT_START,
    GapReason,
    ScenarioTables,
    TruthTable,
    scenario_of,
    simulate_tables,
)
from truceline.simulation.events import EventTable, Window
from truceline.simulation.files import load_scenario, write_scenario
from truceline.simulation.placement import TheatreFrame
from truceline.simulation.sensors import (
    GroundPatrols,
    SatelliteThermal,
    SensorContext,
    SensorModel,
    UavFleet,
    default_sensors,
)
from truceline.simulation.tables import RNG_LABELS, component_rng
from truceline.sources.firms import detection_ref
from truceline.store import open_store

GEOD = Geod(ellps="WGS84")
SEED = 7


def _sensors(theatre: LoadedAgreement, days: int = 7, seed: int = SEED) -> list[SensorModel]:
    window = Window(DEFAULT_START, days)
    ctx = SensorContext(TheatreFrame(theatre), window, theatre.agreement)
    return default_sensors(ctx, {label: component_rng(seed, label) for label in RNG_LABELS})


@pytest.fixture(scope="module")
def sensors(theatre: LoadedAgreement) -> list[SensorModel]:
    return _sensors(theatre)


@pytest.fixture(scope="module")
def tables(theatre: LoadedAgreement, sensors: list[SensorModel]) -> ScenarioTables:
    """A week on the generated theatre, with the sensors kept for inspection."""
    return simulate_tables(theatre, sensors=sensors)


def _of(sensors: list[SensorModel], cls: type[SensorModel]) -> SensorModel:
    return next(s for s in sensors if isinstance(s, cls))


def _rows_of(tables: ScenarioTables, prefix: str) -> np.ndarray:
    sources = np.array(tables.observations.sources)
    return np.flatnonzero(np.char.startswith(sources[tables.observations.source], prefix))


def _same_tables(a: ObservationTable, b: ObservationTable) -> bool:
    for f in fields(ObservationTable):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, tuple):
            if x != y:
                return False
        elif not np.array_equal(x, y, equal_nan=x.dtype.kind == "f"):
            return False
    return True


# The contract -------------------------------------------------------------------------------


def test_tables_are_sorted_and_consistent(tables: ScenarioTables) -> None:
    table, truth = tables.observations, tables.truth
    assert len(table) == tables.received_t.size == tables.event_index.size > 1_000
    assert list(truth.ids) == sorted(truth.ids)
    assert len(set(truth.ids.tolist())) == len(truth)
    assert tables.event_index.min() >= 0
    assert tables.event_index.max() < len(truth)
    assert bool(np.all(tables.received_t > table.t))
    for name in ("ids", "category", "rule", "rules", "party", "kind", "weapon_class"):
        assert getattr(truth, name).dtype.kind == "U", name
    violations = truth.category == "violation"
    pairs = zip(truth.rule[violations], truth.rules[violations], strict=True)
    assert all(r in rs.split(";") for r, rs in pairs)
    assert not truth.rules[~violations].any()


def test_the_object_view_is_the_same_scenario(tables: ScenarioTables) -> None:
    scenario = scenario_of(tables)
    rebuilt = ObservationTable.from_observations(scenario.observations, scenario.registry())
    assert _same_tables(rebuilt, tables.observations)
    owners = {o: e.id for e in scenario.truth for o in e.observation_ids}
    expected = dict(
        zip(
            tables.observations.ids.tolist(),
            tables.truth.ids[tables.event_index].tolist(),
            strict=True,
        )
    )
    assert owners == expected
    assert tuple(tables.coverage_gaps) == scenario.coverage_gaps


def test_same_seed_same_tables_other_seed_other_tables(theatre: LoadedAgreement) -> None:
    a = simulate_tables(theatre, days=2, seed=5)
    b = simulate_tables(theatre, days=2, seed=5)
    c = simulate_tables(theatre, days=2, seed=6)
    assert _same_tables(a.observations, b.observations)
    assert a.truth.equals(b.truth)
    assert np.array_equal(a.received_t, b.received_t)
    assert np.array_equal(a.event_index, b.event_index)
    assert a.coverage_gaps == b.coverage_gaps
    assert a.prenotifications == b.prenotifications
    assert not set(a.truth.ids.tolist()) & set(c.truth.ids.tolist())


@pytest.mark.parametrize("target", [1_000, 8_000])
def test_target_observations_lands_within_ten_percent(
    theatre: LoadedAgreement, target: int
) -> None:
    tables = simulate_tables(theatre, days=2, seed=3, target_observations=target)
    assert abs(len(tables.observations) - target) <= 0.1 * target
    assert tables.intensity != 1.0


def test_bad_arguments_name_the_field(theatre: LoadedAgreement) -> None:
    cases = [
        ({"target_observations": 0}, "target_observations"),
        ({"target_observations": 10**8, "days": 1}, "target_observations"),
        ({"intensity": -1.0}, "intensity"),
        ({"seed": -3}, "seed"),
        ({"days": 400}, "days"),
    ]
    for kwargs, field in cases:
        with pytest.raises(InputError) as info:
            simulate_tables(theatre, **kwargs)  # type: ignore[arg-type]
        assert info.value.field == field


# Violations -------------------------------------------------------------------------------


def test_every_rule_is_broken_by_both_parties_and_some_go_unseen(tables: ScenarioTables) -> None:
    truth = tables.truth
    seen = np.zeros(len(truth), dtype=bool)
    seen[tables.event_index] = True
    violation = truth.category == "violation"
    for act in tables.loaded.agreement.prohibited_acts:
        for party in ("BLU", "RED"):
            mine = violation & (truth.party == party)
            breaks = np.array([act.code in r.split(";") for r in truth.rules]) & mine
            assert breaks.sum() >= 2, (act.code, party)
    for party in ("BLU", "RED"):
        assert (violation & (truth.party == party) & ~seen).any(), party


# Sensors --------------------------------------------------------------------------------------


def test_no_thermal_detection_under_cloud(tables: ScenarioTables) -> None:
    cloud = [g for g in tables.coverage_gaps if g.reason is GapReason.CLOUD]
    assert cloud
    assert {g.sensor for g in cloud} == {"satellite_thermal"}
    rows = _rows_of(tables, "firms-")
    truth = tables.truth
    events = tables.event_index[rows]
    real = truth.category[events] != "noise"
    rows, events = rows[real], events[real]
    points = shapely.points(truth.lon[events], truth.lat[events])
    t = tables.observations.t[rows]
    fires = np.flatnonzero(truth.category == "harvest_fire")
    fire_points = shapely.points(truth.lon[fires], truth.lat[fires])
    blinded = 0
    for g in cloud:
        area = g.geometry
        start, end = g.start.timestamp() + 60, g.end.timestamp() - 60
        inside = shapely.contains(area, points) & (t >= start) & (t < end)
        assert not inside.any(), g
        blinded += int(
            (
                shapely.contains(area, fire_points)
                & (truth.t[fires] >= start)
                & (truth.t[fires] < end)
            ).sum()
        )
    assert blinded > 50  # the clouds did hide fires that burned under them


def test_satellites_see_only_fires_above_their_heat_threshold(theatre: LoadedAgreement) -> None:
    frame = TheatreFrame(theatre)
    window = Window(DEFAULT_START, 1)
    satellite = _of(_sensors(theatre, days=1), SatelliteThermal)
    assert isinstance(satellite, SatelliteThermal)
    satellite.clouds.cloudy_blocks[:] = False  # a clear sky, to see the threshold alone
    n = 400
    x, y = frame.points_along(np.linspace(1_000.0, frame.length_m - 1_000.0, n), np.zeros(n))
    frp = np.where(np.arange(n) % 2 == 0, 0.3, 60.0)
    events = EventTable.make(
        n,
        category="harvest_fire",
        kind=Kind.THERMAL_ANOMALY.value,
        t=window.t0,
        x=x,
        y=y + 5_000.0,
        burn_until=window.t1,
        frp_mw=frp,
    ).locate(frame)
    ctx = SensorContext(frame, window, theatre.agreement)
    reports = satellite.observe(events, ctx, np.random.default_rng(1))
    modis = reports.source == "firms-modis"
    weak = frp[reports.event] < 1.0
    assert set(range(1, n, 2)) <= set(reports.event.tolist())  # every strong fire is seen
    assert not weak[modis].any()
    assert weak.sum() <= 3  # VIIRS sees a 0.3 MW fire only by a rare measurement error


def test_thermal_reports_are_what_firms_publishes(tables: ScenarioTables) -> None:
    rows = _rows_of(tables, "firms-")
    table = tables.observations
    assert bool(np.all(table.t[rows] % 60 == 0))
    assert bool(np.all(table.time_unc[rows] == 300.0))
    sat = tables.attributes["satellite"]
    for i in rows[:200].tolist():
        lat, lon = f"{table.lat[i]:.5f}", f"{table.lon[i]:.5f}"
        when = np.datetime64(int(table.t[i]), "s").astype(object)
        source = table.sources[table.source[i]]
        platform = {"Terra": "TERRA", "Aqua": "AQUA"}.get(str(sat[i]), source)
        ref = detection_ref(lat, lon, when.strftime("%Y-%m-%d"), when.strftime("%H%M"), platform)
        assert ref == tables.source_refs[i]


def test_uav_reports_come_from_inside_a_sortie_box_while_it_flies(
    tables: ScenarioTables, sensors: list[SensorModel]
) -> None:
    uav = _of(sensors, UavFleet)
    assert isinstance(uav, UavFleet)
    rows = _rows_of(tables, "uav-")
    assert rows.size > 10
    truth = tables.truth
    sources = np.array(tables.observations.sources)[tables.observations.source[rows]]
    for row, source in zip(rows.tolist(), sources.tolist(), strict=True):
        e = int(tables.event_index[row])
        airframe = int(source.removeprefix("uav-")) - 1
        flying = (
            (uav.airframe == airframe)
            & (uav.start <= truth.t[e])
            & (truth.t[e] < uav.end)
            & (np.abs(uav.centre - truth.along_m[e]) <= uav.box_half_m)
            & (truth.distance_m[e] <= uav.depth)
        )
        assert flying.any(), (source, truth.ids[e])
    reasons = {g.reason for g in tables.coverage_gaps if g.sensor == "uav"}
    assert reasons == {GapReason.UAV_OUTAGE, GapReason.JAMMING}


def test_jamming_degrades_uav_locations(theatre: LoadedAgreement) -> None:
    tables = simulate_tables(theatre, days=14, seed=2)
    rows = _rows_of(tables, "uav-")
    gnss = tables.attributes["gnss"][rows]
    jammed = gnss == "degraded"
    assert jammed.any()
    assert (~jammed).any()
    e = tables.event_index[rows]
    _, _, error = GEOD.inv(
        tables.observations.lon[rows],
        tables.observations.lat[rows],
        tables.truth.lon[e],
        tables.truth.lat[e],
    )
    assert error[jammed].min() > 300.0
    assert np.median(error[~jammed]) < 80.0
    assert (error[jammed] > tables.observations.loc_unc[rows][jammed]).any()


def test_acoustic_and_camera_reports_give_bearing_and_range_band(tables: ScenarioTables) -> None:
    checked = 0
    for prefix, sd in (("acoustic-", 3.0), ("camera-", 0.5)):
        rows = _rows_of(tables, prefix)
        e = tables.event_index[rows]
        real = tables.truth.category[e] != "noise"
        rows, e = rows[real], e[real]
        attrs = tables.attributes
        s_lon, s_lat = attrs["sensor_lon"][rows], attrs["sensor_lat"][rows]
        bearing, _, distance = GEOD.inv(s_lon, s_lat, tables.truth.lon[e], tables.truth.lat[e])
        gap = np.abs((attrs["bearing_deg"][rows] - bearing + 180.0) % 360.0 - 180.0)
        assert gap.max() < 5 * sd
        low, high = attrs["range_min_m"][rows], attrs["range_max_m"][rows]
        assert bool(np.all((low - 1.0 <= distance) & (distance <= high + 1.0)))
        # the reported point is the middle of the band on the measured bearing
        _, _, reach = GEOD.inv(
            s_lon, s_lat, tables.observations.lon[rows], tables.observations.lat[rows]
        )
        assert np.allclose(reach, (low + high) / 2, atol=2.0)
        assert bool(np.all(tables.observations.loc_unc[rows] >= (high - low) / 2))
        checked += rows.size
    assert checked > 30


def test_patrols_never_report_from_denied_sectors(
    tables: ScenarioTables, sensors: list[SensorModel]
) -> None:
    patrol = _of(sensors, GroundPatrols)
    assert isinstance(patrol, GroundPatrols)
    denied = [g for g in tables.coverage_gaps if g.reason is GapReason.ACCESS_DENIED]
    assert denied
    rows = _rows_of(tables, "patrol-")
    assert rows.size
    e = tables.event_index[rows]
    t, along = tables.truth.t[e], tables.truth.along_m[e]
    for gap in denied:
        km = gap.sector.split(" ", 2)[1].split("-")
        a0, a1 = float(km[0]) * 1000, float(km[1]) * 1000
        inside = (along >= a0) & (along < a1)
        inside &= (t >= gap.start.timestamp() - 5 * 3600) & (t < gap.end.timestamp() + 8 * 3600)
        assert not inside.any(), gap
    window = Window(tables.start, 7)
    ctx = SensorContext(TheatreFrame(tables.loaded), window, tables.loaded.agreement)
    assert bool(patrol.open_sector(t, along, ctx).all())


def test_open_sources_are_hours_late_coarse_and_to_the_hour(tables: ScenarioTables) -> None:
    rows = _rows_of(tables, "osint-")
    e = tables.event_index[rows]
    real = tables.truth.category[e] != "noise"
    delay_h = (tables.received_t[rows] - tables.truth.t[e])[real] / 3600
    assert delay_h.min() >= 1.0
    assert 2.0 < np.median(delay_h) < 8.0
    assert delay_h.max() > 12.0
    assert bool(np.all(tables.observations.t[rows] % 3600 == 0))
    assert bool(np.all(tables.observations.loc_unc[rows] >= 3_000.0))


# Files ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small(theatre: LoadedAgreement) -> ScenarioTables:
    return simulate_tables(theatre, days=2, seed=4)


def test_write_and_load_round_trip(small: ScenarioTables, tmp_path: Path) -> None:
    manifest = write_scenario(small, tmp_path / "s", days=2)
    assert manifest["counts"]["observations"] == len(small.observations)
    back = load_scenario(tmp_path / "s")
    assert _same_tables(back.observations, small.observations)
    assert back.truth.equals(small.truth)
    assert np.array_equal(back.received_t, small.received_t)
    assert np.array_equal(back.event_index, small.event_index)
    assert np.array_equal(back.source_refs, small.source_refs)
    assert back.coverage_gaps == small.coverage_gaps
    assert back.prenotifications == small.prenotifications
    assert back.sources == small.sources
    assert (back.start, back.end, back.seed) == (small.start, small.end, small.seed)
    assert back.loaded.agreement.prohibited_acts == small.loaded.agreement.prohibited_acts


def test_files_are_byte_identical_for_the_same_seed(
    theatre: LoadedAgreement, small: ScenarioTables, tmp_path: Path
) -> None:
    again = simulate_tables(theatre, days=2, seed=4)
    a = write_scenario(small, tmp_path / "a", days=2)
    b = write_scenario(again, tmp_path / "b", days=2)
    assert a["files"] == b["files"]
    for entry in a["files"]:
        assert (tmp_path / "a" / entry["path"]).read_bytes() == (
            tmp_path / "b" / entry["path"]
        ).read_bytes()


def test_a_changed_file_is_refused(small: ScenarioTables, tmp_path: Path) -> None:
    write_scenario(small, tmp_path / "s", days=2)
    truth = tmp_path / "s" / "truth.csv"
    truth.write_text(truth.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"truth\.csv"):
        load_scenario(tmp_path / "s")
    with pytest.raises(InputError) as info:
        write_scenario(small, tmp_path / "s", days=2)
    assert info.value.field == "out"


def test_simulate_command_then_ingest_reads_every_observation(tmp_path: Path) -> None:
    command = typer.Typer()
    command.command()(simulate_command)
    runner = CliRunner()
    out = tmp_path / "scenario"
    result = runner.invoke(command, ["--out", str(out), "--days", "1", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "coverage gaps" in result.output
    back = load_scenario(out)
    feeds = sorted((out / "feeds").glob("*.csv"))
    assert any(f.name.startswith("firms_") for f in feeds)
    db = tmp_path / "s.sqlite"
    ingest = runner.invoke(
        app,
        ["ingest", "--sources", str(out / "sources.yaml"), *map(str, feeds), "--db", str(db), "-q"],
    )
    assert ingest.exit_code == 0, ingest.output
    with open_store(db) as store:
        stored = {o.id for o in store.observations()}
    assert stored == set(back.observations.ids.tolist())
    again = runner.invoke(command, ["--out", str(out)])
    assert again.exit_code == 1
    assert "--overwrite" in again.output


def test_simulate_command_refuses_land_without_agreement(tmp_path: Path) -> None:
    command = typer.Typer()
    command.command()(simulate_command)
    result = CliRunner().invoke(
        command, ["--out", str(tmp_path / "x"), "--land", str(tmp_path / "land.geojson")]
    )
    assert result.exit_code == 1
    assert "--agreement" in result.output


@settings(max_examples=3, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**31 - 1))
def test_invariants_hold_for_any_seed(theatre: LoadedAgreement, seed: int) -> None:
    tables = simulate_tables(theatre, days=1, seed=seed)
    truth: TruthTable = tables.truth
    assert len(set(truth.ids.tolist())) == len(truth)
    assert len(set(tables.observations.ids.tolist())) == len(tables.observations)
    assert bool(np.all(tables.received_t > tables.observations.t))
    kinds = {KINDS[k].value for k in np.unique(tables.observations.kind).tolist()}
    assert kinds <= {k.value for k in Kind}
    assert all(g.end > g.start for g in tables.coverage_gaps)
    assert all(g.end - g.start <= timedelta(days=2) for g in tables.coverage_gaps)
