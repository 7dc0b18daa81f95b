"""The background model: how many fire detections a 0.1° cell sees on a day of the year in a
normal year, as a negative binomial distribution per cell and day of the year.

Statistics (docs/thermal.md explains them for analysts):

- **Unit.** The number of detections N in one 0.1° × 0.1° cell on one UTC day. Cells are
  aligned on multiples of 0.1° (cell (i, j) covers latitudes [i/10, (i+1)/10) and longitudes
  [j/10, (j+1)/10)).
- **Season.** Days are counted on a 365-day calendar (29 February counts as 28 February).
  The distribution for day d pools the normal years' counts of the days d-30 .. d+30
  (wrapping around the new year) with triangular weights 1 - |t|/31: the day itself
  weighs 1, a day 30 days away 1/31. With Y normal years this is Y × 31 cell-days of
  evidence (the sum of the weights).
- **Sparse cells.** A cell's pooled counts are mixed with a pseudo-sample of 64 cell-days
  drawn from its neighbourhood — the 7 × 7 cells around it — whose own counts are mixed in
  the same way with the country-wide distribution of the active cells (cells with at least
  one detection in the normal years). A cell with a long history is described mostly by its
  own counts; a cell with none gets its neighbourhood's activity instead of a probability
  of zero.
- **Distribution.** A negative binomial (Poisson counts whose rate varies from day to day
  and year to year: fires come in bursts) fitted to the mixture's mean m and variance v by
  the method of moments: overdispersion phi = (v - m) / m², and a Poisson where v ≤ m.
- **Test.** The probability that a day with at least the observed count n occurs in the
  cell within its season (the 61 days around the date) in a normal year:
  1 - (1 - P(N ≥ n))^61. An excess is a probability below 5 %; the score is -log10 of it
  (1.3 is 5 %, 2 is 1 %, 3 is 0.1 %).

The half-width (30 days), neighbourhood (7 × 7) and prior weight (64 cell-days) were
chosen among a few candidates by the likelihood of each normal year's counts under the
model built from the other normal years (leave one year out); no war year was used.

The model file stores only the sufficient statistics (per cell and day of the year, the
sum of the normal years' counts and of their squares, for the cell-days with any
detection), so it is small; the parameters are derived from them when the file is loaded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage, special

from truceline.errors import InputError
from truceline.sources.thermal.history import Detections

CELL_DEG = 0.1
SEASON_DAYS = 365
FORMAT = "truceline-thermal-baseline"
FORMAT_VERSION = 1
MIN_MEAN = 1e-6
"""Floor of a cell's expected count, so that no place is ever 'impossible'."""
P_FLOOR = 1e-12
"""Smallest probability reported (a score of at most 12)."""
_EPS = 1e-7


@dataclass(frozen=True)
class BaselineSettings:
    """How the background is smoothed; the defaults are those documented in docs/thermal.md."""

    half_window_days: int = 30
    """The season: days d-h .. d+h of the normal years describe day d (triangular weights)."""
    neighbourhood_radius: int = 3
    """The neighbourhood of a cell: (2r + 1)² cells around it (7 × 7 by default)."""
    prior_cell_days: float | None = 64.0
    """Weight of the neighbourhood in a cell's mixture, in cell-days; None: h + 1 (one
    year's worth of window weight)."""

    def __post_init__(self) -> None:
        if not 0 <= self.half_window_days <= 90:
            raise InputError(
                f"half_window_days must be between 0 and 90, got {self.half_window_days}",
                field="half_window_days",
            )
        if not 0 <= self.neighbourhood_radius <= 10:
            raise InputError(
                f"neighbourhood_radius must be between 0 and 10, got {self.neighbourhood_radius}",
                field="neighbourhood_radius",
            )
        if self.prior_cell_days is not None and not (
            math.isfinite(self.prior_cell_days) and self.prior_cell_days > 0
        ):
            raise InputError(
                f"prior_cell_days must be a positive number, got {self.prior_cell_days}",
                field="prior_cell_days",
            )

    @property
    def window_weight(self) -> float:
        """Sum of the triangular weights: the cell-days one year contributes."""
        return float(self.half_window_days + 1)

    @property
    def prior(self) -> float:
        return self.prior_cell_days if self.prior_cell_days is not None else self.window_weight


