"""`truceline serve`: what it says when it cannot start."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from truceline.cli.serve import serve

app = typer.Typer()
app.command()(serve)


def test_a_missing_store_is_not_created_without_create(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "typo.sqlite")])
    assert result.exit_code == 3
    assert "--create" in result.output
    assert not (tmp_path / "typo.sqlite").exists()


def test_a_short_or_unreadable_token_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "s.sqlite"
    short = tmp_path / "token"
    short.write_text("abc\n")
    result = CliRunner().invoke(app, ["--db", str(db), "--create", "--token-file", str(short)])
    assert result.exit_code == 1
    assert "at least 16" in result.output
    missing = tmp_path / "nothing"
    result = CliRunner().invoke(app, ["--db", str(db), "--create", "--token-file", str(missing)])
    assert result.exit_code == 1
    assert "cannot be read" in result.output
    monkeypatch.setenv("TRUCELINE_ADMIN_TOKEN", "short")
    result = CliRunner().invoke(app, ["--db", str(db), "--create"])
    assert result.exit_code == 1
    assert "TRUCELINE_ADMIN_TOKEN" in result.output
    assert not db.exists()


def test_a_file_that_is_not_a_store_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    other.write_bytes(b"this is not a database" * 100)
    result = CliRunner().invoke(app, ["--db", str(other), "--token-file", str(tmp_path / "t")])
    assert result.exit_code == 1  # the token file is checked first
    token = tmp_path / "t"
    token.write_text("0123456789abcdefghij\n")
    result = CliRunner().invoke(app, ["--db", str(other), "--token-file", str(token)])
    assert result.exit_code == 3
    assert "not a database" in result.output
