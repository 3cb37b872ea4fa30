"""DCI error bodies under /dci/: the specification's acknowledgement with `ack_status: ERR`.

Anything refused under /dci/ — a DCI error raised by the exchange, a missing or bad token (401),
an unknown path, a framework or unexpected error — answers

    {"message": {"ack_status": "ERR", "timestamp": …, "correlation_id": …,
                 "error": {"code": "err.signature.invalid", "message": "…"}}}

instead of problem+json. `install(app)` wraps the handlers already installed so that the other
paths keep their problem+json answers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import DomainError
from app.policy.errors import PolicyError

PREFIX = "/dci/"


class DciError(Exception):
    """A refused DCI request: `code` from the specification (err.* or rjct.*)."""

    def __init__(self, code: str, message: str, status: int = 400,
                 correlation_id: str | None = None) -> None:
        self.code = code
        self.message = message
        self.status = status
        self.correlation_id = correlation_id
        super().__init__(f"{code}: {message}")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def ack(status: str, correlation_id: str | None, error: dict[str, str] | None = None) -> dict:
    body: dict[str, Any] = {"ack_status": status, "timestamp": now_iso(),
                            "correlation_id": correlation_id or ""}
    if error:
        body["error"] = error
    return {"message": body}


def error_response(status: int, code: str, message: str, correlation_id: str | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(ack("ERR", correlation_id, {"code": code, "message": message[:999]}),
                        status_code=status, headers=headers)


_STATUS_CODES = {400: "err.request.bad", 401: "err.request.unauthorized",
                 403: "err.request.forbidden", 404: "err.request.not_found",
                 405: "err.request.bad", 408: "err.request.timeout", 413: "err.request.bad",
                 415: "err.request.bad", 422: "err.request.bad",
                 429: "err.request.too_many_requests", 503: "err.service.unavailable"}


def _translate(exc: Exception) -> JSONResponse:
    if isinstance(exc, DciError):
        return error_response(exc.status, exc.code, exc.message, exc.correlation_id)
    if isinstance(exc, DomainError):
        headers = exc.headers if exc.status == 401 else None
        code = _STATUS_CODES.get(exc.status, "err.request.bad")
        return error_response(exc.status, code, exc.detail or exc.code, headers=headers)
    if isinstance(exc, StarletteHTTPException):
        code = _STATUS_CODES.get(exc.status_code, "err.request.bad")
        return error_response(exc.status_code, code, str(exc.detail))
    if isinstance(exc, (RequestValidationError, PolicyError)):
        return error_response(400, "err.request.bad", "The request is not a valid DCI message.")
    return error_response(500, "err.service.unavailable", "An unexpected error occurred.")


def install(app: FastAPI) -> None:
    """Scope DCI error bodies to /dci/ paths, keeping every other handler as it is."""
    for cls in (DciError, DomainError, PolicyError, StarletteHTTPException,
                RequestValidationError, DBAPIError, Exception):
        original = app.exception_handlers.get(cls)

        def make(original=original):
            async def handler(request: Request, exc: Exception):
                if request.url.path.startswith(PREFIX) or original is None:
                    if not isinstance(exc, (DciError, DomainError, StarletteHTTPException,
                                            RequestValidationError, PolicyError)):
                        # logged like every unexpected error; the client sees no detail
                        if original is not None:
                            await original(request, exc)
                    return _translate(exc)
                return await original(request, exc)
            return handler

        app.add_exception_handler(cls, make())
