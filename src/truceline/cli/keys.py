"""`truceline ledger keygen` and `truceline evidence add|check`: keys and evidence files.

`keygen` makes an Ed25519 key pair: the private key goes to a file only its owner may
read, the public key is printed (register it with a source, or publish the mission's).
`evidence add` stores files in the content-addressed evidence folder of a store and prints
the reference to give in an observation; `evidence check` re-hashes every stored file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from truceline.errors import InputError, TrucelineError
from truceline.ledger.evidence import DEFAULT_MAX_BYTES, EvidenceStore, evidence_dir_for
from truceline.ledger.signing import generate_private_key, private_key_pem, public_key_pem

console = Console()
err = Console(stderr=True)

evidence_app = typer.Typer(
    help="Store and check evidence files (content-addressed, write-once).",
    no_args_is_help=True,
)

DEFAULT_DB = Path("truceline.sqlite")


def _fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def keygen(
    out: Annotated[Path, typer.Option("--out", help="File for the private key (PEM, mode 0600).")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace the file when it exists.")
    ] = False,
) -> None:
    """Make an Ed25519 key pair: the private key to --out, the public key printed."""
    if out.exists() and not force:
        _fail(f"{out} exists; choose another file or pass --force to replace the key in it")
    key = generate_private_key()
    data = private_key_pem(key).encode("ascii")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    try:
        fd = os.open(out, flags, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        _fail(f"cannot write {out} ({exc.strerror or exc}); check the folder exists")
    err.print(f"private key written to {out} (mode 600); keep it secret", highlight=False)
    console.print(public_key_pem(key), end="", highlight=False, soft_wrap=True)


DbOption = Annotated[
    Path,
    typer.Option(
        "--db", help="The store; its evidence folder is beside it (or TRUCELINE_EVIDENCE_DIR)."
    ),
]


def _evidence_store(db: Path) -> EvidenceStore:
    try:
        return EvidenceStore(evidence_dir_for(db))
    except InputError as exc:
        _fail(str(exc))


@evidence_app.command("add")
def evidence_add(
    files: Annotated[list[Path], typer.Argument(help="Files to store.")],
    db: DbOption = DEFAULT_DB,
    max_bytes: Annotated[
        int, typer.Option("--max-bytes", min=1, help="Refuse files larger than this.")
    ] = DEFAULT_MAX_BYTES,
) -> None:
    """Store files once each; print `sha256:<hex>  FILE` for each, the reference to give
    in an observation's evidence."""
    store = _evidence_store(db)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), console=err, transient=True
    ) as progress:
        task = progress.add_task("storing evidence", total=len(files))
        for path in files:
            try:
                with path.open("rb") as stream:
                    sha256 = store.put(stream, max_bytes)
            except OSError as exc:
                _fail(f"{path}: cannot be read ({exc.strerror or exc}); check the path")
            except TrucelineError as exc:
                _fail(f"{path}: {exc}")
            console.print(f"sha256:{sha256}  {path}", highlight=False, soft_wrap=True)
            progress.advance(task)


@evidence_app.command("check")
def evidence_check(db: DbOption = DEFAULT_DB) -> None:
    """Re-hash every stored evidence file; exit 1 naming each one that changed."""
    store = _evidence_store(db)
    problems = store.verify_all()
    for problem in problems:
        err.print(f"evidence sha256:{problem.sha256}: {problem.reason}", highlight=False)
    if problems:
        raise typer.Exit(1)
    console.print(f"every evidence file in {store.root} matches its hash", highlight=False)
