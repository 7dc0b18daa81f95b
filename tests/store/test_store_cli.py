"""The command line on a PostgreSQL store: `--db URL` round trip, --overwrite, and errors."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
from tests.store_backends import _conninfo, fresh_schema
from typer.testing import CliRunner

from truceline.cli.app import app

runner = CliRunner()


def invoke(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


def _determinations(db: str | Path) -> list[dict[str, object]]:
    code, output = invoke("determinations", "list", "--db", db, "--all-versions", "-f", "json")
    assert code == 0, output
    found: list[dict[str, object]] = json.loads(output)
    return found


def test_demo_and_listing_on_postgresql_match_sqlite(
    postgresql_server: str, tmp_path: Path
) -> None:
    sqlite_db = tmp_path / "demo.sqlite"
    code, output = invoke("demo", "--db", sqlite_db, "--days", "1", "--seed", "3")
    assert code == 0, output
    expected = _determinations(sqlite_db)
    assert expected
    with fresh_schema(postgresql_server) as url:
        code, output = invoke("demo", "--db", url, "--days", "1", "--seed", "3")
        assert code == 0, output
        assert _determinations(url) == expected
        code, output = invoke("incidents", "list", "--db", url, "-f", "json")
        assert code == 0, output
        # asked again without --overwrite: refused, the store untouched
        code, output = invoke("demo", "--db", url, "--days", "1", "--seed", "4")
        assert code == 1
        assert "pass --overwrite to replace it" in " ".join(output.split())
        assert _determinations(url) == expected
        # a table of someone else's in the schema: --overwrite refuses and deletes nothing
        schema = url.rsplit("=", 1)[1]
        with psycopg.connect(_conninfo(postgresql_server)) as conn:
            conn.execute(f'CREATE TABLE "{schema}".notes (body text)')
        code, output = invoke("demo", "--db", url, "--days", "1", "--seed", "3", "--overwrite")
        assert code == 3
        assert "not the store's (notes); nothing was deleted" in " ".join(output.split())
        assert _determinations(url) == expected
        with psycopg.connect(_conninfo(postgresql_server)) as conn:
            conn.execute(f'DROP TABLE "{schema}".notes')
        code, output = invoke("demo", "--db", url, "--days", "1", "--seed", "3", "--overwrite")
        assert code == 0, output
        assert _determinations(url) == expected


def test_a_missing_or_unreachable_store_exits_with_3(postgresql_server: str) -> None:
    with fresh_schema(postgresql_server) as url:
        code, output = invoke("determinations", "list", "--db", url)
        assert code == 3
        assert "does not exist; check --db" in " ".join(output.split())
        code, output = invoke("fuse", "--db", url)
        assert code == 3
    code, output = invoke(
        "incidents", "list", "--db", "postgresql://root@127.0.0.1:1/test?schema=nowhere"
    )
    assert code == 3
    assert "check the host, port, user and database in the URL" in " ".join(output.split())
    code, output = invoke("incidents", "list", "--db", "postgresql://x@h/test?schema=Bad Name")
    assert code == 3
    assert "is not a plain name" in " ".join(output.split())


def test_the_help_says_db_takes_a_url() -> None:
    code, output = invoke("determinations", "list", "--help")
    assert code == 0
    assert "postgresql://" in output
