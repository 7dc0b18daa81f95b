"""The ASGI application: `create_app(settings)` opens the store and wires the routes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from truceline import __version__
from truceline.errors import StoreError
from truceline.service.deps import Service, no_unknown_query
from truceline.service.errors import ERROR_RESPONSES, install_error_handlers
from truceline.service.feed import InProcessBroker
from truceline.service.limits import BodySizeLimit
from truceline.service.processing import Processor
from truceline.service.queries import Reader, check_store
from truceline.service.routes import (
    agreements,
    alerts,
    deconfliction,
    determinations,
    evidence,
    export,
    feed,
    health,
    incidents,
    observations,
    ogc,
    prenotifications,
    processing,
    review,
    sources,
    web,
)
from truceline.service.settings import Settings
from truceline.service.submission import Submitter
from truceline.service.workflow import Workflow
from truceline.store import open_store

log = logging.getLogger("truceline.service")

API_PREFIX = "/api"

DESCRIPTION = """\
Truceline as a service: submit observations, agreements, pre-notifications and sources;
read incidents and determinations; follow new determinations and alerts live.

Every request except `GET /api/health` needs `Authorization: Bearer <token>`. Every error
answer has the same shape: `status`, `code`, `message` and, for validation errors, the
`errors` of each field.
"""


def _in_memory(target: str) -> bool:
    return target in (":memory:", "sqlite://") or target.startswith("sqlite:///:memory:")


def open_service(settings: Settings) -> Service:
    """Open the store and make the parts of a service over it."""
    if _in_memory(settings.store):
        raise StoreError(
            "the service needs a store that outlives it and is shared between threads; give "
            "a file path or a database URL, not an in-memory store"
        )
    store = check_store(open_store(settings.store, create=settings.create_store))
    reader = Reader(store)
    broker = InProcessBroker(history=settings.feed_history, queue_limit=settings.feed_queue)
    processor = Processor(store, reader, broker, settings.agreement_id)
    submitter = Submitter(store, reader, processor, auto_process=settings.auto_process)
    return Service(
        settings=settings,
        store=store,
        reader=reader,
        processor=processor,
        submitter=submitter,
        broker=broker,
    )


def create_app(settings: Settings) -> FastAPI:
    """The application over the store `settings.store`, opened now (StoreError if it
    cannot be); it is closed when the application shuts down."""
    svc = open_service(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            svc.broker.close()
            svc.store.close()

    app = FastAPI(
        title="Truceline",
        version=__version__,
        description=DESCRIPTION,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
    )
    app.state.settings = settings
    app.state.service = svc
    app.state.workflow = Workflow(svc)
    install_error_handlers(app)
    checks = [Depends(no_unknown_query)]
    for module in (
        health,
        observations,
        agreements,
        incidents,
        determinations,
        prenotifications,
        sources,
        processing,
        feed,
        review,
        alerts,
        deconfliction,
        web,
        export,
        evidence,
    ):
        app.include_router(module.router, prefix=API_PREFIX, dependencies=checks)
    app.include_router(ogc.router)  # under /ogc; checks its own parameters (400, as OGC asks)
    web.mount(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app
