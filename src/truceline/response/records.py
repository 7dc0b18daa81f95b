"""What the store keeps of an alert: the CAP message and what the service knows around it.

An `AlertRecord` is one message of an alert thread — the alert of a signed clear breach, its
updates (reminders of overdue steps) and its cancel — with the thread it belongs to (the
identifier of the thread's first message), the incident and determination it is about, who
may read it (a releasability marking, see `truceline.access.marking`), the coalition members
the alert went to (whose response clocks it starts), and the exact CAP XML and JSON sent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from truceline.response.cap import (
    Alert,
    CapStatus,
    MsgType,
    Scope,
    alert_from_json,
    to_json,
    to_xml,
)
from truceline.response.review import Ident


class AlertRecord(BaseModel):
    """One stored message of an alert thread."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    identifier: Ident = Field(description="The CAP identifier of this message.")
    thread: Ident = Field(
        description="The identifier of the thread's first message (the alert itself)."
    )
    incident_id: Ident
    determination_id: Ident = Field(description="The signed determination the thread is about.")
    msg_type: MsgType
    status: CapStatus
    sent: datetime
    scope: Scope
    releasability: str = Field(description="Who may read it: a releasability marking.")
    members: tuple[str, ...] = Field(
        description="Codes of the coalition members the alert went to, sorted."
    )
    alert: Alert = Field(description="The CAP message.")
    xml: str = Field(description="The CAP 1.2 XML document as sent (UTF-8 text).")

    @classmethod
    def of(
        cls,
        alert: Alert,
        *,
        thread: str | None = None,
        determination_id: str,
        releasability: str,
        members: Sequence[str],
    ) -> AlertRecord:
        """The record of a message; `thread` defaults to its own identifier (an Alert)."""
        incident = alert.incidents[0] if alert.incidents else ""
        return cls(
            identifier=alert.identifier,
            thread=thread or alert.identifier,
            incident_id=incident,
            determination_id=determination_id,
            msg_type=alert.msg_type,
            status=alert.status,
            sent=alert.sent,
            scope=alert.scope,
            releasability=releasability,
            members=tuple(sorted(set(members))),
            alert=alert,
            xml=to_xml(alert).decode("utf-8"),
        )

    @property
    def cap_json(self) -> dict[str, Any]:
        """The CAP message in its JSON form (`truceline.response.cap.to_json`)."""
        return to_json(self.alert)

    def json_text(self) -> str:
        """The JSON form as canonical text, as the store keeps it."""
        return json.dumps(self.cap_json, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    @staticmethod
    def alert_of_json(text: str) -> Alert:
        """The CAP message of stored JSON text."""
        return alert_from_json(json.loads(text))
