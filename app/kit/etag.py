"""Versioned rows over HTTP: ETag on answers, If-Match on changes, If-None-Match for 304."""

from __future__ import annotations

from fastapi import Request, Response

from app.errors import PreconditionFailed, PreconditionRequired


def etag_of(version: int) -> str:
    return f'"{version}"'


def _tags(header: str) -> list[str]:
    return [t.strip().removeprefix("W/") for t in header.split(",") if t.strip()]


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag_of(version)


def not_modified(request: Request, version: int) -> Response | None:
    """A 304 answer when If-None-Match names the current version (or *), else None."""
    header = request.headers.get("if-none-match")
    if header and ("*" in _tags(header) or etag_of(version) in _tags(header)):
        return Response(status_code=304, headers={"ETag": etag_of(version)})
    return None


def require_if_match(request: Request, version: int) -> None:
    """428 without If-Match; 412 when it names another version than the current one."""
    header = request.headers.get("if-match")
    if not header:
        raise PreconditionRequired("precondition.if_match_required",
                                   "This change needs an If-Match header with the ETag you read.")
    tags = _tags(header)
    if "*" not in tags and etag_of(version) not in tags:
        raise PreconditionFailed("precondition.stale",
                                 f"The resource has changed (current ETag {etag_of(version)}).",
                                 headers={"ETag": etag_of(version)})
