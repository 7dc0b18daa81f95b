"""Which tables the ledger records, and how a stored row maps to its entry.

Each recorded table has an entry kind, the record id of a row, and the payload its latest
entry must hold: the row's values normalised to their column types (`row_payload`), wrapped
for incidents and determinations, whose entries may also record a removal (`None`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table

from truceline.ledger.entry import EntryKind
from truceline.store import tables as t
from truceline.store.ledger_sql import row_payload


@dataclass(frozen=True)
class Recorded:
    """A table whose rows the ledger records."""

    table: Table
    kind: EntryKind
    noun: str
    record_id: Callable[[Mapping[Any, Any]], str]
    wrap: str | None = None
    """The key the row sits under in the payload (incidents, determinations), or None
    when the payload is the row itself."""

    def payload(self, row: Mapping[Any, Any]) -> Any:
        values = row_payload(self.table, row)
        return {self.wrap: values} if self.wrap is not None else values

    def removed(self, payload: Any) -> bool:
        """Whether an entry's payload records the removal of the record."""
        return (
            self.wrap is not None and isinstance(payload, dict) and payload.get(self.wrap) is None
        )


def _by(column: str) -> Callable[[Mapping[Any, Any]], str]:
    return lambda row: str(row[column])


RECORDED: tuple[Recorded, ...] = (
    Recorded(t.sources, EntryKind.SOURCE, "source", _by("id")),
    Recorded(
        t.agreements,
        EntryKind.AGREEMENT,
        "agreement",
        lambda row: f"{row['agreement_id']}/v{row['version']}",
    ),
    Recorded(t.observations, EntryKind.OBSERVATION_ACCEPTED, "observation", _by("id")),
    Recorded(t.incidents, EntryKind.INCIDENTS_REPLACED, "incident", _by("id"), "incident"),
    Recorded(
        t.determinations, EntryKind.DETERMINATION, "determination", _by("id"), "determination"
    ),
    Recorded(t.prenotifications, EntryKind.PRENOTIFICATION, "pre-notification", _by("id")),
    Recorded(t.review_actions, EntryKind.REVIEW_ACTION, "review action", _by("id")),
    Recorded(t.alerts, EntryKind.ALERT, "alert", _by("identifier")),
    Recorded(t.responses, EntryKind.RESPONSE, "response", _by("id")),
    Recorded(
        t.prenotification_receipts,
        EntryKind.RECEIPT,
        "receipt",
        lambda row: f"{row['notice_id']}/{row['receiver']}",
    ),
)
"""Every recorded table, in the order verification reads them."""

BY_KIND: dict[str, Recorded] = {r.kind.value: r for r in RECORDED}
