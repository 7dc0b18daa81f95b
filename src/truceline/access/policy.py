"""What a principal may read: one function from a principal to the audiences it belongs
to, and from those a predicate on markings and a SQL filter for the store.

The rules (see docs/access.md):

- the cell (an organisation of kind `lead`) reads every marking;
- a coalition member `C` reads `public`, and the markings naming all members or `C`;
- a party `P` reads `public`, and the markings naming all parties or `P`;
- the public reads `public` only.

Nothing else reads anything: a principal with no audience reads nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, select

from truceline.access.marking import (
    ALL_MEMBERS,
    ALL_PARTIES,
    EVERYONE,
    Marking,
    member_audience,
    parse_marking,
    party_audience,
)
from truceline.access.model import ALL_AUDIENCES, Organisation, OrganisationKind, Principal, User
from truceline.store import tables as t


def audiences_of(organisation: Organisation) -> frozenset[str]:
    """The audiences an organisation belongs to: ALL_AUDIENCES for the cell."""
    kind, code = organisation.kind, organisation.id
    if kind is OrganisationKind.LEAD:
        return frozenset({ALL_AUDIENCES})
    if kind is OrganisationKind.MEMBER:
        return frozenset({EVERYONE, ALL_MEMBERS, member_audience(code)})
    if kind is OrganisationKind.PARTY:
        return frozenset({EVERYONE, ALL_PARTIES, party_audience(code)})
    return frozenset({EVERYONE})


def principal_of(user: User, organisation: Organisation) -> Principal:
    """The principal a user acts as."""
    return Principal(
        subject=user.id,
        organisation=organisation.id,
        roles=user.roles,
        audiences=audiences_of(organisation),
    )


def may_read(principal: Principal, marking: Marking | str) -> bool:
    """Whether the principal may read something with this marking."""
    if principal.reads_everything:
        return True
    parsed = parse_marking(marking) if isinstance(marking, str) else marking
    return parsed.allows(principal.audiences)


@dataclass(frozen=True)
class ReadFilter:
    """What a principal may read, for the store: rows whose marking names one of
    `audiences`. The cell needs no filter (`read_filter` gives None)."""

    audiences: frozenset[str]

    def clause(self, marking: ColumnElement[str]) -> ColumnElement[bool]:
        """SQL true for the rows whose marking column `marking` this filter lets through.

        Every marking the store writes is listed with its audiences in the table
        `releasability_audiences`; a row passes when its marking is listed there with one
        of the principal's audiences (so `cell`, listed with none, never passes).
        """
        a = t.releasability_audiences
        readable = select(a.c.marking).where(a.c.audience.in_(sorted(self.audiences)))
        return marking.in_(readable)

    def allows(self, marking: Marking | str) -> bool:
        """The same decision in Python, for one marking."""
        parsed = parse_marking(marking) if isinstance(marking, str) else marking
        return parsed.allows(self.audiences)


def read_filter(principal: Principal) -> ReadFilter | None:
    """The store filter of what a principal may read; None when it reads everything."""
    if principal.reads_everything:
        return None
    return ReadFilter(principal.audiences - {ALL_AUDIENCES})
