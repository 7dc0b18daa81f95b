"""docs/fusion.md states the rule as the code applies it."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from truceline.fusion.grades import GRADE_PROBABILITY
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
