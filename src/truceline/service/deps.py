"""What every route needs: the service's parts, and the shared query parameters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.dependencies.models import Dependant
from pydantic import AwareDatetime, BeforeValidator

from truceline.errors import InputError
from truceline.service.errors import ApiError, FieldProblem
from truceline.service.feed import FeedBroker
from truceline.service.processing import Processor
from truceline.service.queries import PageRequest, Reader
from truceline.service.settings import Settings
from truceline.service.submission import Submitter
from truceline.store import BBox, Store, TimeWindow


@dataclass(frozen=True)
class Service:
    """The parts of one running service: one store, its reader, processor and feed."""

    settings: Settings
    store: Store
    reader: Reader
    processor: Processor
    submitter: Submitter
    broker: FeedBroker


def service(request: Request) -> Service:
    """The service the request was made to."""
    found: Service = request.app.state.service
    return found


ServiceDep = Annotated[Service, Depends(service)]

EARLIEST = datetime(1, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


def _iso_text(value: object) -> object:
    """Refuse a number given for a time (pydantic would read it as seconds since 1970)."""
    if isinstance(value, str) and not re.match(r"\s*[+-]?\d{4,}-\d\d-\d\d", value):
        raise ValueError(
            "expected an ISO 8601 date and time with a zone, e.g. 2025-09-01T00:00:00Z"
        )
    return value


IsoDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_text)]


def time_window(
    start: Annotated[
        IsoDatetime | None,
        Query(description="From this time (ISO 8601 with a zone offset), inclusive."),
    ] = None,
    end: Annotated[
        IsoDatetime | None,
        Query(description="Until this time (ISO 8601 with a zone offset), inclusive."),
    ] = None,
) -> TimeWindow | None:
    """The time window of a list request; None when neither end is given."""
    if start is None and end is None:
        return None
    for name, value in (("start", start), ("end", end)):
        if value is not None:
            try:
                value.astimezone(UTC)
            except OverflowError:
                raise InputError(
                    f"{name}: {value.isoformat()} is outside the years 1 to 9999 in UTC",
                    field=name,
                ) from None
    return TimeWindow(start or EARLIEST, end or LATEST)


def bounding_box(
    bbox: Annotated[
        str | None,
        Query(
            description="min_lon,min_lat,max_lon,max_lat in WGS 84 degrees, edges included.",
            examples=["37.3,47.7,38.3,48.3"],
            max_length=200,
        ),
    ] = None,
) -> BBox | None:
    """The bounding box of a list request."""
    if bbox is None:
        return None
    try:
        values = [float(v) for v in bbox.split(",")]
    except ValueError:
        values = []
    if len(values) != 4:
        raise InputError(
            f"bbox: expected min_lon,min_lat,max_lon,max_lat in degrees, got {bbox!r}",
            field="bbox",
        )
    try:
        return BBox(*values)
    except InputError as exc:
        raise InputError(str(exc), field="bbox") from None


def page_request(
    request: Request,
    limit: Annotated[int, Query(ge=1, description="At most this many items.")] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Skip this many items.")] = 0,
    cursor: Annotated[
        str | None,
        Query(max_length=400, description="The next_cursor of the previous page."),
    ] = None,
) -> PageRequest:
    """The page asked for; `limit` is capped by the service's largest page."""
    largest = request.app.state.service.settings.max_page
    if limit > largest:
        raise InputError(f"limit: at most {largest} items per page, got {limit}", field="limit")
    return PageRequest(limit=limit, offset=offset, cursor=cursor)


WindowDep = Annotated[TimeWindow | None, Depends(time_window)]
BBoxDep = Annotated[BBox | None, Depends(bounding_box)]
PageDep = Annotated[PageRequest, Depends(page_request)]


def _query_names(dependant: Dependant) -> set[str]:
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def no_unknown_query(request: Request) -> None:
    """Refuse query parameters the endpoint does not know: a misspelt filter must not
    silently widen a list."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = _query_names(dependant)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        expected = ", ".join(sorted(known)) or "none"
        raise ApiError(
            422,
            "validation_failed",
            f"unknown query parameter(s) {', '.join(unknown)}; this endpoint takes: {expected}",
            errors=[
                FieldProblem(location="query", field=name, reason="is not a known parameter")
                for name in unknown
            ],
        )
