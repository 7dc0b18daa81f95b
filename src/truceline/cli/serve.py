"""`truceline serve`: the coordination cell's service, over the same pipeline.

Runs the JSON API (docs/service.md) with uvicorn. Register it on the main command with
``app.command()(serve)``; `python -m truceline.cli.serve` runs it on its own.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console

from truceline.errors import InputError, StoreError

err = Console(stderr=True)


def _fail(message: str, code: int) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    return typer.Exit(code)


def serve(
    db: Annotated[
        str, typer.Option("--db", help="The store: a SQLite file, or a database URL.")
    ] = "truceline.sqlite",
    host: Annotated[
        str, typer.Option(help="Address to listen on; 0.0.0.0 for every interface.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    token_file: Annotated[
        Path | None,
        typer.Option(
            "--token-file",
            help="File holding the administrator's API token on its first line "
            "(default: the TRUCELINE_ADMIN_TOKEN environment variable).",
        ),
    ] = None,
    create: Annotated[
        bool, typer.Option("--create", help="Create the store if it does not exist.")
    ] = False,
    agreement_id: Annotated[
        str | None,
        typer.Option(
            "--agreement-id", help="The agreement in force, when the store holds several."
        ),
    ] = None,
    auto_process: Annotated[
        bool,
        typer.Option(
            "--auto-process/--no-auto-process",
            help="Fuse and judge new observations as soon as they are submitted "
            "(otherwise on POST /api/process).",
        ),
    ] = True,
    max_body_mb: Annotated[
        float, typer.Option(min=0.01, max=1024, help="Largest request body, MiB.")
    ] = 16.0,
    log_level: Annotated[
        str, typer.Option(help="critical, error, warning, info or debug.")
    ] = "info",
    alert_status: Annotated[
        str,
        typer.Option(
            help="CAP status of the alerts: actual for a real ceasefire, exercise for a "
            "simulated theatre or a drill, test for a system test."
        ),
    ] = "actual",
    alert_sender: Annotated[
        str, typer.Option(help="CAP sender of the alerts, e.g. jcc@monitoring.example.")
    ] = "cell@truceline.invalid",
    public_read: Annotated[
        bool,
        typer.Option(
            "--public-read",
            help="Let readers without a token into the open data (/ogc and /api/export); "
            "they read what is marked public, nothing else.",
        ),
    ] = False,
) -> None:
    """Serve the JSON API (with its OpenAPI document at /api/docs) and the live feed."""
    import uvicorn

    from truceline.service.app import create_app
    from truceline.service.settings import TOKEN_ENV, Settings, read_token, token_digest

    if "://" not in db and db != ":memory:" and not create and not Path(db).exists():
        raise _fail(f"no store at {db}: check --db, or pass --create to start a new one", 3)
    statuses = {"actual": "Actual", "exercise": "Exercise", "test": "Test"}
    if alert_status.lower() not in statuses:
        raise _fail(f"--alert-status {alert_status!r}: expected actual, exercise or test", 2)
    if not alert_sender or any(c in alert_sender for c in " \t\n,<&"):
        raise _fail(
            f"--alert-sender {alert_sender!r}: give an address without spaces, commas, '<' "
            "or '&', e.g. jcc@monitoring.example",
            2,
        )
    try:
        token = read_token(token_file)
    except InputError as exc:
        raise _fail(str(exc), 1) from None
    if token is None:
        token = secrets.token_urlsafe(32)
        err.print(
            f"No token configured (--token-file or {TOKEN_ENV}); the administrator token "
            f"of this run is:\n  {token}\nSend it as 'Authorization: Bearer <token>'."
        )
    settings = Settings(
        store=db,
        alert_status=statuses[alert_status.lower()],
        alert_sender=alert_sender,
        create_store=create,
        admin_token_sha256=token_digest(token),
        agreement_id=agreement_id,
        auto_process=auto_process,
        public_read=public_read,
        max_body_bytes=max(1024, int(max_body_mb * 1024 * 1024)),
    )
    try:
        app = create_app(settings)
    except StoreError as exc:
        raise _fail(str(exc), 3) from None
    broker = app.state.service.broker

    class Server(uvicorn.Server):
        """Ends the live feed's streams when asked to stop, so that shutdown need not wait
        for clients that never hang up."""

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            broker.close()
            super().handle_exit(sig, frame)

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level.lower(),
        timeout_graceful_shutdown=10,
    )
    err.print(f"Truceline serving {db} on http://{host}:{port}/api/ (docs at /api/docs)")
    Server(config).run()


def main() -> None:
    """Run `serve` as a command of its own."""
    typer.run(serve)


if __name__ == "__main__":
    main()
