"""Whatever the file holds, loading it gives an agreement or an AgreementError: no crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from agreement_testdata import EXAMPLES, TEMPLATE
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from truceline.agreement.loader import load_agreement
from truceline.errors import AgreementError

LINE = {"type": "LineString", "coordinates": [[36.0, 47.0], [37.0, 48.0]]}
AREA = {
    "type": "Polygon",
    "coordinates": [[[37.0, 47.0], [38.0, 47.0], [38.0, 48.0], [37.0, 47.0]]],
}
TEMPLATE_LINES = TEMPLATE.read_text(encoding="utf-8").splitlines(keepends=True)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template with small synthetic geometry, so that each load is quick."""
    folder = tmp_path_factory.mktemp("small")
    for shipped in EXAMPLES.iterdir():
        (folder / shipped.name).write_bytes(shipped.read_bytes())
    (folder / "line_of_contact.geojson").write_text(json.dumps(LINE))
    (folder / "occupied.geojson").write_text(json.dumps(AREA))
    return folder


def loads_or_explains(path: Path) -> None:
    message = ""
    try:
        load_agreement(path)
    except AgreementError as exc:
        message = str(exc)
    assert message == "" or message.startswith(str(path))


def test_small_template_loads(folder: Path) -> None:
    loaded = load_agreement(folder / TEMPLATE.name)
    assert loaded.agreement.id == "minsk-ii-template"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=st.integers(0, len(TEMPLATE_LINES) - 1), count=st.integers(1, 4))
def test_template_with_lines_cut_out(folder: Path, first: int, count: int) -> None:
    path = folder / "cut.yaml"
    path.write_text("".join(TEMPLATE_LINES[:first] + TEMPLATE_LINES[first + count :]))
    loads_or_explains(path)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    line=st.integers(0, len(TEMPLATE_LINES) - 1),
    junk=st.text(alphabet=st.sampled_from(list(" -:[]{}&*!|>'\"#%@`,?\n\tab01")), max_size=12),
)
@example(line=20, junk="&a ")
@example(line=30, junk="*a")
def test_template_with_junk_inserted(folder: Path, line: int, junk: str) -> None:
    path = folder / "junk.yaml"
    changed = TEMPLATE_LINES[line].rstrip("\n") + junk + "\n"
    path.write_text("".join([*TEMPLATE_LINES[:line], changed, *TEMPLATE_LINES[line + 1 :]]))
    loads_or_explains(path)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=200))
def test_any_text_is_refused_with_a_message(folder: Path, text: str) -> None:
    path = folder / "random.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AgreementError) as caught:
        load_agreement(path)
    assert str(caught.value).startswith(str(path))
