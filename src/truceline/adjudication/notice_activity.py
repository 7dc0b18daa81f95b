"""What a party did around its own pre-notification: covered, late or out-of-area activity.

Adjudication judges each incident and names, in its explanation, the related notices that
do not cover it and why (see `truceline.adjudication.deconfliction`). This module looks at
it from the notice's side, for the cell and the other party. It looks at the incidents that
are the notifying party's activity (attributed to it, or unattributed on its side), of a
kind its activity covers, and that the notice covers or that break a rule its activity could
lift; of those, which ones

- the notice covers (`covered`: the determination names the notice);
- lie inside the area and window but are not covered because the notice came too late or
  runs too long (`late_notice`);
- happen in the window but outside the notified area, within `radius_m` of it
  (`outside_area`);
- happen in the area but before the window opens or after it closes, within `slack` of it
  (`outside_window`);
- lie inside the area and window of a timely notice and are still not covered, because of a
  kind or a rule the activity does not exempt (`not_covered`).

Pure and deterministic: findings are sorted by (incident start, incident id).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import numpy as np
import shapely
from pydantic import BaseModel, ConfigDict, Field
from shapely.geometry import shape

from truceline.adjudication.determination import Determination, Status
from truceline.adjudication.wording import activity_words
from truceline.agreement.model import Agreement
from truceline.agreement.prenotification import PreNotification
from truceline.errors import InputError
from truceline.fusion.incident import Incident
from truceline.geometry.projection import LocalProjection

DEFAULT_RADIUS_M = 10_000.0
"""How far outside a notified area activity is still reported as out of area."""
DEFAULT_SLACK = timedelta(hours=24)
"""How long before or after a notified window activity is still reported as out of window."""
EDGE_TOLERANCE_M = 1.0
"""Slack when testing whether an incident lies in the area (as deconfliction allows)."""


class FindingKind(StrEnum):
    """How an incident stands to a notice of its party's activity."""

    COVERED = "covered"
    LATE_NOTICE = "late_notice"
    OUTSIDE_AREA = "outside_area"
    OUTSIDE_WINDOW = "outside_window"
    NOT_COVERED = "not_covered"


class NoticeTimeliness(BaseModel):
    """Whether a notice was given in time and is not longer than its activity allows."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    notice_id: str
    party: str
    activity: str
    permitted: bool = Field(description="Whether the activity is one the agreement permits.")
    lead_hours: float = Field(description="Hours from reception to the start of the window.")
    required_hours: float | None = Field(description="The notice the activity needs, hours.")
    timely: bool
    duration_hours: float
    max_duration_hours: float | None
    short_enough: bool


class NoticeFinding(BaseModel):
    """One incident of the notifying party's activity near a notice, and how it stands."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    notice_id: str
    party: str
    activity: str
    finding: FindingKind
    incident_id: str
    determination_id: str
    determination_status: Status
    start: datetime
    end: datetime
    lon: float
    lat: float
    distance_outside_m: float = Field(
        ge=0, description="Metres from the incident to the area beyond its uncertainty; 0 in it."
    )
    hours_outside: float = Field(
        ge=0, description="Hours between the incident and the window; 0 when they overlap."
    )
    summary: str = Field(description="The finding in words.")


def timeliness(notice: PreNotification, agreement: Agreement) -> NoticeTimeliness:
    """How the notice stands to its activity's notice period and longest duration."""
    lead = (notice.starts_at - notice.notified_at) / timedelta(hours=1)
    duration = (notice.ends_at - notice.starts_at) / timedelta(hours=1)
    try:
        activity = agreement.permitted_activity(notice.activity)
    except KeyError:
        return NoticeTimeliness(
            notice_id=notice.id,
            party=notice.party,
            activity=notice.activity,
            permitted=False,
            lead_hours=lead,
            required_hours=None,
            timely=False,
            duration_hours=duration,
            max_duration_hours=None,
            short_enough=False,
        )
    return NoticeTimeliness(
        notice_id=notice.id,
        party=notice.party,
        activity=notice.activity,
        permitted=True,
        lead_hours=lead,
        required_hours=activity.notice_hours,
        timely=lead >= activity.notice_hours,
        duration_hours=duration,
        max_duration_hours=activity.max_duration_hours,
        short_enough=duration <= activity.max_duration_hours,
    )


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _km(metres: float) -> str:
    return f"{metres:.0f} m" if metres < 100 else f"{metres / 1000:.1f} km"


def _hours(hours: float) -> str:
    return f"{hours:g} h" if hours == round(hours, 1) else f"{hours:.1f} h"


def search_box(
    notice: PreNotification, radius_m: float = DEFAULT_RADIUS_M
) -> tuple[float, float, float, float]:
    """A longitude/latitude box holding every point within `radius_m` of the notice's area
    (generously), for finding the incidents to look at."""
    area = shape(notice.area)
    min_lon, min_lat, max_lon, max_lat = area.bounds
    reach_lat = radius_m / 110_500.0
    highest = min(max(abs(min_lat), abs(max_lat)) + reach_lat, 89.0)
    reach_lon = radius_m / (111_400.0 * float(np.cos(np.radians(highest))))
    return (
        max(min_lon - reach_lon, -180.0),
        max(min_lat - reach_lat, -90.0),
        min(max_lon + reach_lon, 180.0),
        min(max_lat + reach_lat, 90.0),
    )


