"""Request and response bodies of the API.

The domain models (Observation, Incident, Determination, PreNotification, Source,
Agreement) are the answer shape where they already are what a user should see; requests
have their own models, strict (`extra="forbid"`) so that a misspelt field is refused, not
ignored, and without the fields the service sets itself (ids, times of reception).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)

from truceline.access.marking import MarkingText
from truceline.adjudication.determination import Determination
from truceline.agreement.model import Agreement
from truceline.agreement.prenotification import PreNotification
from truceline.fusion.incident import Incident
from truceline.observations.model import (
    AttributeValue,
    Credibility,
    Domain,
    Evidence,
    IdText,
    Kind,
    Observation,
    Reliability,
    UtcDatetime,
)
from truceline.sources.registry import Source


class _Request(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


# observations


class ObservationIn(_Request):
    """One report submitted to the service. Its id derives from `source_id` and
    `source_ref`, so the same report sent twice is stored once; the time of reception is
    the service's. Numbers must be JSON numbers (not text, not booleans)."""

    source_id: IdText = Field(description="Id of a registered source.")
    source_ref: IdText = Field(description="The source's own id of the report.")
    observed_at: UtcDatetime = Field(description="When it happened, with a zone offset.")
    time_uncertainty_s: float = Field(default=0.0, ge=0.0, le=86_400 * 31, strict=True)
    lon: float = Field(ge=-180.0, le=180.0, strict=True, description="Longitude, WGS 84 degrees.")
    lat: float = Field(ge=-90.0, le=90.0, strict=True, description="Latitude, WGS 84 degrees.")
    location_uncertainty_m: float = Field(default=0.0, ge=0.0, le=500_000.0, strict=True)
    domain: Domain = Domain.LAND
    kind: Kind
    weapon_class: IdText | None = None
    calibre_mm: float | None = Field(default=None, gt=0.0, le=1000.0, strict=True)
    reliability: Reliability | None = Field(
        default=None, description="Admiralty reliability; the source's when absent."
    )
    credibility: Credibility | None = Field(
        default=None, description="Admiralty credibility; the source's when absent."
    )
    attributes: dict[IdText, AttributeValue] = Field(default_factory=dict)
    evidence: list[Evidence] = Field(default_factory=list)
    releasability: MarkingText | None = Field(
        default=None,
        description="Who may read it, e.g. 'cell', 'cell+members:FR,UK', 'cell+parties', "
        "'public' (docs/access.md); the source's default when absent, else 'cell'.",
    )
    signature: Annotated[str, StringConstraints(min_length=1, max_length=256)] | None = Field(
        default=None,
        description="Ed25519 signature (base64) over the canonical observation; required "
        "from a source registered with a public key (docs/ledger.md). Kept as the "
        "attribute 'signature'.",
    )


ObservationRows = Annotated[
    list[Any],
    WithJsonSchema(
        {
            "type": "array",
            "minItems": 1,
            "items": {},
            "description": "Observations, each an ObservationIn object as in POST "
            "/api/observations. Rows are checked one by one: a row that is not a valid "
            "ObservationIn is reported in `rejections`, the others are stored.",
        }
    ),
]


class ObservationBatchIn(_Request):
    """Many reports at once. Each row is validated on its own: the good ones are stored,
    every bad one is reported with its index."""

    observations: ObservationRows = Field(min_length=1)


SubmissionStatus = Literal["stored", "already_stored"]


class ProcessingReport(BaseModel):
    """What one processing pass did."""

    observations: int = Field(description="Observations fused in this pass.")
    incidents_added: int = Field(description="Incidents made or changed.")
    incidents_removed: int = Field(description="Incidents deleted or replaced.")
    agreement_id: str | None = Field(description="The agreement judged under; None if none.")
    agreement_version: int | None
    judged: int = Field(description="Incidents judged in this pass.")
    changed: int = Field(description="Determinations that are new or changed.")
    alerts: int = Field(description="Determinations that became clear breaches.")
    withdrawn: int = Field(description="Determinations deleted with their incident.")
    waiting_for_agreement: bool = Field(
        description="Nothing was judged: the store holds no agreement yet, or several and "
        "the service was not told which one is in force."
    )


class ObservationSubmitted(BaseModel):
    """The answer to one submitted observation."""

    id: str
    status: SubmissionStatus = Field(
        description="stored, or already_stored when the same report was stored before."
    )
    processing: ProcessingReport | None = Field(
        description="The processing pass that followed, when the service processes "
        "automatically and something new was stored."
    )


class RowResult(BaseModel):
    """What happened to one accepted row of a batch."""

    index: int = Field(description="Position of the row in the batch, from 0.")
    id: str
    status: SubmissionStatus


