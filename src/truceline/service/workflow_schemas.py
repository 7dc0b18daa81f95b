"""Request and response bodies of the cell's workflow: review, alerts, responses, receipts.

Requests are strict (`extra="forbid"`): a misspelt field is refused, not ignored. The domain
models (`ReviewState`, `QueueEntry`, `Response`, `NoticeReceipt`, `NoticeFinding`) are the
answer shapes where they already are what a user should see.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from truceline.adjudication.determination import Status
from truceline.adjudication.notice_activity import NoticeFinding, NoticeTimeliness
from truceline.agreement.model import Severity
from truceline.agreement.receipts import NoticeReceipt
from truceline.response.cap import CapStatus, MsgType, Scope
from truceline.response.protocol import Response, ResponseKind
from truceline.response.review import QueueEntry, ReviewActionKind, ReviewState, ReviewStatus

Ident = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^\S+$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=4000, strip_whitespace=True)]


class _Request(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


# review


class ReviewActionIn(_Request):
    """One act on an incident's review. Who and when are the caller and the time of the
    request."""

    action: ReviewActionKind
    reason: Text | None = Field(
        default=None,
        description="Why; required to dismiss, to request collection, and to release another "
        "person's claim.",
    )
    into: Ident | None = Field(default=None, description="merge: the incident it joins.")
    groups: list[list[Ident]] | None = Field(
        default=None,
        description="split: the observation ids of each new incident; every observation of "
        "the incident in exactly one group.",
    )
    determination_id: Ident | None = Field(
        default=None,
        description="sign: the determination signed; the incident's determination under the "
        "agreement version in force when absent.",
    )


class ReviewOut(ReviewState):
    """Where an incident's review stands, with every action taken (who, what, when, why)."""

    summary: str = Field(description="The status in words, with the claim if one holds.")
    alert: str | None = Field(
        description="Identifier of the alert raised when two reviewers signed a clear breach."
    )
    recorded: bool | None = Field(
        default=None,
        description="On a POST: whether the action was recorded now (false: the same action "
        "was recorded before).",
    )


class QueueItem(BaseModel):
    """One incident waiting for review, with what the queue ordered it by."""

    incident_id: str
    determination_id: str = Field(description="Its determination under the version in force.")
    determination_status: Status
    clear_breach: bool
    severity: Severity | None
    confidence: float
    started_at: datetime
    review_status: ReviewStatus
    claimed_by: str | None
    claimed_until: datetime | None
    signed_by: list[str]
    awaiting_signature: bool = Field(
        description="A clear breach that still needs a signature: the first thing to do."
    )
    age_s: float = Field(description="Seconds since the incident ended.")

    @classmethod
    def of(cls, entry: QueueEntry) -> QueueItem:
        values = entry.model_dump(exclude={"age"})
        return cls(**values, age_s=entry.age.total_seconds())


class QueuePage(BaseModel):
    """The incidents awaiting review, most pressing first."""

    items: list[QueueItem]
    total: int = Field(description="How many incidents the whole queue holds.")


# alerts


class AlertSummary(BaseModel):
    """One message of an alert thread, as listed."""

    identifier: str
    thread: str = Field(description="Identifier of the thread's first message (the alert).")
    msg_type: MsgType
    status: CapStatus
    sent: datetime
    scope: Scope
    incident_id: str
    determination_id: str
    releasability: str
    members: list[str] = Field(description="The coalition members the alert went to.")
    headline: str | None
    note: str | None
    references: list[str] = Field(description="sender,identifier,sent of the earlier messages.")


class AlertOut(AlertSummary):
    """One message with its CAP content in JSON (GET the same path with Accept:
    application/cap+xml, or append .xml, for the CAP 1.2 XML document)."""

    cap: dict[str, Any] = Field(description="The CAP message in its JSON form.")


class AlertPage(BaseModel):
    items: list[AlertSummary]
    total: int = Field(description="How many messages match, over every page.")


class CancelIn(_Request):
    """Why an alert is cancelled."""

    note: Annotated[str, StringConstraints(min_length=1, max_length=1000)] = Field(
        description="Why, e.g. 'the determination was withdrawn after new evidence'."
    )


class ResponseIn(_Request):
    """A member's response to an alert."""

    kind: ResponseKind
    tier: Text | None = Field(
        default=None,
        description="The protocol tier it answers; none for an acknowledgement of the alert.",
    )
    text: Text = Field(description="What the member said or did.")
    member: Ident | None = Field(
        default=None,
        description="The member; a liaison records its own organisation's responses only.",
    )


class ClockOut(BaseModel):
    """One member's step of one tier."""

    member: str
    tier: str
    tier_index: int
    due: datetime
    acknowledged_at: datetime | None
    done_at: datetime | None
    done_by: str | None
    overdue: bool
    late: bool
    state: Literal["done", "done late", "overdue", "pending"]


class ResponseRecorded(BaseModel):
    response: Response
    status: Literal["recorded", "already_recorded"]
    clocks: list[ClockOut] = Field(description="The member's steps after this response.")


class ClocksOut(BaseModel):
    """The response protocol's clocks of one alert, soonest due first."""

    alert: str
    sent: datetime
    now: datetime
    cancelled: bool = Field(description="A cancelled alert raises no more reminders.")
    members: list[str]
    clocks: list[ClockOut]
    overdue: int = Field(description="How many steps are overdue.")
    reminders: list[str] = Field(description="Identifiers of the reminders sent so far.")


# pre-notifications


class ReceiptIn(_Request):
    """An acknowledgement of a pre-notification."""

    receiver: (
        Annotated[str, StringConstraints(pattern=r"^(cell|[A-Z][A-Z0-9_-]{0,15})$")] | None
    ) = Field(
        default=None,
        description="Who received it: 'cell' or a party's code. Default: the caller's "
        "(the cell for the cell's people, its own party for a party's representative).",
    )


class ReceiptRecorded(BaseModel):
    receipt: NoticeReceipt
    status: Literal["recorded", "already_recorded"] = Field(
        description="already_recorded: this receiver's first receipt stands."
    )


class NoticeReceipts(BaseModel):
    """The proof of notice of one pre-notification."""

    notice_id: str
    party: str
    receipts: list[NoticeReceipt]
    awaiting: list[str] = Field(
        description="Receivers (the cell, the other parties) that have not acknowledged it."
    )
    complete: bool = Field(description="Every expected receiver acknowledged it.")
    timeliness: NoticeTimeliness


class FindingsOut(BaseModel):
    """The notifying parties' activity around their notices."""

    notices: list[NoticeTimeliness] = Field(description="Each notice looked at.")
    items: list[NoticeFinding] = Field(
        description="Each incident of the notifying party's activity near a notice."
    )
