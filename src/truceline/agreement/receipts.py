"""Receipts of pre-notifications: the proof that a notice reached the other party and the cell.

A party files a pre-notification of permitted activity (`PreNotification`); the other
party and the coordination cell each acknowledge it. Each acknowledgement is a
`NoticeReceipt`: which notice, who received it (a party's code, or `cell`), when and by whom.
The first receipt of a receiver is the one that counts; it is never changed.
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from truceline.observations.model import UtcDatetime

CELL_RECEIVER: Final = "cell"
"""The receiver standing for the coordination cell."""

Receiver = Annotated[str, StringConstraints(pattern=r"^(cell|[A-Z][A-Z0-9_-]{0,15})$")]
"""`cell`, or the code of a party (upper case, as party codes are)."""


class NoticeReceipt(BaseModel):
    """One receiver's acknowledgement of one pre-notification."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    notice_id: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    receiver: Receiver = Field(description="The party that received it, or 'cell'.")
    received_at: UtcDatetime = Field(description="When the receipt was recorded.")
    actor: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^\S+$")] = (
        Field(description="The user id of the person who recorded it.")
    )
    actor_org: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^\S+$")] = (
        Field(description="The organisation that person acted for.")
    )
