"""The one shape every error of the API has, and the handlers that produce it.

Every error answer is a JSON object::

    {"status": 422, "code": "validation_failed", "message": "...",
     "errors": [{"location": "body", "field": "lon", "reason": "..."}]}

`status` repeats the HTTP status, `code` is a stable machine code, `message` is safe to show
to the user (it never holds internal details such as file paths or SQL), and `errors` lists,
for a request that failed validation, each field and the reason.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails
from starlette.exceptions import HTTPException as StarletteHTTPException

from truceline.errors import AgreementError, InputError, StoreError
from truceline.sources.readable import readable_message

log = logging.getLogger("truceline.service")

Location = Literal["body", "query", "path", "header"]


class FieldProblem(BaseModel):
    """One field of the request that was refused, and why."""

    model_config = ConfigDict(extra="forbid")

    location: Location | None = Field(
        default=None, description="Where the field is: body, query, path or header."
    )
    field: str | None = Field(
        default=None, description="Path of the field, e.g. 'lon' or 'evidence[0].sha256'."
    )
    reason: str = Field(description="What is wrong with it, in plain words.")


class ErrorBody(BaseModel):
    """The body of every error answer of the API."""

    model_config = ConfigDict(extra="forbid")

    status: int = Field(description="The HTTP status, repeated.")
    code: str = Field(description="Stable machine code, e.g. validation_failed, not_found.")
    message: str = Field(description="What went wrong and what to do, safe to show.")
    errors: list[FieldProblem] = Field(
        default_factory=list, description="Each refused field, for validation errors."
    )


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (400, "The body is not valid JSON, or the request is malformed."),
        (401, "No valid API token was given."),
        (403, "The token's roles do not allow this."),
        (413, "The body is larger than the service accepts."),
        (422, "A field is invalid: `errors` names each one and the reason."),
        (503, "The store is busy or unavailable; try again."),
    )
}
"""Error answers every endpoint may give, for the OpenAPI document."""


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI entries of further error answers an endpoint may give (404, 409)."""
    described = {
        404: "No such object: the message says where to list the existing ones.",
        409: "The request conflicts with what is stored, e.g. a version already stored "
        "with other content, or no agreement yet.",
    }
    return {s: {"model": ErrorBody, "description": described[s]} for s in statuses}


_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    500: "internal_error",
    503: "store_unavailable",
}


class ApiError(StarletteHTTPException):
    """An error answer with a machine code and a message safe to show.

    It is an HTTPException, so that it passes unchanged through the framework's own body
    reading (the body size limit raises it from there).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        errors: Sequence[FieldProblem] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status_code=status, detail=message, headers=headers)
        self.code = code
        self.message = message
        self.errors = list(errors)


def not_found(what: str, key: object, hint: str) -> ApiError:
    """404 for a missing object, naming it and where to find the existing ones."""
    return ApiError(404, "not_found", f"no {what} {key!r}; {hint}")


def field_error(
    field: str, reason: str, *, location: Location = "query", status: int = 422
) -> ApiError:
    """An error about one field of the request."""
    return ApiError(
        status,
        "validation_failed",
        f"{field}: {reason}",
        errors=[FieldProblem(location=location, field=field, reason=reason)],
    )


def field_path(loc: Sequence[int | str]) -> str | None:
    """A pydantic location as a field path: ('evidence', 0, 'uri') -> 'evidence[0].uri'."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or None


def problems_of(errors: Sequence[ErrorDetails], location: Location | None) -> list[FieldProblem]:
    """Pydantic errors as field problems, in the order pydantic found them."""
    return [
        FieldProblem(location=location, field=field_path(e["loc"]), reason=readable_message(e))
        for e in errors
    ]


def _summary(problems: Sequence[FieldProblem]) -> str:
    parts = [f"{p.field}: {p.reason}" if p.field else p.reason for p in problems[:3]]
    more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    return "; ".join(parts) + more


