"""`truceline org`, `truceline user`, `truceline token`: who may use the service, and read
what (docs/access.md).

Exit codes as for every command: 0 success; 1 the input was refused (the message names the
field and says what to do); 3 the store could not be opened or written.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.table import Table

from truceline.access.directory import Directory
from truceline.access.model import Organisation, OrganisationKind, Role, User
from truceline.errors import StoreError, TrucelineError
from truceline.store import Store, is_url, open_store

console = Console()
err = Console(stderr=True)

org_app = typer.Typer(help="Add and list organisations.", no_args_is_help=True)
user_app = typer.Typer(help="Add and list users.", no_args_is_help=True)
token_app = typer.Typer(help="Create, list and revoke API tokens.", no_args_is_help=True)

DEFAULT_DB = "truceline.sqlite"
DEFAULT_EXPIRY_DAYS = 90

DbOption = Annotated[
    str,
    typer.Option(
        "--db",
        help="The store: a SQLite file, or a PostgreSQL URL "
        "postgresql://USER@HOST:PORT/DATABASE?schema=NAME (docs/store.md).",
    ),
]

M = TypeVar("M", bound=BaseModel)


def _fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def _open(db: str, *, create: bool = False) -> Store:
    if not create and not is_url(db) and not Path(db).exists():
        _fail(
            f"no store at {db}: check --db, or create one with 'truceline org add', "
            "'truceline ingest' or 'truceline demo'",
            3,
        )
    try:
        return open_store(db, create=create)
    except StoreError as exc:
        _fail(str(exc), 3)


def _validated(model: type[M], what: str, **values: object) -> M:
    """The model of the values given on the command line; exits 1 naming the option."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in first["loc"]) or what
        message = first["msg"].removeprefix("Value error, ")
        _fail(f"{what} {field}: {message} (got {first.get('input')!r})")


def _directory(store: Store) -> Directory:
    try:
        return Directory(store)
    except StoreError as exc:
        _fail(str(exc), 3)


def _report(exc: TrucelineError) -> NoReturn:
    _fail(str(exc), 3 if isinstance(exc, StoreError) else 1)


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%MZ")


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


# organisations


@org_app.command("add")
def org_add(
    code: Annotated[str, typer.Argument(help="Its code, as markings name it: UA, FR, JCC.")],
    name: Annotated[str, typer.Option("--name", help="Its name, e.g. 'France'.")],
    kind: Annotated[
        OrganisationKind,
        typer.Option("--kind", help="lead (the cell: reads everything), member, party, public."),
    ],
    db: DbOption = DEFAULT_DB,
) -> None:
    """Add an organisation (creates the store if it is missing)."""
    organisation = _validated(Organisation, "organisation", id=code, name=name, kind=kind)
    with _open(db, create=True) as store:
        try:
            added = _directory(store).add_organisation(organisation, now=_now())
        except TrucelineError as exc:
            _report(exc)
    verb = "added" if added else "already there:"
    console.print(f"{verb} organisation {organisation.id} ({organisation.kind.value})")


@org_app.command("list")
def org_list(db: DbOption = DEFAULT_DB) -> None:
    """List the organisations."""
    with _open(db) as store:
        try:
            found = _directory(store).organisations()
        except TrucelineError as exc:
            _report(exc)
    table = Table(title=f"{len(found)} organisations", title_justify="left")
    for column in ("code", "name", "kind"):
        table.add_column(column)
    for o in found:
        table.add_row(o.id, o.name, o.kind.value)
    console.print(table)


# users


