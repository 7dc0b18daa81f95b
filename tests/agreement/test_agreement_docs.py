"""docs/agreement.md documents every field, every command, and ships the template verbatim."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from agreement_testdata import TEMPLATE
from pydantic import BaseModel
from typer.main import get_command

from truceline.agreement.model import Agreement
from truceline.agreement.validation_messages import model_in_annotation
from truceline.cli.agreement import agreement_app

DOC = Path(__file__).resolve().parents[2] / "docs" / "agreement.md"


def field_names(model: type[BaseModel]) -> set[str]:
    names: set[str] = set()
    for name, info in model.model_fields.items():
        names.add(name)
        inner = model_in_annotation(info.annotation)
        if inner is not None:
            names |= field_names(inner)
    return names


def test_every_field_of_the_format_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = sorted(
        name
        for name in field_names(Agreement)
        if f"`{name}" not in text and f".{name}`" not in text
    )
    assert missing == []


def test_the_annotated_example_is_the_shipped_template() -> None:
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)
    assert TEMPLATE.read_text(encoding="utf-8") in blocks


@pytest.mark.parametrize("command", ["validate", "show", "derive-line", "amend"])
def test_every_command_is_documented(command: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    assert f"truceline agreement {command}" in text
    group = get_command(agreement_app)
    assert command in group.commands  # type: ignore[attr-defined]


def test_every_derive_line_option_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    group = get_command(agreement_app)
    command = group.commands["derive-line"]  # type: ignore[attr-defined]
    options = [o for p in command.params for o in p.opts if o.startswith("--")]
    assert options
    assert [o for o in options if o not in text] == []
