"""Who may do what in the cell's workflow: every check of the review, alert, response and
receipt endpoints, in one place.

The principal's roles (`truceline.access.model.Role`) decide:

- analyst, reviewer: read the review queue; claim, release, confirm, dismiss, request more
  collection, merge and split incidents; cancel alerts and send reminders; acknowledge
  notices for the cell;
- reviewer: sign determinations as well (a reviewer acts as the workflow's senior analyst);
- liaison: record its own member's responses to alerts;
- party: file pre-notifications and acknowledge the other party's, for its own party.

An administrator holds every role, and may act for any member or party it names. A refusal
is a 403 with the canonical error body, saying which role the act needs.
"""

from __future__ import annotations

from truceline.access.model import Principal, Role
from truceline.agreement.receipts import CELL_RECEIVER
from truceline.response.review import Role as ReviewRole
from truceline.service.errors import ApiError

CELL_ROLES = frozenset({Role.ANALYST, Role.REVIEWER})
"""The roles of the cell's people: they review, and acknowledge notices for the cell."""


def _forbidden(message: str) -> ApiError:
    return ApiError(403, "forbidden", message)


def review_role(principal: Principal) -> ReviewRole:
    """The role a principal acts in on a review: a reviewer (or an administrator) acts as a
    senior analyst, who may also sign; an analyst as an analyst. 403 for anyone else."""
    if Role.ADMINISTRATOR in principal.roles or Role.REVIEWER in principal.roles:
        return ReviewRole.SENIOR_ANALYST
    if Role.ANALYST in principal.roles:
        return ReviewRole.ANALYST
    raise _forbidden(
        "reviewing incidents needs the role analyst or reviewer (signing: reviewer); ask the "
        "operator for such a token"
    )


def require_cell(principal: Principal, what: str) -> None:
    """403 unless the principal is one of the cell's people (analyst, reviewer) or an
    administrator."""
    if not principal.has_any(CELL_ROLES):
        raise _forbidden(f"{what} needs the role analyst or reviewer")


def response_member(principal: Principal, requested: str | None, members: tuple[str, ...]) -> str:
    """The member whose response a principal records: a liaison records its own
    organisation's (naming another is refused), an administrator the one it names."""
    if Role.ADMINISTRATOR in principal.roles:
        if requested is None:
            raise ApiError(
                422,
                "validation_failed",
                "member: an administrator records a response for a member it names; give "
                f"member (one of {', '.join(members) or 'none'})",
            )
        return requested
    if Role.LIAISON not in principal.roles:
        raise _forbidden("recording a response needs the role liaison")
    own = principal.organisation
    if requested is not None and requested != own:
        raise _forbidden(
            f"a liaison of {own} records the responses of {own} only, not of {requested}"
        )
    return own


def notice_party(principal: Principal, party: str) -> None:
    """403 when a party's representative files a notice for another party."""
    if principal.has_any(frozenset({Role.ANALYST, Role.LIAISON})):
        return
    if Role.PARTY in principal.roles and principal.organisation != party:
        raise _forbidden(
            f"a representative of {principal.organisation} files notices for "
            f"{principal.organisation} only, not for {party}"
        )


def receipt_receiver(principal: Principal, requested: str | None, notice_party: str) -> str:
    """Who a principal acknowledges a notice for: the cell for the cell's people, its own
    party for a party's representative (never the party that filed it), the receiver it
    names for an administrator."""
    if Role.ADMINISTRATOR in principal.roles:
        receiver = requested or CELL_RECEIVER
    elif principal.has_any(CELL_ROLES):
        if requested not in (None, CELL_RECEIVER):
            raise _forbidden(f"the cell's people acknowledge notices for the cell, not {requested}")
        receiver = CELL_RECEIVER
    elif Role.PARTY in principal.roles:
        own = principal.organisation
        if requested not in (None, own):
            raise _forbidden(f"a representative of {own} acknowledges for {own} only")
        receiver = own
    else:
        raise _forbidden("acknowledging a notice needs the role party, analyst or reviewer")
    if receiver == notice_party:
        raise ApiError(
            409,
            "own_notice",
            f"{receiver} filed this notice; its receipt is recorded by the other party and the "
            "cell",
        )
    return receiver
