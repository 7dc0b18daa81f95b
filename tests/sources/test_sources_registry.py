"""The source registry file: good entries load, every bad file is refused by file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from truceline.errors import InputError
from truceline.observations.model import SourceType
from truceline.sources.registry import BUILTIN_SOURCES, Source, SourceRegistry

UAV = """\
- id: uav-wing-2
  name: Mission UAV wing 2
  operator: Monitoring mission
  type: uav
  reliability: B
  credibility: 2
"""
PARTY = """\
- id: ua-complaints
  name: Complaints filed by Ukraine
  operator: Government of Ukraine
  type: party_report
  party: UA
"""


def load(tmp_path: Path, text: str | bytes) -> SourceRegistry:
    path = tmp_path / "sources.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return SourceRegistry.from_yaml(path, with_builtin=False)


def refused(tmp_path: Path, text: str | bytes) -> str:
    with pytest.raises(InputError) as caught:
        load(tmp_path, text)
    message = str(caught.value)
    assert message.startswith(str(tmp_path / "sources.yaml"))
    return message


def test_good_file_loads(tmp_path: Path) -> None:
    registry = load(tmp_path, UAV + PARTY)
    assert [s.id for s in registry] == ["ua-complaints", "uav-wing-2"]
    assert registry.get("ua-complaints").party == "UA"
    assert registry.get("uav-wing-2").type is SourceType.UAV
    path = tmp_path / "sources.yaml"
    with_builtin = SourceRegistry.from_yaml(path)
    assert len(with_builtin) == 2 + len(BUILTIN_SOURCES)


def test_empty_file_is_an_empty_registry(tmp_path: Path) -> None:
    assert len(load(tmp_path, "")) == 0
    assert len(load(tmp_path, "# nothing yet\n")) == 0


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"absent\.yaml: cannot be read \(No such file"):
        SourceRegistry.from_yaml(tmp_path / "absent.yaml")


def test_folder_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"cannot be read"):
        SourceRegistry.from_yaml(tmp_path)


def test_not_utf8(tmp_path: Path) -> None:
    message = refused(tmp_path, b"- id: caf\xe9\n")
    assert "not UTF-8 text (at byte offset 9)" in message


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    message = refused(tmp_path, UAV + "- id: a\n  name: [unclosed\n")
    assert "sources.yaml, line 9, column 1: not valid YAML" in message
    assert "<unicode string>" not in message


def test_tab_indentation(tmp_path: Path) -> None:
    message = refused(tmp_path, "- id: a\n\tname: A\n")
    assert "sources.yaml, line 2, column 1: not valid YAML" in message


def test_not_a_list(tmp_path: Path) -> None:
    message = refused(tmp_path, "id: a\nname: A\n")
    assert message.endswith("sources.yaml, line 1: expected a YAML list of sources, got a dict")


def test_bad_field_names_entry_and_line_of_the_field(tmp_path: Path) -> None:
    message = refused(tmp_path, UAV + "- id: cam\n  name: Camera\n  operator: M\n  type: drone\n")
    assert "sources.yaml, line 10: source #2, field 'type': must be" in message
    assert "(got 'drone')" in message


def test_missing_field(tmp_path: Path) -> None:
    message = refused(tmp_path, "- id: cam\n  name: Camera\n  type: uav\n")
    assert message.endswith("sources.yaml, line 1: source #1, field 'operator': Field required")


def test_party_report_without_party(tmp_path: Path) -> None:
    message = refused(tmp_path, UAV + PARTY.replace("  party: UA\n", ""))
    assert "sources.yaml, line 7: source #2, a source of type party_report needs 'party'" in (
        message
    )


def test_party_report_needs_party_in_code_too() -> None:
    with pytest.raises(ValidationError, match="needs 'party'"):
        Source(id="x", name="X", operator="RU MoD", type=SourceType.PARTY_REPORT)


def test_party_on_another_type_is_the_party_that_runs_it(tmp_path: Path) -> None:
    registry = load(tmp_path, UAV.replace("  reliability: B\n", "  party: RU\n"))
    source = registry.get("uav-wing-2")
    assert (source.type, source.party) == (SourceType.UAV, "RU")


def test_duplicate_id_names_both_entries(tmp_path: Path) -> None:
    second = UAV.replace("wing 2", "wing 2 again")
    message = refused(tmp_path, UAV + PARTY + second)
    assert message.startswith(
        f"{tmp_path / 'sources.yaml'}, line 12: source #3 repeats the id 'uav-wing-2' of source #1"
    )


def test_duplicate_of_a_builtin_id_replaces_it(tmp_path: Path) -> None:
    """A file may redefine a built-in source (e.g. to change its grades)."""
    path = tmp_path / "sources.yaml"
    path.write_text(
        "- id: firms-archive\n  name: Archive\n  operator: NASA\n  type: satellite_thermal\n"
        "  reliability: C\n"
    )
    registry = SourceRegistry.from_yaml(path)
    assert registry.get("firms-archive").reliability.value == "C"
    assert len(registry) == len(BUILTIN_SOURCES)
