"""GET /api/feed: the live feed of determinations and alerts, as server-sent events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from truceline.service.auth import CurrentPrincipal, Principal
from truceline.service.deps import Service, ServiceDep
from truceline.service.errors import responses
from truceline.service.feed import EventType, FeedEvent
from truceline.service.schemas import DeterminationOut

router = APIRouter(tags=["feed"])

RETRY_MS = 3000
"""How long a client waits before reconnecting, told when the stream opens."""

KEEPALIVE_S = 15.0
"""A comment line is sent after this many seconds without an event."""

_STREAM = {
    "description": "Server-sent events: `id`, `event` and a JSON `data` line each.",
    "content": {"text/event-stream": {"schema": {"type": "string"}}},
}


def _frame(event: FeedEvent) -> bytes:
    data = json.dumps(dict(event.data), ensure_ascii=False, separators=(",", ":"))
    return f"id: {event.id}\nevent: {event.type}\ndata: {data}\n\n".encode()


async def _stream(
    request: Request, svc: Service, principal: Principal, after: str | None
) -> AsyncIterator[bytes]:
    yield f"retry: {RETRY_MS}\n: truceline feed\n\n".encode()
    async with aclosing(svc.broker.subscribe(after, idle_s=KEEPALIVE_S)) as events:
        async for event in events:
            if event is None:
                if await request.is_disconnected():
                    return
                yield b": keep-alive\n\n"
                continue
            # Nothing about what this principal may not read is sent, not even a withdrawal.
            if event.type in (EventType.DETERMINATION, EventType.ALERT):
                shown = DeterminationOut.model_validate(event.data)
                if not await run_in_threadpool(svc.reader.may_see_determination, principal, shown):
                    continue
            elif event.type in (
                EventType.WITHDRAWN,
                EventType.CAP_ALERT,
            ) and not svc.reader.may_see_withdrawal(principal, event.data):
                continue
            yield _frame(event)


@router.get(
    "/feed",
    summary="Live feed of determinations and alerts",
    response_class=StreamingResponse,
    responses={200: _STREAM, **responses(409)},
)
async def feed(
    request: Request,
    svc: ServiceDep,
    principal: CurrentPrincipal,
    last_event_id: Annotated[
        str | None,
        Header(alias="Last-Event-ID", max_length=100, description="Resume after this event."),
    ] = None,
    after: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Resume after this event (for clients that cannot set Last-Event-ID).",
        ),
    ] = None,
) -> StreamingResponse:
    """Server-sent events: `determination` (new or changed), `alert` (it became a clear
    breach), `withdrawn` (deleted with its incident) and `reset` (events were missed that
    cannot be replayed). Each event's id can be given back as Last-Event-ID to resume."""
    return StreamingResponse(
        _stream(request, svc, principal, last_event_id or after),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