def validation_error(problems: Sequence[FieldProblem]) -> ApiError:
    """422 listing every refused field."""
    return ApiError(
        422,
        "validation_failed",
        f"the request was refused: {_summary(problems)}",
        errors=problems,
    )


def _respond(error: ApiError) -> JSONResponse:
    body = ErrorBody(
        status=error.status_code, code=error.code, message=error.message, errors=error.errors
    )
    return JSONResponse(
        body.model_dump(mode="json"), status_code=error.status_code, headers=error.headers
    )


def _request_validation(errors: Sequence[Any]) -> ApiError:
    for e in errors:
        if e.get("type") == "json_invalid":
            detail = (e.get("ctx") or {}).get("error", "not JSON")
            position = e["loc"][1] if len(e["loc"]) > 1 else None
            at = f" at character {position}" if isinstance(position, int) else ""
            return ApiError(
                400,
                "invalid_json",
                f"the body is not valid JSON ({detail}{at}); send a JSON document with "
                "Content-Type: application/json",
            )
    problems: list[FieldProblem] = []
    for e in errors:
        loc = tuple(e.get("loc", ()))
        location = loc[0] if loc and loc[0] in ("body", "query", "path", "header") else None
        rest = loc[1:] if location is not None else loc
        reason = readable_message(e) if "msg" in e else str(e)
        problems.append(FieldProblem(location=location, field=field_path(rest), reason=reason))
    return validation_error(problems)


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc, ApiError):
        return _respond(exc)
    status = exc.status_code
    code = _CODES.get(status, "error")
    if status == 404:
        message = f"no such endpoint {request.url.path!r}; the endpoints are listed at /api/docs"
    elif status == 405:
        message = f"{request.method} is not allowed on {request.url.path!r}"
    elif status == 413:
        message = "the body is too large"
    else:
        message = str(exc.detail) if isinstance(exc.detail, str) else code.replace("_", " ")
    headers = dict(exc.headers) if exc.headers else None
    return _respond(ApiError(status, code, message, headers=headers))


async def _on_request_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return _respond(_request_validation(list(exc.errors())))


async def _on_pydantic(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ValidationError)
    return _respond(validation_error(problems_of(exc.errors(include_url=False), "body")))


async def _on_input(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InputError)
    message = str(exc)
    problem = FieldProblem(field=exc.field, reason=message)
    return _respond(ApiError(422, "validation_failed", message, errors=[problem]))


async def _on_agreement(request: Request, exc: Exception) -> JSONResponse:
    lines = str(exc).splitlines() or ["the agreement is invalid"]
    problems = [FieldProblem(location="body", reason=line) for line in lines]
    return _respond(
        ApiError(
            422, "invalid_agreement", f"the agreement was refused: {lines[0]}", errors=problems
        )
    )


async def _on_store(request: Request, exc: Exception) -> JSONResponse:
    # The store's messages name files and databases: they go to the log, not to the user.
    log.error("store error on %s %s: %s", request.method, request.url.path, exc)
    return _respond(
        ApiError(
            503,
            "store_unavailable",
            "the store could not be read or written; try again, and tell the operator if "
            "it persists",
            headers={"Retry-After": "5"},
        )
    )


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return _respond(
        ApiError(
            500,
            "internal_error",
            "an unexpected error occurred; it has been logged for the operator",
        )
    )


def install_error_handlers(app: FastAPI) -> None:
    """Make every error answer of `app` the canonical ErrorBody."""
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(RequestValidationError, _on_request_validation)
    app.add_exception_handler(ValidationError, _on_pydantic)
    app.add_exception_handler(InputError, _on_input)
    app.add_exception_handler(AgreementError, _on_agreement)
    app.add_exception_handler(StoreError, _on_store)
    app.add_exception_handler(Exception, _on_unexpected)


def error_json(status: int, code: str, message: str) -> bytes:
    """The body of an error answered outside the framework (the body size limit)."""
    body = ErrorBody(status=status, code=code, message=message)
    return json.dumps(body.model_dump(mode="json")).encode()
