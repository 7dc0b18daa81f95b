"""What the documentation shows must work as shown."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from truceline.cli.app import app
from truceline.observations.model import SourceType
from truceline.sources.registry import SourceRegistry

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_the_documented_source_registry_loads(tmp_path: Path) -> None:
    text = (REPO_ROOT / "docs" / "formats.md").read_text(encoding="utf-8")
    section = text[text.index("## The source registry") :]
    block = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert block is not None
    path = tmp_path / "sources.yaml"
    path.write_text(block.group(1), encoding="utf-8")
    registry = SourceRegistry.from_yaml(path, with_builtin=False)
    assert registry.get("ua-complaints").party == "UA"
    assert registry.get("uav-wing-2").type is SourceType.UAV


def test_every_command_in_the_readme_exists() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    commands = set(re.findall(r"`truceline ([a-z][a-z-]*(?: [a-z][a-z-]*)?)", readme))
    assert commands
    runner = CliRunner()
    for command in sorted(commands):
        result = runner.invoke(app, [*command.split(), "--help"])
        assert result.exit_code == 0, f"'truceline {command} --help' failed: {result.output}"


def test_the_readme_starts_with_the_two_commands() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```sh\n(.*?)```", readme, re.DOTALL)
    assert first_block is not None
    lines = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert lines == ["make demo", "make test"]
