"""Pre-notifications of permitted activity: submit one, list them."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from truceline.agreement.geometry_files import areas_from_geojson, geometry_to_geojson
from truceline.agreement.prenotification import PreNotification
from truceline.errors import GeometryError
from truceline.service.auth import CurrentPrincipal, Principal, Role, requires
from truceline.service.deps import PageDep, ServiceDep, WindowDep
from truceline.service.errors import ApiError, field_error, responses
from truceline.service.permissions import notice_party
from truceline.service.processing import require_agreement
from truceline.service.queries import PreNotificationFilter
from truceline.service.schemas import (
    PreNotificationIn,
    PreNotificationPage,
    PreNotificationSubmitted,
)

router = APIRouter(tags=["pre-notifications"])
Notifier = Annotated[Principal, Depends(requires(Role.PARTY, Role.LIAISON, Role.ANALYST))]


@router.post(
    "/prenotifications",
    status_code=201,
    summary="Submit a pre-notification",
    responses={
        200: {"model": PreNotificationSubmitted, "description": "Already stored."},
        **responses(409),
    },
)
def submit_prenotification(
    body: PreNotificationIn, svc: ServiceDep, response: Response, principal: Notifier
) -> PreNotificationSubmitted:
    """Record a party's notice of permitted activity in an area and a time window. The
    party and activity must be those of the agreement in force. Incidents already judged
    are judged again with it by POST /api/process with scope `all`."""
    notice_party(principal, body.party)
    agreement = require_agreement(svc.processor).agreement
    codes = [p.code for p in agreement.parties]
    if body.party not in codes:
        raise field_error(
            "party", f"unknown party {body.party!r}; expected one of {codes}", location="body"
        )
    try:
        permitted = agreement.permitted_activity(body.activity)
    except KeyError:
        activities = [a.code for a in agreement.permitted_activities]
        raise field_error(
            "activity",
            f"{body.activity!r} is not a permitted activity of the agreement; expected one of "
            f"{activities}",
            location="body",
        ) from None
    try:
        area = geometry_to_geojson(areas_from_geojson(body.area))
    except GeometryError as exc:
        raise field_error("area", str(exc), location="body") from None
    if body.ends_at <= body.starts_at:
        raise field_error("ends_at", "must be after starts_at", location="body")
    duration_h = (body.ends_at - body.starts_at).total_seconds() / 3600
    warnings: list[str] = []
    if duration_h > permitted.max_duration_hours:
        warnings.append(
            f"the notice lasts {duration_h:g} h; {body.activity} may last at most "
            f"{permitted.max_duration_hours:g} h"
        )
    received = body.notified_at or datetime.now(UTC).replace(microsecond=0)
    key = f"{body.party}|{body.activity}|{body.starts_at.isoformat()}|{body.ends_at.isoformat()}|"
    key += json.dumps(area, sort_keys=True)
    notice = PreNotification(
        id=body.id or f"pn-{hashlib.sha256(key.encode()).hexdigest()[:16]}",
        party=body.party,
        activity=body.activity,
        area=area,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        notified_at=received,
        description=body.description,
    )
    lead = notice.starts_at - notice.notified_at
    if lead < permitted.notice:
        warnings.append(
            f"notice given {lead.total_seconds() / 3600:.1f} h before the start; "
            f"{body.activity} needs {permitted.notice_hours:g} h, so it covers nothing"
        )
    stored = svc.reader.prenotification(notice.id)
    if stored is not None:
        # Sent again without a time of reception: the first reception counts.
        same = (
            notice
            if body.notified_at
            else notice.model_copy(update={"notified_at": stored.notified_at})
        )
        if stored != same:
            raise ApiError(
                409,
                "notice_exists",
                f"pre-notification {notice.id!r} is already stored with different content; "
                "a notice is never changed: file a new one with a new id",
            )
        response.status_code = 200
        return PreNotificationSubmitted(id=notice.id, status="already_stored", warnings=warnings)
    svc.store.add_prenotification(notice)
    return PreNotificationSubmitted(id=notice.id, status="stored", warnings=warnings)


@router.get("/prenotifications", summary="List pre-notifications")
def list_prenotifications(
    svc: ServiceDep,
    principal: CurrentPrincipal,
    window: WindowDep,
    page: PageDep,
    party: Annotated[str | None, Query(max_length=16)] = None,
    activity: Annotated[str | None, Query(max_length=64)] = None,
) -> PreNotificationPage:
    """Notices whose [starts_at, ends_at] overlaps the window, of that party and activity;
    ordered by (starts_at, id)."""
    f = PreNotificationFilter(window=window, party=party, activity=activity)
    found = svc.reader.prenotifications(principal, f, page)
    return PreNotificationPage(items=found.items, next_cursor=found.next_cursor)
