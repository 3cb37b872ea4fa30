"""Errors as RFC 9457 problem+json, each with a stable dotted `code`.

Every module raises a DomainError (or a subclass); handlers here render it, and turn framework
errors (unknown route, wrong method, bad JSON, validation) and unexpected exceptions into the same
shape. No stack trace or SQL ever reaches a client.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.i18n import localise, negotiate
from app.kit.schemas import validation_code
from app.policy.errors import PolicyError

PROBLEM = "application/problem+json"
log = structlog.get_logger("xiaokang.errors")


class DomainError(Exception):
    status: int = 422
    code: str = "error"

    def __init__(
        self,
        code: str | None = None,
        detail: str = "",
        *,
        status: int | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        self.code = code or self.code
        self.status = status or self.status
        self.detail = detail
        self.errors = errors
        self.headers = headers
        self.extra = extra or {}
        self.params = params  # facts for the catalogue's Chinese template (app/i18n)
        super().__init__(f"{self.code}: {detail}")


class BadRequest(DomainError):
    status = 400


class Unauthorized(DomainError):
    status = 401

    def __init__(self, code: str = "auth.invalid_token", detail: str = "", **kw: Any) -> None:
        kw.setdefault("headers", {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        super().__init__(code, detail, **kw)


class Forbidden(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class PreconditionFailed(DomainError):
    status = 412


class PreconditionRequired(DomainError):
    status = 428


class Unprocessable(DomainError):
    status = 422


class TooManyRequests(DomainError):
    status = 429


def problem(
    status: int,
    code: str,
    detail: str = "",
    *,
    request: Request | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
    lang: str | None = None,
    params: dict[str, Any] | None = None,
) -> JSONResponse:
    """The problem+json answer, in the language the request's Accept-Language asks for (or
    `lang`, for callers without a Request); `params` fill the catalogue's Chinese template."""
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body: dict[str, Any] = {
        "type": f"https://xiaokang.taizhou.gov.cn/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail or title,
        "code": code,
    }
    if request is not None:
        body["instance"] = request.url.path
        rid = getattr(request.state, "request_id", None)
        if rid:
            body["request_id"] = rid
    if errors:
        body["errors"] = [dict(e) if isinstance(e, dict) else e for e in errors]
    if extra:
        body.update(extra)
    if lang is None:
        lang = negotiate(request.headers.get("accept-language") if request is not None else None)
    localise(body, lang, params)
    headers = dict(headers or {})
    headers["Content-Language"] = lang
    headers["Vary"] = ", ".join(v for v in (headers.get("Vary"), "Accept-Language") if v)
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


_HTTP_CODES = {
    400: "http.bad_request",
    401: "auth.required",
    403: "auth.forbidden",
    404: "http.not_found",
    405: "http.method_not_allowed",
    406: "http.not_acceptable",
    413: "http.payload_too_large",
    415: "http.unsupported_media_type",
}


def _loc(loc: tuple[Any, ...]) -> list[Any]:
    return [p for p in loc]


async def _domain_handler(request: Request, exc: DomainError) -> JSONResponse:
    return problem(exc.status, exc.code, exc.detail, request=request, errors=exc.errors,
                   headers=exc.headers, extra=exc.extra, params=exc.params)


async def _policy_handler(request: Request, exc: PolicyError) -> JSONResponse:
    # A pure rule refused: bad input against policy data (422), e.g. no line in force on a date.
    return problem(422, exc.code, exc.detail, request=request,
                   params=getattr(exc, "params", None))


async def _http_handler(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = _HTTP_CODES.get(exc.status_code, f"http.{exc.status_code}")
    detail = exc.detail if isinstance(exc.detail, str) else ""
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No resource at {request.url.path}."
    headers = getattr(exc, "headers", None)
    if exc.status_code == 405:
        from app.kit.routes import allowed_methods

        detail = f"{request.method} is not allowed on {request.url.path}."
        headers = {**(headers or {}),
                   "Allow": ", ".join(allowed_methods(request.app, request.scope["path"]))}
    return problem(exc.status_code, code, detail, request=request, headers=headers)


async def _validation_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    errs = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errs):
        return problem(400, "request.malformed_json", "The request body is not valid JSON.",
                       request=request)
    items = []
    for e in errs:
        t = e.get("type", "invalid")
        code = validation_code(t)
        items.append({"loc": _loc(e.get("loc", ())), "msg": e.get("msg", ""), "code": code,
                      "_params": {k: str(v) for k, v in (e.get("ctx") or {}).items()}})
    return problem(422, "request.validation", "The request has invalid fields.",
                   request=request, errors=items)


async def _unexpected_handler(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled_exception", exc_type=type(exc).__name__, path=request.url.path,
              exc_info=exc)
    return problem(500, "internal", "An unexpected error occurred; it has been logged.",
                   request=request)


unexpected_handler = _unexpected_handler  # also answered by the request-context middleware


async def _database_handler(request: Request, exc: DBAPIError) -> JSONResponse:
    """A database refusal that no service translated: still problem+json, never the SQL.

    Services check their inputs first; this is the safety net for what slips through (a value
    out of a column's range, a constraint raced by a concurrent request, a deadlock)."""
    state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None) or ""
    log.warning("database_refusal", exc_type=type(exc).__name__, sqlstate=state,
                path=request.url.path)
    if isinstance(exc, DataError) or state.startswith("22"):
        return problem(422, "request.value_out_of_range",
                       "A value is out of the range the registry can store.", request=request)
    if isinstance(exc, IntegrityError) or state.startswith("23"):
        return problem(409, "request.conflict",
                       "The change conflicts with the current state of the registry; "
                       "read it again and retry.", request=request)
    if state in ("40001", "40P01", "55P03"):
        return problem(409, "request.retry", "A concurrent change got there first; retry.",
                       request=request, headers={"Retry-After": "1"})
    return await _unexpected_handler(request, exc)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_handler)  # type: ignore[arg-type]
    app.add_exception_handler(PolicyError, _policy_handler)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_handler)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_handler)  # type: ignore[arg-type]
    app.add_exception_handler(DBAPIError, _database_handler)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected_handler)


PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string",
                 "description": "stable machine code, e.g. household.exit.signature_required"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {"type": "object", "properties": {
                "loc": {"type": "array", "items": {}},
                "msg": {"type": "string"},
                "code": {"type": "string"},
            }},
        },
    },
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries declaring problem+json for the given statuses."""
    out: dict[int | str, dict[str, Any]] = {}
    for s in statuses:
        out[s] = {
            "description": HTTPStatus(s).phrase,
            "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    return out


# The statuses every authenticated endpoint can answer.
COMMON_ERRORS = problem_responses(400, 401, 403, 404, 422, 429, 500)


def refusal_error(decision, status: int = 422, exc: type[DomainError] = DomainError) -> DomainError:
    """Turn a policy Decision that said no into a DomainError: the first refusal is the headline
    (its code and sentence), and every refusal is listed under `reasons`."""
    refusals = list(decision.refusals)
    head = refusals[0]
    return exc(head.code, f"{head.reason.rule} ({head.reason.clause}): {head.reason.detail}",
               status=status,
               extra={"reasons": [{"code": r.code, **r.reason.as_dict()} for r in refusals]})
