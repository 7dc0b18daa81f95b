"""The thermal rules on hand-made cell-days: retrospective's 7- and 10-day rules exactly,
same-day's neighbours and persistence, the negative binomial tail, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from truceline.errors import InputError
from truceline.sources.thermal.baseline import season_day, tail_probability
from truceline.sources.thermal.classify import parse_strategy
from truceline.sources.thermal.history import Detections, read_detections
from truceline.sources.thermal.retrospective import retrospective
from truceline.sources.thermal.same_day import cell_day_evidence


def _retro(cells: list[int], days: list[int], excess: list[bool]) -> tuple[list[bool], list[bool]]:
    result = retrospective(np.array(cells), np.array(days), np.array(excess))
    return result.occasion.tolist(), result.follow_up.tolist()


def test_two_excess_days_7_days_apart_are_war_related() -> None:
    occasion, _ = _retro([1, 1], [0, 7], [True, True])
    assert occasion == [True, True]


def test_two_excess_days_6_days_apart_are_not() -> None:
    occasion, follow = _retro([1, 1], [0, 6], [True, True])
    assert occasion == [False, False]
    assert follow == [False, False]


def test_a_single_excess_day_is_not_war_related() -> None:
    occasion, follow = _retro([1, 1], [0, 3], [True, False])
    assert occasion == [False, False]
    assert follow == [False, False]


def test_repetition_counts_within_one_cell_only() -> None:
    occasion, _ = _retro([1, 2], [0, 9], [True, True])
    assert occasion == [False, False]


def test_fires_on_the_10_days_after_a_war_related_day_are_war_related() -> None:
    cells = [5, 5, 5, 5, 5]
    days = [0, 7, 17, 18, 8]
    excess = [True, True, False, False, False]
    occasion, follow = _retro(cells, days, excess)
    assert occasion == [True, True, False, False, False]
    # day 17 is 10 days after day 7: in; day 18 is 11 days after: out; day 8 is 1 day after
    assert follow == [False, False, True, False, True]


def test_the_10_day_rule_needs_a_qualifying_cell() -> None:
    _, follow = _retro([5, 5], [0, 3], [True, False])
    assert follow == [False, False]


def test_the_10_day_rule_does_not_cross_cells() -> None:
    _, follow = _retro([5, 5, 6], [0, 7, 8], [True, True, False])
    assert follow == [False, False, False]


@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 60), st.booleans()),
        min_size=1,
        max_size=40,
        unique_by=lambda t: (t[0], t[1]),
    ),
    st.randoms(use_true_random=False),
)
def test_retrospective_does_not_depend_on_order(
    rows: list[tuple[int, int, bool]], rng: object
) -> None:
    cells, days, excess = (list(v) for v in zip(*rows, strict=True))
    first = _retro(cells, days, excess)
    order = list(range(len(rows)))
    rng.shuffle(order)  # type: ignore[attr-defined]
    second = _retro([cells[i] for i in order], [days[i] for i in order], [excess[i] for i in order])
    for position, i in enumerate(order):
        assert second[0][position] == first[0][i]
        assert second[1][position] == first[1][i]


def test_same_day_neighbours_are_the_8_adjacent_cells_on_the_same_day() -> None:
    row = np.array([480, 481, 482, 480, 490])
    col = np.array([370, 371, 372, 370, 370])
    day = np.array([3, 3, 3, 4, 3])
    excess = np.array([True, True, False, False, True])
    evidence = cell_day_evidence(row, col, day, excess)
    # (481, 371) touches (480, 370) diagonally; (482, 372) touches (481, 371); day 4 has no
    # excess anywhere; (490, 370) is ten cells away
    assert evidence.neighbour.tolist() == [True, True, True, False, False]


def test_same_day_persistence_looks_back_10_days_only() -> None:
    row = np.array([480, 480, 480, 480])
    col = np.array([370, 370, 370, 370])
    day = np.array([0, 10, 21, 22])
    excess = np.array([True, False, True, False])
    evidence = cell_day_evidence(row, col, day, excess)
    # day 10 is 10 days after the excess of day 0; day 22 one day after day 21's excess;
    # day 21 is 21 days after day 0 (too late) and day 0 has nothing before it
    assert evidence.persistent.tolist() == [False, True, False, True]


@given(
    st.floats(0.001, 50.0),
    st.floats(0.0, 200.0),
    st.integers(1, 60),
)
def test_tail_probability_is_the_negative_binomial_tail(mean: float, phi: float, n: int) -> None:
    p = tail_probability(np.array([n, n + 1]), np.array([mean, mean]), np.array([phi, phi]))
    assert 1e-12 <= p[1] <= p[0] <= 1.0
    if phi < 1e-9:
        expected = stats.poisson.sf(n - 1, mean)
    else:
        size = 1 / phi
        expected = stats.nbinom.sf(n - 1, size, size / (size + mean))
    assert p[0] == pytest.approx(max(expected, 1e-12), rel=1e-6, abs=1e-12)


def test_a_count_of_zero_is_certain() -> None:
    assert tail_probability(np.array([0]), np.array([0.5]), np.array([1.0]))[0] == 1.0


def test_29_february_counts_as_28_february() -> None:
    days = np.array(["2020-02-28", "2020-02-29", "2020-03-01", "2021-03-01"], dtype="datetime64[D]")
    assert season_day(days).tolist() == [58, 58, 59, 59]


def test_unknown_strategy_is_refused_naming_the_field() -> None:
    with pytest.raises(InputError) as caught:
        parse_strategy("weekly", "--strategy")
    assert caught.value.field == "--strategy"
    assert "same-day" in str(caught.value)


def test_history_file_without_acq_date_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fires.csv"
    path.write_text("LATITUDE,LONGITUDE\n48.1,37.5\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_detections(path)
    assert caught.value.field == "acq_date"
    assert "missing FIRMS column(s) acq_date" in str(caught.value)


@pytest.mark.parametrize("bad", ["2021-02-30", "2021-2-3", "20210203", "2021"])
def test_history_file_with_a_bad_date_is_refused_with_its_line(tmp_path: Path, bad: str) -> None:
    path = tmp_path / "fires.csv"
    path.write_text(
        f"LATITUDE,LONGITUDE,ACQ_DATE\n48.1,37.5,2021-02-03\n48.2,37.6,{bad}\n", encoding="utf-8"
    )
    with pytest.raises(InputError) as caught:
        read_detections(path)
    assert caught.value.field == "acq_date"
    assert "line 3" in str(caught.value)


def test_history_file_with_a_bad_latitude_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "fires.csv"
    path.write_text("latitude,longitude,acq_date\n91.5,37.5,2021-02-03\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_detections(path)
    assert caught.value.field == "latitude"
    assert "line 2" in str(caught.value)


def test_columns_of_different_lengths_are_refused() -> None:
    with pytest.raises(InputError) as caught:
        Detections.of([48.0, 48.1], [37.0], ["2021-01-01", "2021-01-02"])
    assert caught.value.field == "lon"