def cell_rows_cols(
    lat: NDArray[np.float64], lon: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The global 0.1° cell (row = floor(lat × 10), column = floor(lon × 10)) of each point.

    A tiny tolerance keeps points printed on a cell edge (48.3) in the cell they name,
    whatever the binary rounding of lat × 10.
    """
    rows = np.floor(np.asarray(lat, dtype=np.float64) * 10.0 + _EPS).astype(np.int64)
    cols = np.floor(np.asarray(lon, dtype=np.float64) * 10.0 + _EPS).astype(np.int64)
    return rows, cols


def season_day(day: NDArray[np.datetime64]) -> NDArray[np.int64]:
    """Day of the year on a 365-day calendar, 0-364; 29 February counts as 28 February."""
    day = np.asarray(day, dtype="datetime64[D]")
    year = day.astype("datetime64[Y]")
    offset = (day - year.astype("datetime64[D]")).astype(np.int64)
    y = year.astype(np.int64) + 1970
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    return np.asarray(np.where(leap & (offset >= 59), offset - 1, offset), dtype=np.int64)


@dataclass(frozen=True)
class Statistics:
    """Sufficient statistics of the normal years: what the model file stores."""

    row0: int
    col0: int
    n_rows: int
    n_cols: int
    years: tuple[int, ...]
    index: NDArray[np.int64]
    """Flat index cell × 365 + season day of every cell-day with any detection."""
    total: NDArray[np.float64]
    """Sum over the normal years of the count of that cell-day."""
    squares: NDArray[np.float64]
    """Sum over the normal years of the squared count."""

    @property
    def n_cells(self) -> int:
        return self.n_rows * self.n_cols

    @property
    def detections(self) -> int:
        return int(self.total.sum())


def statistics(detections: Detections, years: set[int] | frozenset[int]) -> Statistics:
    """The sufficient statistics of the detections of `years` (the normal years).

    Raises InputError if a year has no detection, or if no year is given.
    """
    if not years:
        raise InputError("no normal year given: the background needs at least one", field="years")
    all_years = detections.years()
    present = set(np.unique(all_years).tolist())
    missing = sorted(set(years) - present)
    if missing:
        raise InputError(
            f"no detections of year(s) {', '.join(map(str, missing))} in the history; give "
            f"the files of those years or leave them out of --years (found: "
            f"{', '.join(map(str, sorted(present))) or 'none'})",
            field="years",
        )
    keep = np.isin(all_years, sorted(years))
    rows, cols = cell_rows_cols(detections.lat[keep], detections.lon[keep])
    margin = 3
    row0, col0 = int(rows.min()) - margin, int(cols.min()) - margin
    n_rows = int(rows.max()) - row0 + 1 + margin
    n_cols = int(cols.max()) - col0 + 1 + margin
    cell = (rows - row0) * n_cols + (cols - col0)
    season = season_day(detections.day[keep])
    year_of = all_years[keep]
    size = n_rows * n_cols * SEASON_DAYS
    total = np.zeros(size, dtype=np.float64)
    squares = np.zeros(size, dtype=np.float64)
    flat = cell * SEASON_DAYS + season
    for year in sorted(years):
        mine = year_of == year
        # count per cell and UTC date (29 February and 28 February are separate days)
        ordinal = detections.day[keep][mine].astype(np.int64)
        ordinal -= ordinal.min(initial=0)
        keys, counts = np.unique(ordinal * size + flat[mine], return_counts=True)
        where = keys % size
        np.add.at(total, where, counts)
        np.add.at(squares, where, counts.astype(np.float64) ** 2)
    index = np.flatnonzero(total)
    return Statistics(
        row0=row0,
        col0=col0,
        n_rows=n_rows,
        n_cols=n_cols,
        years=tuple(sorted(years)),
        index=index,
        total=total[index],
        squares=squares[index],
    )


@dataclass(frozen=True)
class BaselineModel:
    """The fitted background: expected count and overdispersion per cell and season day."""

    stats: Statistics
    settings: BaselineSettings
    mean: NDArray[np.float32] = field(repr=False)
    """(cells, 365): expected detections per cell-day in a normal year."""
    phi: NDArray[np.float32] = field(repr=False)
    """(cells, 365): negative binomial overdispersion (0: Poisson)."""
    national_mean: NDArray[np.float64] = field(repr=False)
    national_phi: NDArray[np.float64] = field(repr=False)
    active_cells: int = 0

    @property
    def years(self) -> tuple[int, ...]:
        return self.stats.years

    def parameters(
        self, lat: NDArray[np.float64], lon: NDArray[np.float64], season: NDArray[np.int64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Expected count and overdispersion for cells given by a point in each, on those
        season days. Points outside the model's grid get the country-wide values."""
        rows, cols = cell_rows_cols(lat, lon)
        r = rows - self.stats.row0
        c = cols - self.stats.col0
        inside = (r >= 0) & (r < self.stats.n_rows) & (c >= 0) & (c < self.stats.n_cols)
        mean = self.national_mean[season].astype(np.float64)
        phi = self.national_phi[season].astype(np.float64)
        cell = r[inside] * self.stats.n_cols + c[inside]
        mean[inside] = self.mean[cell, season[inside]]
        phi[inside] = self.phi[cell, season[inside]]
        return mean, phi

    def exceedance(
        self,
        lat: NDArray[np.float64],
        lon: NDArray[np.float64],
        season: NDArray[np.int64],
        count: NDArray[np.int64],
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """For each (cell, season day, count): the probability that the cell sees a day
        with at least `count` detections within its season (the 2h + 1 days around it) in a
        normal year, and the expected count of one day there.

        Days are taken as independent draws of the day's distribution: 1 - (1 - p)^(2h+1)
        with p = P(N ≥ count) on one day. Fires cluster in time, so this overstates the
        chance of such a day a little, which errs towards 'normal'.
        """
        mean, phi = self.parameters(lat, lon, season)
        daily = tail_probability(count, mean, phi)
        days = 2 * self.settings.half_window_days + 1
        seasonal = -np.expm1(days * np.log1p(-np.minimum(daily, 1.0 - 1e-16)))
        seasonal = np.where(daily >= 1.0, 1.0, seasonal)
        return np.clip(seasonal, P_FLOOR, 1.0), mean


def tail_probability(
    count: NDArray[np.int64], mean: NDArray[np.float64], phi: NDArray[np.float64]
) -> NDArray[np.float64]:
    """P(N ≥ count) for N negative binomial with this mean and overdispersion (Poisson
    where phi is 0); 1 for a count of 0 or less; never below 1e-12."""
    count = np.asarray(count, dtype=np.float64)
    mean = np.maximum(np.asarray(mean, dtype=np.float64), MIN_MEAN)
    phi = np.asarray(phi, dtype=np.float64)
    poisson = phi < 1e-9
    p = np.ones(count.shape, dtype=np.float64)
    positive = count >= 1
    use_p = positive & poisson
    # P(N >= n) = P(N > n - 1): the regularised gamma (Poisson) and beta (negative binomial)
    p[use_p] = special.gammainc(count[use_p], mean[use_p])
    use_nb = positive & ~poisson
    size = 1.0 / phi[use_nb]
    p[use_nb] = special.betainc(count[use_nb], size, mean[use_nb] / (size + mean[use_nb]))
    return np.clip(p, P_FLOOR, 1.0)


def _triangle(half: int) -> NDArray[np.float32]:
    t = np.arange(-half, half + 1, dtype=np.float64)
    return (1.0 - np.abs(t) / (half + 1)).astype(np.float32)


def fit(stats: Statistics, settings: BaselineSettings | None = None) -> BaselineModel:
    """The background model of these statistics (see the module's docstring)."""
    settings = settings or BaselineSettings()
    n_cells = stats.n_cells
    shape = (n_cells, SEASON_DAYS)
    total = np.zeros(n_cells * SEASON_DAYS, dtype=np.float32)
    squares = np.zeros(n_cells * SEASON_DAYS, dtype=np.float32)
    total[stats.index] = stats.total
    squares[stats.index] = stats.squares
    weights = _triangle(settings.half_window_days)
    a1 = ndimage.convolve1d(total.reshape(shape), weights, axis=1, mode="wrap")
    a2 = ndimage.convolve1d(squares.reshape(shape), weights, axis=1, mode="wrap")
    del total, squares
    n = len(stats.years) * settings.window_weight
    prior = settings.prior
    active = a1.sum(axis=1) > 0
    n_active = max(int(active.sum()), 1)
    national_mean = a1[active].sum(axis=0, dtype=np.float64) / (n * n_active)
    national_second = a2[active].sum(axis=0, dtype=np.float64) / (n * n_active)
    national_mean = np.maximum(national_mean, MIN_MEAN)
    side = 2 * settings.neighbourhood_radius + 1
    grid = (stats.n_rows, stats.n_cols, SEASON_DAYS)

    def box_sum(values: NDArray[np.float32]) -> NDArray[np.float32]:
        smoothed = ndimage.uniform_filter(
            values.reshape(grid), size=(side, side, 1), mode="constant", cval=0.0
        )
        return np.asarray((smoothed * float(side * side)).reshape(shape), dtype=np.float32)

    n_near = n * side * side
    near_mean = (box_sum(a1) + prior * national_mean.astype(np.float32)) / (n_near + prior)
    near_second = (box_sum(a2) + prior * national_second.astype(np.float32)) / (n_near + prior)
    mean = (a1 + prior * near_mean) / (n + prior)
    second = (a2 + prior * near_second) / (n + prior)
    del a1, a2, near_mean, near_second
    mean = np.maximum(mean, MIN_MEAN)
    phi = np.maximum(second - mean * mean - mean, 0.0) / (mean * mean)
    national_phi = np.maximum(national_second - national_mean**2 - national_mean, 0.0) / (
        national_mean**2
    )
    return BaselineModel(
        stats=stats,
        settings=settings,
        mean=mean.astype(np.float32),
        phi=phi.astype(np.float32),
        national_mean=national_mean,
        national_phi=national_phi,
        active_cells=int(active.sum()),
    )


def build(
    detections: Detections,
    years: set[int] | frozenset[int],
    settings: BaselineSettings | None = None,
) -> BaselineModel:
    """Build the background model from the detections of the normal `years`."""
    return fit(statistics(detections, years), settings)


def save(model: BaselineModel, path: Path) -> int:
    """Write the model's statistics and settings to `path` (numpy .npz); returns its size."""
    stats, settings = model.stats, model.settings
    if stats.squares.size and stats.squares.max() >= 2**32:
        raise InputError("a cell-day count is too large to store", field="history")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        np.savez_compressed(
            handle,
            format=np.array(FORMAT),
            format_version=np.array(FORMAT_VERSION),
            grid=np.array([stats.row0, stats.col0, stats.n_rows, stats.n_cols], dtype=np.int64),
            years=np.array(stats.years, dtype=np.int32),
            settings=np.array(
                [
                    settings.half_window_days,
                    settings.neighbourhood_radius,
                    settings.prior if settings.prior_cell_days is not None else -1.0,
                ],
                dtype=np.float64,
            ),
            index=stats.index.astype(np.uint32),
            total=stats.total.astype(np.uint32),
            squares=stats.squares.astype(np.uint32),
        )
    return path.stat().st_size


def load(path: Path) -> BaselineModel:
    """Read a model written by `save` and fit it. Raises InputError (field ``baseline``)
    for a missing file or a file that is not a Truceline thermal baseline."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays: dict[str, Any] = {k: data[k] for k in data.files}
    except FileNotFoundError:
        raise InputError(
            f"{path}: no thermal baseline there; build one with 'truceline baseline build'",
            field="baseline",
        ) from None
    except (OSError, ValueError) as exc:
        raise InputError(
            f"{path}: not a thermal baseline file ({exc}); build one with "
            "'truceline baseline build'",
            field="baseline",
        ) from None
    if str(arrays.get("format", "")) != FORMAT:
        raise InputError(
            f"{path}: not a thermal baseline file; build one with 'truceline baseline build'",
            field="baseline",
        )
    version = int(arrays["format_version"])
    if version != FORMAT_VERSION:
        raise InputError(
            f"{path}: thermal baseline format {version} is not supported (this version reads "
            f"{FORMAT_VERSION}); rebuild it with 'truceline baseline build'",
            field="baseline",
        )
    row0, col0, n_rows, n_cols = (int(v) for v in arrays["grid"])
    half, radius, prior = (float(v) for v in arrays["settings"])
    stats = Statistics(
        row0=row0,
        col0=col0,
        n_rows=n_rows,
        n_cols=n_cols,
        years=tuple(int(y) for y in arrays["years"]),
        index=arrays["index"].astype(np.int64),
        total=arrays["total"].astype(np.float64),
        squares=arrays["squares"].astype(np.float64),
    )
    settings = BaselineSettings(
        half_window_days=int(half),
        neighbourhood_radius=int(radius),
        prior_cell_days=None if prior < 0 else prior,
    )
    return fit(stats, settings)


def baseline_path_for(db: Path) -> Path:
    """Where the baseline of a store lives: beside it, ``<store name>.thermal-baseline.npz``."""
    return db.with_name(f"{db.stem}.thermal-baseline.npz")
