"""docs/opendata.md documents every column of every layer, every option of the command and
every OGC API endpoint the service answers."""

from __future__ import annotations

import re
from pathlib import Path

import typer
from tests.service.service_support import ApiClient

from truceline.cli.export import export
from truceline.opendata import COLUMNS, Layer
from truceline.opendata.writers import csv_header

REPO = Path(__file__).resolve().parents[2]
DOC = (REPO / "docs" / "opendata.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    found = re.search(rf"^### {re.escape(title)}\n(.*?)(?=^#)", DOC, flags=re.MULTILINE | re.S)
    assert found is not None, f"docs/opendata.md has no section '### {title}'"
    return found.group(1)


def test_every_column_is_documented_in_order() -> None:
    for layer in Layer:
        table = _section(layer.value)
        documented = re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.MULTILINE)
        assert documented == [c.name for c in COLUMNS[layer]], layer.value
        for column in COLUMNS[layer]:
            row = next(line for line in table.splitlines() if line.startswith(f"| `{column.name}`"))
            assert f"| {column.type.value}" in row
            assert ("may be empty" in row) is column.nullable, row


def test_the_csv_place_columns_are_documented() -> None:
    for layer in Layer:
        for name in csv_header(layer):
            assert f"`{name}`" in DOC


def test_every_option_of_the_command_is_documented() -> None:
    command = typer.main.get_command(_app())
    assert len(command.params) >= 15
    for parameter in command.params:
        for option in (*parameter.opts, *parameter.secondary_opts):
            if option.startswith("--") and option != "--help":
                assert f"`{option}" in DOC or f"/{option}`" in DOC, option


def _app() -> typer.Typer:
    app = typer.Typer(add_completion=False)
    app.command()(export)
    return app


def test_every_ogc_endpoint_is_documented(client: ApiClient) -> None:
    document = client.get("/api/openapi.json", auth=False).json()
    paths = [p for p in document["paths"] if p.startswith("/ogc") or p.startswith("/api/export")]
    assert len(paths) == 7
    for path in paths:
        assert f"`GET {path}`" in DOC, path
