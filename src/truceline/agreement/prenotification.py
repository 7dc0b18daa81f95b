"""Pre-notifications: a party announces permitted activity before it happens.

An incident inside an active, timely pre-notification of a permitted activity is
"deconflicted": the rules that activity exempts are not breached by it.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from truceline.observations.model import UtcDatetime

GeoJsonGeometry = dict[str, Any]


class PreNotification(BaseModel):
    """A party's notice of permitted activity in an area and a time window."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    id: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    party: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_-]{0,15}$")]
    activity: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        description="Code of a permitted activity of the agreement."
    )
    area: GeoJsonGeometry = Field(description="GeoJSON Polygon or MultiPolygon, WGS 84.")
    starts_at: UtcDatetime
    ends_at: UtcDatetime
    notified_at: UtcDatetime = Field(description="When the cell received the notice.")
    description: Annotated[str, StringConstraints(max_length=2000)] = ""

    @model_validator(mode="after")
    def _window(self) -> PreNotification:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.area.get("type") not in {"Polygon", "MultiPolygon"}:
            raise ValueError("area must be a GeoJSON Polygon or MultiPolygon")
        return self
