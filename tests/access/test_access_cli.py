"""`truceline org|user|token`: add and list, a token printed once, refusals that say what
to do, exit codes as every command's."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer
from typer.testing import CliRunner

from truceline.access.directory import Directory
from truceline.access.tokens import parse_token
from truceline.cli.access import org_app, token_app, user_app
from truceline.store import open_store

cli = typer.Typer()
cli.add_typer(org_app, name="org")
cli.add_typer(user_app, name="user")
cli.add_typer(token_app, name="token")


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def test_organisations_users_and_tokens_from_the_command_line(tmp_path: Path) -> None:
    db = tmp_path / "mission.sqlite"
    code, out, _ = run(
        "org", "add", "JCC", "--name", "Joint Coordination Cell", "--kind", "lead", "--db", db
    )
    assert code == 0, out
    assert "added organisation JCC (lead)" in out
    assert run("org", "add", "UA", "--name", "Ukraine", "--kind", "party", "--db", db)[0] == 0
    code, out, _ = run("org", "add", "UA", "--name", "Ukraine", "--kind", "party", "--db", db)
    assert (code, "already there" in out) == (0, True)
    code, out, _ = run("org", "list", "--db", db)
    assert code == 0
    for word in ("JCC", "UA", "PUBLIC", "lead", "party", "public"):
        assert word in out
    code, out, _ = run(
        "user", "add", "a.smith", "--org", "JCC", "--role", "analyst", "--role", "reviewer",
        "--name", "A. Smith", "--db", db,
    )  # fmt: skip
    assert code == 0, out
    assert "added user a.smith of JCC (analyst, reviewer)" in out
    assert "a.smith" in run("user", "list", "--org", "JCC", "--db", db)[1]

    code, token, note = run(
        "token", "create", "a.smith", "--days", "30", "--label", "laptop", "--db", db
    )
    assert code == 0, note
    parsed = parse_token(token.strip())
    assert parsed is not None
    assert "shown this once" in note
    assert token.strip() not in note
    with open_store(db) as store:
        principal = Directory(store).authenticate(token.strip(), now=datetime.now(UTC))
        assert principal.subject == "a.smith"
    code, out, _ = run("token", "list", "--db", db)
    assert parsed.id in out
    assert "valid" in out
    assert parsed.secret not in out
    code, out, _ = run("token", "revoke", parsed.id, "--db", db)
    assert code == 0
    assert f"revoked token {parsed.id}" in out
    assert "revoked" in run("token", "list", "--user", "a.smith", "--db", db)[1]


def test_refusals_name_the_field_and_what_to_do(tmp_path: Path) -> None:
    db = tmp_path / "mission.sqlite"
    assert run("org", "add", "UA", "--name", "Ukraine", "--kind", "party", "--db", db)[0] == 0
    code, _, err = run(
        "user", "add", "x", "--org", "UA", "--role", "analyst", "--name", "X", "--db", db
    )
    assert code == 1
    assert "role(s) analyst cannot be held in a party organisation" in err
    code, _, err = run(
        "user", "add", "x", "--org", "DE", "--role", "liaison", "--name", "X", "--db", db
    )
    assert code == 1
    assert "'DE' does not exist; add it first with 'truceline org add'" in err
    code, _, err = run("org", "add", "ua", "--name", "U", "--kind", "party", "--db", db)
    assert code == 1
    assert "organisation id" in err
    code, _, err = run("token", "create", "ghost", "--db", db)
    assert code == 1
    assert "user 'ghost' does not exist" in err
    code, _, err = run("token", "revoke", "0123456789abcdef", "--db", db)
    assert code == 1
    assert "truceline token list" in err
    code, _, err = run("org", "list", "--db", tmp_path / "none.sqlite")
    assert code == 3
    assert "no store at" in err
    assert not (tmp_path / "none.sqlite").exists()
