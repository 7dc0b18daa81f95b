"""Who uses Truceline: organisations, their users with roles, API tokens, and principals.

- An `Organisation` is the lead monitor (the coordination cell), a coalition member, a
  party to the ceasefire, or the public. Its kind decides what its users may read (see
  `truceline.access.policy`); its code is what releasability markings name.
- A `User` belongs to one organisation and holds roles; roles decide what a user may do
  (submit, review, administer), never what it may read beyond its organisation.
- A `TokenRecord` is what the store keeps of an API token: never the secret, only a salted
  digest of it (see `truceline.access.tokens`).
- A `Principal` is who makes a request: the user (or the service's administrator), the
  organisation, the roles, and the audiences the organisation belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from truceline.access.marking import CODE_PATTERN
from truceline.observations.model import UtcDatetime


class Role(StrEnum):
    """What a user may do."""

    ANALYST = "analyst"
    """Monitoring analyst of the cell: submits observations, runs processing."""
    REVIEWER = "reviewer"
    """Reviews and signs determinations (the cell)."""
    LIAISON = "liaison"
    """Liaison officer of a coalition member: reads, files pre-notifications."""
    ADMINISTRATOR = "administrator"
    """Administers the mission: sources, agreements, organisations, users, tokens. Holds
    every other role's permissions."""
    PARTY = "party"
    """A party's representative: files pre-notifications, reads what is released to it."""
    PUBLIC = "public"
    """Anyone: reads what is public."""


class OrganisationKind(StrEnum):
    """What an organisation is to the mission."""

    LEAD = "lead"
    """The lead monitor: the coordination cell. Reads everything."""
    MEMBER = "member"
    """A coalition member."""
    PARTY = "party"
    """A party to the ceasefire."""
    PUBLIC = "public"
    """The public and the press."""


ROLES_OF_KIND: Final[dict[OrganisationKind, frozenset[Role]]] = {
    OrganisationKind.LEAD: frozenset({Role.ANALYST, Role.REVIEWER, Role.ADMINISTRATOR}),
    OrganisationKind.MEMBER: frozenset({Role.LIAISON}),
    OrganisationKind.PARTY: frozenset({Role.PARTY}),
    OrganisationKind.PUBLIC: frozenset({Role.PUBLIC}),
}
"""The roles a user of each kind of organisation may hold: a party's user never becomes an
analyst, whatever is typed."""

PUBLIC_ORGANISATION_ID: Final = "PUBLIC"
"""The organisation every store starts with: the public."""

OrganisationCode = Annotated[str, StringConstraints(pattern=rf"^{CODE_PATTERN}$")]
"""An organisation's code: upper case letters, digits, '_' and '-' (UA, FR, JCC)."""

UserId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")]
"""A user's id: a login name or an e-mail address."""

Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]


class Edition(StrEnum):
    """Whom a publication (the daily report, an export) is written for: the public, or the
    coordination cell."""

    PUBLIC = "public"
    RESTRICTED = "restricted"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Organisation(_Frozen):
    """An organisation taking part in (or watching) the mission."""

    id: OrganisationCode = Field(description="Its code, as markings name it: UA, FR, JCC.")
    name: Name
    kind: OrganisationKind


class User(_Frozen):
    """A person (or a system) using Truceline for one organisation."""

    id: UserId
    organisation: OrganisationCode
    display_name: Name
    roles: frozenset[Role] = Field(min_length=1)


class TokenRecord(_Frozen):
    """What is kept of an API token: who it is for, when it lapses, whether it is revoked.
    The secret itself is shown once, when the token is made, and never kept."""

    id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16}$")]
    user: UserId
    label: Name | None = None
    created_at: UtcDatetime
    expires_at: UtcDatetime | None = None
    revoked_at: UtcDatetime | None = None

    @model_validator(mode="after")
    def _expires_after_creation(self) -> TokenRecord:
        if self.expires_at is not None and self.expires_at <= self.created_at:
            raise ValueError("expires_at must be after created_at")
        return self


ALL_AUDIENCES: Final = "*"
"""An audience entry meaning: reads every marking (the cell)."""


@dataclass(frozen=True)
class Principal:
    """The caller of a request: who, for which organisation, in which roles, and the
    audiences its organisation belongs to (ALL_AUDIENCES for the cell)."""

    subject: str
    organisation: str
    roles: frozenset[Role]
    audiences: frozenset[str] = field(default_factory=frozenset)
    """The audiences of releasability markings this principal belongs to (see
    `truceline.access.marking`); ALL_AUDIENCES reads every marking; empty reads nothing."""

    def has_any(self, roles: frozenset[Role]) -> bool:
        """Whether it holds one of `roles` (an administrator holds them all)."""
        return Role.ADMINISTRATOR in self.roles or bool(self.roles & roles)

    @property
    def reads_everything(self) -> bool:
        """Whether no releasability marking is hidden from it (the cell)."""
        return ALL_AUDIENCES in self.audiences
