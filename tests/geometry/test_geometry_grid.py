"""The grid that decides most points at once: cells, radii and crossed cells."""

from __future__ import annotations

import numpy as np
from geometry_support import GEOD
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString

from truceline.geometry.grid import Grid
from truceline.geometry.projection import LocalProjection

GRID = Grid.covering((30.0, 46.0, 34.0, 49.0), cell_m=5000.0, max_cells=100_000)


def test_covering_respects_the_cell_budget() -> None:
    grid = Grid.covering((22.0, 44.0, 40.0, 52.5), cell_m=100.0, max_cells=10_000)
    assert grid.n_cells <= 10_000
    assert grid.lon0 + grid.nx * grid.dlon >= 40.0
    assert grid.lat0 + grid.ny * grid.dlat >= 52.5
    whole = Grid.covering((-200.0, -100.0, 200.0, 100.0), cell_m=1000.0, max_cells=1000)
    assert (whole.lon0, whole.lat0) == (-180.0, -90.0)


def test_cell_centres_fall_in_their_own_cells() -> None:
    cells = np.arange(GRID.n_cells)
    assert np.array_equal(GRID.cells_of(*GRID.centres()), cells)
    outside = GRID.cells_of(np.array([29.9, 35.0, 31.0]), np.array([47.0, 47.0, 49.5]))
    assert outside.tolist() == [-1, -1, -1]


@settings(max_examples=30, deadline=None)
@given(lon=st.floats(30.0, 33.99), lat=st.floats(46.0, 48.99))
def test_every_point_of_a_cell_is_within_its_radius(lon: float, lat: float) -> None:
    cell = GRID.cells_of(np.array([lon]), np.array([lat]))
    c_lon, c_lat = GRID.centres(cell)
    _, _, distance = GEOD.inv(c_lon, c_lat, [lon], [lat])
    assert distance[0] <= GRID.row_radius_m()[cell[0] // GRID.nx]


@settings(max_examples=30, deadline=None)
@given(
    a=st.tuples(st.floats(29.0, 35.0), st.floats(45.0, 50.0)),
    b=st.tuples(st.floats(29.0, 35.0), st.floats(45.0, 50.0)),
)
def test_every_cell_a_segment_passes_through_is_marked(
    a: tuple[float, float], b: tuple[float, float]
) -> None:
    assume(a != b)
    crossed = GRID.crossed_by(LineString([a, b]))
    t = np.linspace(0.0, 1.0, 5001)
    cells = GRID.cells_of(a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]))
    assert crossed[cells[cells >= 0]].all()


def test_projection_scale_bound_grows_with_distance() -> None:
    assert LocalProjection.max_scale(0.0) == 1.0
    assert 1.0 < LocalProjection.max_scale(500_000.0) < 1.0011
    assert LocalProjection.max_scale(1_500_000.0) < 1.01
    assert LocalProjection.max_scale(19_000_000.0) == float("inf")


@settings(max_examples=30, deadline=None)
@given(
    lon=st.floats(25.0, 45.0),
    lat=st.floats(40.0, 55.0),
    lon2=st.floats(25.0, 45.0),
    lat2=st.floats(40.0, 55.0),
)
def test_projected_distances_bound_geodesic_ones(
    lon: float, lat: float, lon2: float, lat2: float
) -> None:
    projection = LocalProjection(35.0, 48.0)
    x, y = projection.forward(np.array([lon, lon2]), np.array([lat, lat2]))
    projected = float(np.hypot(x[1] - x[0], y[1] - y[0]))
    _, _, geodesic = GEOD.inv(lon, lat, lon2, lat2)
    _, _, r1 = GEOD.inv(35.0, 48.0, lon, lat)
    _, _, r2 = GEOD.inv(35.0, 48.0, lon2, lat2)
    scale = LocalProjection.max_scale(max(r1, r2) + geodesic)
    assert geodesic <= projected * (1 + 1e-9) + 1e-6
    assert projected <= geodesic * scale * (1 + 1e-9) + 1e-6
