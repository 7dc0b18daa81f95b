"""Who is asking: one dependency turns the request's credentials into a `Principal`.

Every endpoint that needs a caller depends on `current_principal` (or on `requires(...)`,
which also checks the roles). A bearer token is either the operator's administrator token,
configured when the service starts, or a user's API token made with `truceline token
create` (see docs/access.md): the user's organisation decides what the principal reads,
its roles what it may do. An unknown, expired or revoked token is refused with 401; a
principal without the role an endpoint needs with 403.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from truceline.access.directory import Directory, TokenRefusedError
from truceline.access.model import ALL_AUDIENCES, Principal, Role
from truceline.service.errors import ApiError
from truceline.service.settings import token_digest

__all__ = [
    "ADMINISTRATOR",
    "CurrentPrincipal",
    "Principal",
    "Role",
    "current_principal",
    "requires",
]


ADMINISTRATOR = Principal(
    subject="administrator",
    organisation="operator",
    roles=frozenset({Role.ADMINISTRATOR}),
    audiences=frozenset({ALL_AUDIENCES}),
)
"""The principal of the configured administrator token (the operator: reads everything)."""

_bearer = HTTPBearer(
    auto_error=False,
    description="The API token: `Authorization: Bearer <token>`.",
)


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The principal the request's bearer token belongs to; 401 without a valid token."""
    if credentials is None:
        raise _unauthorized(
            "no API token: send the header 'Authorization: Bearer <token>' (the operator "
            "configures the token when starting the service)"
        )
    expected: str | None = request.app.state.settings.admin_token_sha256
    given = token_digest(credentials.credentials)
    if expected is not None and hmac.compare_digest(given, expected):
        return ADMINISTRATOR
    try:
        return Directory(request.app.state.service.store).authenticate(
            credentials.credentials, now=datetime.now(UTC)
        )
    except TokenRefusedError as exc:
        raise _unauthorized(str(exc)) from None


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def requires(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency: the current principal, refused with 403 unless it holds one of `roles`."""
    wanted = frozenset(roles)
    names = ", ".join(sorted(r.value for r in wanted | {Role.ADMINISTRATOR}))

    def check(principal: CurrentPrincipal) -> Principal:
        if not principal.has_any(wanted):
            raise ApiError(
                403,
                "forbidden",
                f"this needs one of the roles {names}; ask the operator for such a token",
            )
        return principal

    return check