class RowRejection(BaseModel):
    """One refused row of a batch."""

    index: int = Field(description="Position of the row in the batch, from 0.")
    field: str | None = Field(description="The offending field, e.g. 'lon'.")
    reason: str


class BatchSubmitted(BaseModel):
    """The answer to a batch: every row is either in `results` or in `rejections`."""

    received: int
    stored: int = Field(description="Rows stored now.")
    already_stored: int = Field(description="Rows stored before, or repeated in the batch.")
    rejected: int
    results: list[RowResult]
    rejections: list[RowRejection]
    processing: ProcessingReport | None


class ObservationPage(BaseModel):
    items: list[Observation]
    next_cursor: str | None = Field(description="Cursor of the next page; None on the last.")


# incidents and determinations


class IncidentPage(BaseModel):
    items: list[Incident]
    next_cursor: str | None = Field(description="Cursor of the next page; None on the last.")


class DeterminationOut(Determination):
    """A determination, with its incident's time window and location."""

    start: datetime = Field(description="Start of the incident's time window (UTC).")
    end: datetime = Field(description="End of the incident's time window (UTC).")
    lon: float = Field(description="The incident's best location, WGS 84 degrees.")
    lat: float
    releasability: str = Field(
        description="Who may read it: its incident's releasability marking (docs/access.md)."
    )


class DeterminationPage(BaseModel):
    items: list[DeterminationOut]
    next_cursor: str | None = Field(description="Cursor of the next page; None on the last.")


class IncidentDetail(BaseModel):
    """One incident with its observations and its determinations (every version)."""

    incident: Incident
    observations: list[Observation]
    determinations: list[DeterminationOut]


# agreements


class AgreementVersionInfo(BaseModel):
    version: int
    title: str
    effective_from: datetime
    digest: str = Field(description="SHA-256 of the version's canonical document.")


class AgreementInfo(BaseModel):
    id: str
    latest_version: int
    versions: list[AgreementVersionInfo]


class AgreementGeometryIn(_Request):
    """The agreement's geometry, inlined as GeoJSON (WGS 84)."""

    line: dict[str, Any] = Field(description="GeoJSON LineString or MultiLineString.")
    held_areas: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="GeoJSON (Multi)Polygon by party code."
    )
    exclusions: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="GeoJSON (Multi)Polygon by exclusion zone id."
    )


class AgreementDocumentIn(_Request):
    """A whole agreement version: its fields and its geometry (see docs/agreement.md)."""

    format: Literal["truceline-agreement"]
    format_version: Literal[1]
    agreement: Agreement
    geometry: AgreementGeometryIn


class AgreementDocumentOut(BaseModel):
    """One stored agreement version as a self-contained document."""

    id: str
    version: int
    digest: str
    document: dict[str, Any] = Field(
        description="format, format_version, agreement and geometry; can be submitted again."
    )


class AgreementSubmitted(BaseModel):
    id: str
    version: int
    digest: str
    status: SubmissionStatus


class AmendmentIn(_Request):
    """An amendment: the next version, with some top-level fields replaced."""

    changes: dict[str, Any] = Field(
        description="Top-level agreement fields and their new values, e.g. clear_breach."
    )
    note: Annotated[str, StringConstraints(min_length=1, max_length=4000)] = Field(
        description="Why the agreement was amended."
    )
    effective_from: AwareDatetime = Field(description="When the new version takes effect.")


# pre-notifications


class PreNotificationIn(_Request):
    """A party's notice of permitted activity."""

    id: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = Field(
        default=None, description="Notice id; derived from its content when absent."
    )
    party: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_-]{0,15}$")]
    activity: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    area: dict[str, Any] = Field(description="GeoJSON Polygon or MultiPolygon, WGS 84.")
    starts_at: UtcDatetime
    ends_at: UtcDatetime
    notified_at: UtcDatetime | None = Field(
        default=None, description="When the notice was received; now when absent."
    )
    description: Annotated[str, StringConstraints(max_length=2000)] = ""


class PreNotificationSubmitted(BaseModel):
    id: str
    status: SubmissionStatus
    warnings: list[str] = Field(description="E.g. notice given too late to cover anything.")


class PreNotificationPage(BaseModel):
    items: list[PreNotification]
    next_cursor: str | None = Field(description="Cursor of the next page; None on the last.")


# sources


class SourceOut(Source):
    builtin: bool = Field(description="Built into Truceline rather than registered.")


class SourceList(BaseModel):
    items: list[SourceOut]


class SourceSubmitted(BaseModel):
    id: str
    status: Literal["stored", "updated", "unchanged"]


# processing, health


class ProcessIn(_Request):
    """What to process."""

    scope: Literal["new", "all"] = Field(
        default="new",
        description="new: observations in no incident yet and incidents not yet judged "
        "under the agreement version in force; all: judge every incident again (after "
        "pre-notifications that change deconfliction).",
    )


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    schema_version: int