def notice_findings(
    notice: PreNotification,
    agreement: Agreement,
    incidents: Sequence[Incident],
    determinations: Sequence[Determination],
    *,
    radius_m: float = DEFAULT_RADIUS_M,
    slack: timedelta = DEFAULT_SLACK,
) -> list[NoticeFinding]:
    """The notifying party's activity near a notice, each incident with its finding.

    `determinations` are those of the incidents under one agreement version (an incident
    without one is left out). Incidents farther than `radius_m` from the area, or more than
    `slack` from the window, or outside both, are unrelated and left out.
    """
    if radius_m < 0 or slack < timedelta(0):
        raise InputError("radius and slack must not be negative", field="radius_m")
    try:
        area = shape(notice.area)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise InputError(
            f"pre-notification {notice.id!r}, field 'area': not a readable polygon ({exc})",
            field="area",
        ) from None
    if not area.is_valid:
        area = shapely.make_valid(area)
    stand = timeliness(notice, agreement)
    activity = agreement.permitted_activity(notice.activity) if stand.permitted else None
    kinds = set(activity.kinds) if activity is not None else None
    exempts = set(activity.exempts) if activity is not None else None
    by_incident = {d.incident_id: d for d in determinations}
    mine: list[tuple[Incident, Determination]] = []
    for incident in incidents:
        judged = by_incident.get(incident.id)
        if judged is None:
            continue
        party = judged.attributed_to or judged.side
        if party != notice.party or (kinds is not None and not kinds & set(incident.kinds)):
            continue
        # Beside what it covers, a notice concerns the rules broken that it could lift.
        liftable = set(judged.rules) & exempts if exempts is not None else set(judged.rules)
        if notice.id not in judged.prenotification_ids and not liftable:
            continue
        mine.append((incident, judged))
    if not mine:
        return []
    centre = area.centroid
    projection = LocalProjection(float(centre.x), float(centre.y))
    projected = shapely.transform(
        area,
        lambda c: np.column_stack(projection.forward(c[:, 0].copy(), c[:, 1].copy())),
    )
    x, y = projection.forward(
        np.array([i.lon for i, _ in mine], dtype=np.float64),
        np.array([i.lat for i, _ in mine], dtype=np.float64),
    )
    distances = shapely.distance(shapely.points(x, y), projected)
    words = f"notice {notice.id} of {activity_words(notice.activity)} by {notice.party}"
    found: list[NoticeFinding] = []
    for (incident, judged), distance in zip(mine, distances.tolist(), strict=True):
        outside_m = max(0.0, distance - incident.location_uncertainty_m - EDGE_TOLERANCE_M)
        if incident.end < notice.starts_at:
            gap_h = (notice.starts_at - incident.end) / timedelta(hours=1)
        elif incident.start > notice.ends_at:
            gap_h = (incident.start - notice.ends_at) / timedelta(hours=1)
        else:
            gap_h = 0.0
        where = f"incident {incident.id} ({_when(incident.start)})"
        if notice.id in judged.prenotification_ids:
            kind, summary = FindingKind.COVERED, f"{words} covers {where}"
        elif outside_m > 0 and gap_h > 0:
            continue
        elif outside_m > 0:
            if outside_m > radius_m:
                continue
            kind = FindingKind.OUTSIDE_AREA
            summary = f"{where} lies {_km(outside_m)} outside the area of {words}"
        elif gap_h > 0:
            if gap_h > slack / timedelta(hours=1):
                continue
            before = incident.end < notice.starts_at
            kind = FindingKind.OUTSIDE_WINDOW
            summary = (
                f"{where} happened {_hours(gap_h)} {'before' if before else 'after'} the "
                f"window of {words} ({_when(notice.starts_at)} to {_when(notice.ends_at)})"
            )
        elif not (stand.timely and stand.short_enough):
            kind = FindingKind.LATE_NOTICE
            reasons = []
            if not stand.permitted:
                reasons.append("its activity is not one the agreement permits")
            else:
                if not stand.timely:
                    reasons.append(
                        f"it was received {_hours(stand.lead_hours)} before the start "
                        f"({_hours(stand.required_hours or 0)} are required)"
                    )
                if not stand.short_enough:
                    reasons.append(
                        f"it runs {_hours(stand.duration_hours)} (at most "
                        f"{_hours(stand.max_duration_hours or 0)})"
                    )
            summary = f"{words} does not cover {where}: {' and '.join(reasons)}"
        else:
            kind = FindingKind.NOT_COVERED
            summary = (
                f"{words} does not cover {where}, though it lies in its area and window: "
                "the activity does not exempt every rule or kind it meets"
            )
        found.append(
            NoticeFinding(
                notice_id=notice.id,
                party=notice.party,
                activity=notice.activity,
                finding=kind,
                incident_id=incident.id,
                determination_id=judged.id,
                determination_status=judged.status,
                start=incident.start,
                end=incident.end,
                lon=incident.lon,
                lat=incident.lat,
                distance_outside_m=round(outside_m, 1),
                hours_outside=round(gap_h, 3),
                summary=summary,
            )
        )
    found.sort(key=lambda f: (f.start, f.incident_id))
    return found