@user_app.command("add")
def user_add(
    user_id: Annotated[str, typer.Argument(help="Login name or e-mail address.")],
    org: Annotated[str, typer.Option("--org", help="Code of the user's organisation.")],
    role: Annotated[
        list[Role],
        typer.Option("--role", help="A role; repeat for several (analyst, reviewer, ...)."),
    ],
    name: Annotated[str, typer.Option("--name", help="The name to show, e.g. 'C. Dupont'.")],
    db: DbOption = DEFAULT_DB,
) -> None:
    """Add a user of an organisation, with roles that fit the organisation's kind."""
    user = _validated(
        User, "user", id=user_id, organisation=org, display_name=name, roles=frozenset(role)
    )
    with _open(db) as store:
        try:
            added = _directory(store).add_user(user, now=_now())
        except TrucelineError as exc:
            _report(exc)
    roles = ", ".join(sorted(r.value for r in user.roles))
    verb = "added" if added else "already there:"
    console.print(f"{verb} user {user.id} of {user.organisation} ({roles})")


@user_app.command("list")
def user_list(
    org: Annotated[str | None, typer.Option("--org", help="Only this organisation's.")] = None,
    db: DbOption = DEFAULT_DB,
) -> None:
    """List the users."""
    with _open(db) as store:
        try:
            found = _directory(store).users(org)
        except TrucelineError as exc:
            _report(exc)
    table = Table(title=f"{len(found)} users", title_justify="left")
    for column in ("id", "organisation", "name", "roles"):
        table.add_column(column)
    for u in found:
        table.add_row(u.id, u.organisation, u.display_name, ", ".join(sorted(u.roles)))
    console.print(table)


# tokens


@token_app.command("create")
def token_create(
    user_id: Annotated[str, typer.Argument(help="The user the token is for.")],
    days: Annotated[
        int,
        typer.Option("--days", min=0, max=3660, help="Days until it expires; 0: never."),
    ] = DEFAULT_EXPIRY_DAYS,
    label: Annotated[
        str | None, typer.Option("--label", help="What it is for, e.g. 'dashboard'.")
    ] = None,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Create an API token and print it, once: it is kept nowhere, only a digest of it."""
    now = _now()
    expires = now + timedelta(days=days) if days else None
    if label is not None and not label.strip():
        _fail("--label: give some text, or leave the option out")
    with _open(db) as store:
        try:
            token, record = _directory(store).create_token(
                user_id, now=now, expires_at=expires, label=label
            )
        except TrucelineError as exc:
            _report(exc)
    until = record.expires_at.isoformat() if record.expires_at else "never"
    err.print(
        f"token {record.id} for {record.user}, expires {until}. It is shown this once and "
        "kept nowhere: hand it over now; send it as 'Authorization: Bearer <token>'."
    )
    typer.echo(token)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id (from 'truceline token list').")],
    db: DbOption = DEFAULT_DB,
) -> None:
    """Revoke a token: it opens nothing from now on."""
    with _open(db) as store:
        try:
            record = _directory(store).revoke_token(token_id, now=_now())
        except TrucelineError as exc:
            _report(exc)
    when = record.revoked_at.isoformat() if record.revoked_at else "now"
    console.print(f"revoked token {record.id} of {record.user} ({when})")


@token_app.command("list")
def token_list(
    user: Annotated[str | None, typer.Option("--user", help="Only this user's.")] = None,
    db: DbOption = DEFAULT_DB,
) -> None:
    """List the tokens (never their secrets)."""
    with _open(db) as store:
        try:
            found = _directory(store).tokens(user)
        except TrucelineError as exc:
            _report(exc)
    now = datetime.now(UTC)
    table = Table(title=f"{len(found)} tokens", title_justify="left")
    table.add_column("id", no_wrap=True, min_width=16)
    for column in ("user", "label", "created", "expires", "state"):
        table.add_column(column)
    for r in found:
        if r.revoked_at is not None:
            state = "revoked"
        elif r.expires_at is not None and r.expires_at <= now:
            state = "expired"
        else:
            state = "valid"
        table.add_row(
            r.id,
            r.user,
            r.label or "-",
            _day(r.created_at),
            _day(r.expires_at) if r.expires_at else "never",
            state,
        )
    console.print(table)
