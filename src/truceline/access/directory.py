"""Organisations, users and API tokens in the store (tables `organisations`, `users`,
`user_roles` and `api_tokens`, made by migration 2).

    directory = Directory(store)
    directory.add_organisation(Organisation(id="FR", name="France", kind="member"))
    directory.add_user(User(id="c.dupont", organisation="FR", display_name="C. Dupont",
                            roles={"liaison"}))
    secret, record = directory.create_token("c.dupont", now=now, expires_at=later)
    principal = directory.authenticate(secret, now=now)

Organisations and users are added, never changed in place: a changed organisation or user
is refused (it would silently widen or narrow what people read). Tokens are revoked, never
deleted, so that the record of who could read what stays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, select
from sqlalchemy.exc import DBAPIError

from truceline.access.model import (
    ROLES_OF_KIND,
    Organisation,
    OrganisationKind,
    Principal,
    Role,
    TokenRecord,
    User,
)
from truceline.access.policy import principal_of
from truceline.access.tokens import make_token, matches, parse_token
from truceline.errors import InputError, StoreError, TrucelineError
from truceline.store import Store
from truceline.store import tables as t
from truceline.store.codec import from_us, to_us
from truceline.store.dialect import read_transaction, store_error, write_transaction
from truceline.store.sql_store import SqlStore

R = TypeVar("R")


class TokenRefusedError(TrucelineError):
    """An API token that opens nothing: unknown, malformed, expired or revoked. The
    message says which, and what to do; it never says more to someone without the secret
    than that the token is not valid."""


def _sql_store(store: Store) -> SqlStore:
    if not isinstance(store, SqlStore):
        raise StoreError(
            f"organisations, users and tokens need a SQL store, got {type(store).__name__}"
        )
    return store


def _token_record(row: Any) -> TokenRecord:
    return TokenRecord(
        id=row.id,
        user=row.user_id,
        label=row.label,
        created_at=from_us(row.created_us),
        expires_at=from_us(row.expires_us) if row.expires_us is not None else None,
        revoked_at=from_us(row.revoked_us) if row.revoked_us is not None else None,
    )


class Directory:
    """The organisations, users and tokens of one store."""

    def __init__(self, store: Store) -> None:
        self._store = _sql_store(store)

    @contextmanager
    def _read(self, action: str) -> Iterator[Connection]:
        try:
            with read_transaction(self._store.engine) as conn:
                yield conn
        except DBAPIError as exc:
            raise store_error(self._store.name, action, exc) from None

    def _write(self, action: str, work: Callable[[Connection], R]) -> R:
        try:
            with write_transaction(self._store.engine) as conn:
                return work(conn)
        except DBAPIError as exc:
            raise store_error(self._store.name, action, exc) from None

    # organisations

    def add_organisation(self, organisation: Organisation, *, now: datetime) -> bool:
        """Store an organisation; False when that very organisation is already stored.

        InputError (field `id`) when another organisation has its code."""
        o = t.organisations

        def work(conn: Connection) -> bool:
            stored = conn.execute(select(o).where(o.c.id == organisation.id)).first()
            if stored is not None:
                if (stored.name, stored.kind) == (organisation.name, organisation.kind.value):
                    return False
                raise InputError(
                    f"organisation {organisation.id!r} exists already as {stored.name!r} "
                    f"({stored.kind}); organisations are never changed: choose another code",
                    field="id",
                )
            conn.execute(
                o.insert().values(
                    id=organisation.id,
                    name=organisation.name,
                    kind=organisation.kind.value,
                    created_us=to_us(now),
                )
            )
            return True

        return self._write("store the organisation", work)

    def organisations(self) -> list[Organisation]:
        """Every organisation, ordered by code."""
        o = t.organisations
        with self._read("read organisations") as conn:
            rows = conn.execute(select(o.c.id, o.c.name, o.c.kind).order_by(o.c.id)).all()
        return [Organisation(id=r.id, name=r.name, kind=OrganisationKind(r.kind)) for r in rows]

    def organisation(self, organisation_id: str) -> Organisation | None:
        """One organisation by code, or None."""
        found = [o for o in self.organisations() if o.id == organisation_id]
        return found[0] if found else None

    # users

    def add_user(self, user: User, *, now: datetime) -> bool:
        """Store a user; False when that very user is already stored.

        InputError when its organisation is not stored (field `organisation`), when a role
        does not fit the organisation's kind (field `roles`), or when another user has its
        id (field `id`)."""
        o, u, r = t.organisations, t.users, t.user_roles

        def work(conn: Connection) -> bool:
            kind = conn.execute(select(o.c.kind).where(o.c.id == user.organisation)).scalar()
            if kind is None:
                raise InputError(
                    f"organisation {user.organisation!r} does not exist; add it first with "
                    "'truceline org add'",
                    field="organisation",
                )
            allowed = ROLES_OF_KIND[OrganisationKind(kind)]
            refused = sorted(role.value for role in user.roles - allowed)
            if refused:
                raise InputError(
                    f"user {user.id!r}: role(s) {', '.join(refused)} cannot be held in a "
                    f"{kind} organisation; a {kind} organisation's users may hold "
                    f"{', '.join(sorted(x.value for x in allowed))}",
                    field="roles",
                )
            stored = self._user(conn, user.id)
            if stored is not None:
                if stored == user:
                    return False
                raise InputError(
                    f"user {user.id!r} exists already (organisation {stored.organisation}, "
                    f"roles {', '.join(sorted(x.value for x in stored.roles))}); users are "
                    "never changed: choose another id",
                    field="id",
                )
            conn.execute(
                u.insert().values(
                    id=user.id,
                    organisation_id=user.organisation,
                    display_name=user.display_name,
                    created_us=to_us(now),
                )
            )
            conn.execute(
                r.insert(), [{"user_id": user.id, "role": x.value} for x in sorted(user.roles)]
            )
            return True

        return self._write("store the user", work)

    @staticmethod
    def _user(conn: Connection, user_id: str) -> User | None:
        u, r = t.users, t.user_roles
        row = conn.execute(select(u).where(u.c.id == user_id)).first()
        if row is None:
            return None
        roles = conn.execute(select(r.c.role).where(r.c.user_id == user_id)).scalars()
        return User(
            id=row.id,
            organisation=row.organisation_id,
            display_name=row.display_name,
            roles=frozenset(Role(x) for x in roles),
        )

    def users(self, organisation: str | None = None) -> list[User]:
        """Every user (of one organisation), ordered by id."""
        u, r = t.users, t.user_roles
        query = select(u).order_by(u.c.id)
        if organisation is not None:
            query = query.where(u.c.organisation_id == organisation)
        with self._read("read users") as conn:
            rows = conn.execute(query).all()
            roles: dict[str, set[Role]] = {}
            for user_id, role in conn.execute(select(r.c.user_id, r.c.role)):
                roles.setdefault(user_id, set()).add(Role(role))
        return [
            User(
                id=row.id,
                organisation=row.organisation_id,
                display_name=row.display_name,
                roles=frozenset(roles.get(row.id, set())),
            )
            for row in rows
        ]

    def user(self, user_id: str) -> User | None:
        """One user by id, or None."""
        with self._read("read users") as conn:
            return self._user(conn, user_id)

    # tokens

    def create_token(
        self,
        user_id: str,
        *,
        now: datetime,
        expires_at: datetime | None,
        label: str | None = None,
    ) -> tuple[str, TokenRecord]:
        """A new token for a user: the token text (show it once, it is kept nowhere) and
        its record. InputError when the user does not exist or the expiry is not after
        `now`."""
        made = make_token()
        record = TokenRecord(
            id=made.id, user=user_id, label=label, created_at=now, expires_at=expires_at
        )
        a = t.api_tokens

        def work(conn: Connection) -> None:
            if self._user(conn, user_id) is None:
                raise InputError(
                    f"user {user_id!r} does not exist; add it first with 'truceline user add'",
                    field="user",
                )
            conn.execute(
                a.insert().values(
                    id=made.id,
                    user_id=user_id,
                    label=label,
                    salt=made.salt,
                    digest=made.digest,
                    created_us=to_us(now),
                    expires_us=to_us(expires_at) if expires_at is not None else None,
                    revoked_us=None,
                )
            )

        self._write("store the token", work)
        return made.token, record

    def revoke_token(self, token_id: str, *, now: datetime) -> TokenRecord:
        """Revoke a token at once (the time of the first revocation is kept); InputError
        when there is no such token."""
        a = t.api_tokens

        def work(conn: Connection) -> TokenRecord:
            row = conn.execute(select(a).where(a.c.id == token_id)).first()
            if row is None:
                raise InputError(
                    f"no token {token_id!r}; list them with 'truceline token list'",
                    field="token_id",
                )
            if row.revoked_us is None:
                conn.execute(a.update().where(a.c.id == token_id).values(revoked_us=to_us(now)))
                row = conn.execute(select(a).where(a.c.id == token_id)).one()
            return _token_record(row)

        return self._write("revoke the token", work)

    def tokens(self, user_id: str | None = None) -> list[TokenRecord]:
        """Every token record (of one user), ordered by creation time and id."""
        a = t.api_tokens
        query = select(a).order_by(a.c.created_us, a.c.id)
        if user_id is not None:
            query = query.where(a.c.user_id == user_id)
        with self._read("read tokens") as conn:
            return [_token_record(row) for row in conn.execute(query)]

    def authenticate(self, token: str, *, now: datetime) -> Principal:
        """The principal a token belongs to; TokenRefusedError when it is malformed, unknown,
        revoked or expired."""
        parsed = parse_token(token)
        if parsed is None:
            raise TokenRefusedError("the API token is not valid; check it, or ask for a new one")
        a, u, o = t.api_tokens, t.users, t.organisations
        query = (
            select(a, o.c.name.label("org_name"), o.c.kind.label("org_kind"))
            .select_from(a.join(u, u.c.id == a.c.user_id).join(o, o.c.id == u.c.organisation_id))
            .where(a.c.id == parsed.id)
        )
        with self._read("check the token") as conn:
            row = conn.execute(query).first()
            user = self._user(conn, row.user_id) if row is not None else None
        refused = TokenRefusedError("the API token is not valid; check it, or ask for a new one")
        if row is None or user is None:
            matches(parsed.secret, None, None)  # the same work as for a known id
            raise refused
        if not matches(parsed.secret, row.salt, row.digest):
            raise refused
        if row.revoked_us is not None:
            raise TokenRefusedError(
                f"the API token {parsed.id} was revoked at {from_us(row.revoked_us).isoformat()}; "
                "ask an administrator for a new one"
            )
        if row.expires_us is not None and to_us(now) >= row.expires_us:
            raise TokenRefusedError(
                f"the API token {parsed.id} expired at {from_us(row.expires_us).isoformat()}; "
                "ask an administrator for a new one"
            )
        organisation = Organisation(
            id=user.organisation, name=row.org_name, kind=OrganisationKind(row.org_kind)
        )
        return principal_of(user, organisation)
