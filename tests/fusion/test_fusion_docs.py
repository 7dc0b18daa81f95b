"""docs/fusion.md states the rule as the code applies it."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from truceline.fusion.grades import CREDIBILITY_FACTOR, GRADE_PROBABILITY, RELIABILITY_FACTOR
from truceline.fusion.parameters import DEFAULT, KIND_PRIORITY
from truceline.observations.model import Reliability

DOC = Path(__file__).resolve().parents[2] / "docs" / "fusion.md"


@pytest.fixture(scope="module")
def text() -> str:
    return DOC.read_text(encoding="utf-8")


def test_every_parameter_is_documented_with_its_default(text: str) -> None:
    for field in fields(DEFAULT):
        if field.name == "kind_groups":
            assert "| `kind_groups` |" in text
            continue
        value = getattr(DEFAULT, field.name)
        assert f"| `{field.name}` | {value:,} |" in text, field.name


def test_the_grade_table_is_the_one_in_the_code(text: str) -> None:
    for index, reliability in enumerate(Reliability):
        row = re.search(rf"^\| {reliability.value} \([0-9.]+\) \|(.*)\|$", text, re.MULTILINE)
        assert row is not None, reliability
        values = [float(cell) for cell in row.group(1).split("|")]
        expected = GRADE_PROBABILITY[index * 6 : index * 6 + 6].tolist()
        assert values == pytest.approx(expected, abs=5e-5)


def test_the_kind_priority_is_the_one_in_the_code(text: str) -> None:
    assert " > ".join(kind.value for kind in KIND_PRIORITY) in text


def test_the_factors_in_the_grade_table_headers_are_the_ones_in_the_code(text: str) -> None:
    for reliability, factor in RELIABILITY_FACTOR.items():
        row = re.search(rf"^\| {reliability.value} \(([0-9.]+)\) \|", text, re.MULTILINE)
        assert row is not None, reliability
        assert float(row.group(1)) == factor, reliability
    header = re.search(r"^\| reliability \\ credibility \|(.*)\|$", text, re.MULTILINE)
    assert header is not None
    cells = [re.fullmatch(r"(\d) \(([0-9.]+)\)", c.strip()) for c in header.group(1).split("|")]
    stated = [(int(m.group(1)), float(m.group(2))) for m in cells if m is not None]
    assert stated == [(int(c), factor) for c, factor in CREDIBILITY_FACTOR.items()]


def test_the_text_compares_f_and_e_by_their_factors(text: str) -> None:
    f = RELIABILITY_FACTOR[Reliability.F]
    e = RELIABILITY_FACTOR[Reliability.E]
    assert f < e
    assert f'F ("reliability cannot be judged", {f:.2f}) counts a little less than E' in text
    assert f'E ("unreliable", {e:.2f})' in text
