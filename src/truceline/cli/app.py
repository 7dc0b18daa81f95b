"""The `truceline` command: one sub-command per step of the data flow."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="truceline",
    help="Ceasefire monitoring and verification: feeds in, explained determinations out.",
    no_args_is_help=True,
)


@app.command()
def version() -> None:
    """Print the version of Truceline."""
    from truceline import __version__

    typer.echo(__version__)


def main() -> None:
    app()
