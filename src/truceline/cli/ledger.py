"""`truceline verify`, `truceline export-bundle` and `truceline ledger sign-digest`: the
evidence ledger on the command line (docs/ledger.md).

Exit codes: 0 verified (or done), 1 verification failed, 2 the work could not be done (a
missing store, a bad key, a bad date or bundle).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console

from truceline.errors import TrucelineError

if TYPE_CHECKING:
    from truceline.store.sql_store import SqlStore

console = Console()
err = Console(stderr=True)

ledger_app = typer.Typer(
    help="The evidence ledger: sign the daily digest, make a key pair.", no_args_is_help=True
)

_DB_HELP = "The store: a SQLite file, or a PostgreSQL URL (docs/store.md)."


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"{option}: expected a date YYYY-MM-DD, got {value!r}")


def _open(db: str) -> SqlStore:
    from truceline.store import open_store
    from truceline.store.sql_store import SqlStore

    try:
        store = open_store(db, create=False)
    except TrucelineError as exc:
        _fail(str(exc))
    if not isinstance(store, SqlStore):
        store.close()
        _fail(f"store {db!r} is not a SQL store; the ledger lives in SQLite or PostgreSQL")
    return store


def _evidence_root(db: str) -> Path | None:
    """The store's evidence folder, when it has one."""
    from truceline.ledger.evidence import evidence_dir_for

    try:
        root = evidence_dir_for(db)
    except TrucelineError:
        return None  # a database URL without TRUCELINE_EVIDENCE_DIR keeps no files
    return root if root.is_dir() else None


def verify(
    db: Annotated[str | None, typer.Option("--db", help=_DB_HELP)] = None,
    bundle: Annotated[
        Path | None, typer.Option("--bundle", help="Verify this bundle offline instead.")
    ] = None,
) -> None:
    """Verify the ledger: the whole chain, every digest signature, and that the store's
    tables (or the bundle's records) agree with it; for a store also every source signature
    and evidence file. Names the first entry or row that does not; exits 1 when anything
    fails."""
    from truceline.ledger.bundle import verify_bundle
    from truceline.ledger.checks import evidence_problems, signature_problems
    from truceline.ledger.verify import verify_store

    if (db is None) == (bundle is None):
        _fail("give either --db (a store) or --bundle (a bundle file), not both or neither")
    try:
        with console.status("verifying the ledger..."):
            if bundle is not None:
                if not bundle.is_file():
                    _fail(f"bundle: no file {bundle}; give the path of a bundle zip")
                result = verify_bundle(bundle)
                what = f"bundle {bundle.name}"
            else:
                store = _open(str(db))
                try:
                    result = verify_store(store.engine)
                    for problem in signature_problems(store):
                        result.add(problem)
                    for problem in evidence_problems(store, _evidence_root(str(db))):
                        result.add(problem)
                finally:
                    store.close()
                what = f"store {db}"
    except TrucelineError as exc:
        _fail(str(exc))
    if result.ok:
        console.print(
            f"verified {what}: {result.entries} ledger entries, {result.digests} signed "
            f"digest(s), {result.rows} record(s) agree"
        )
        return
    err.print(f"[bold red]verification failed[/] for {what}: {result.problems[0]}")
    for problem in result.problems[1:]:
        err.print(f"  also: {problem}")
    raise typer.Exit(1)


def export_bundle(
    out: Annotated[Path, typer.Option("--out", help="The bundle zip to write.")],
    db: Annotated[str, typer.Option("--db", help=_DB_HELP)] = "truceline.sqlite",
    since: Annotated[
        str | None,
        typer.Option("--since", help="First day, YYYY-MM-DD: start after the digest before it."),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--until", help="Last day, YYYY-MM-DD: end at its digest."),
    ] = None,
) -> None:
    """Write a self-contained bundle (ledger slice, public keys, digests, the records it
    refers to) that anyone can check with 'truceline verify --bundle'."""
    from truceline.ledger.bundle import choose_slice
    from truceline.ledger.bundle import export_bundle as write

    if not out.parent.is_dir():
        _fail(f"out: the folder {out.parent} does not exist; create it first")
    store = _open(db)
    try:
        with console.status("writing the bundle..."):
            part = choose_slice(store.engine, _date(since, "since"), _date(until, "until"))
            manifest = write(store.engine, out, part)
    except TrucelineError as exc:
        _fail(str(exc))
    finally:
        store.close()
    counts = manifest["counts"]
    console.print(
        f"wrote {out}: entries {part.first}..{part.last} ({counts['entries']}), "
        f"{counts['digests']} digest(s), {counts['records']} record(s)"
    )


@ledger_app.command("sign-digest")
def sign_digest(
    db: Annotated[str, typer.Option("--db", help=_DB_HELP)] = "truceline.sqlite",
    key: Annotated[
        Path | None, typer.Option("--key", help="The mission's Ed25519 private key (PEM file).")
    ] = None,
    key_env: Annotated[
        str | None,
        typer.Option("--key-env", help="Environment variable holding the key (PEM or base64)."),
    ] = None,
    day: Annotated[
        str | None,
        typer.Option("--date", help="The digest's date, YYYY-MM-DD (default today, UTC)."),
    ] = None,
) -> None:
    """Append the signed daily digest (the ledger head and counts) to the ledger."""
    from truceline.ledger.digest import sign_digest as append_digest
    from truceline.ledger.signing import load_private_key
    from truceline.store.dialect import write_transaction

    if (key is None) == (key_env is None):
        _fail("give the mission key with either --key FILE or --key-env VARIABLE")
    chosen = _date(day, "date") or datetime.now(UTC).date()
    try:
        private = load_private_key(path=key, env=key_env)
    except TrucelineError as exc:
        _fail(str(exc))
    store = _open(db)
    try:
        with write_transaction(store.engine, serializable=False) as conn:
            entry = append_digest(conn, private, chosen)
    except TrucelineError as exc:
        _fail(str(exc))
    finally:
        store.close()
    console.print(
        f"signed the digest of {chosen.isoformat()} as ledger entry {entry.seq} "
        f"(head {entry.prev_sha256[:16]}...)"
    )
