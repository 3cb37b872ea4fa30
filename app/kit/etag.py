"""Versioned rows over HTTP: ETag on answers, If-Match on changes, If-None-Match for 304."""

from __future__ import annotations

from datetime import date

from fastapi import Request, Response

from app.errors import PreconditionFailed, PreconditionRequired


def etag_of(version: int, as_of: date | None = None) -> str:
    """`"3"`, or `"3;2026-11-29"` for an answer that depends on its date (status, retention):
    the same version read for another day is another representation."""
    return f'"{version}"' if as_of is None else f'"{version};{as_of.isoformat()}"'


def _tags(header: str) -> list[str]:
    return [t.strip().removeprefix("W/") for t in header.split(",") if t.strip()]


def _version_part(tag: str) -> str:
    return tag.strip('"').split(";", 1)[0]


def set_etag(response: Response, version: int, as_of: date | None = None) -> None:
    response.headers["ETag"] = etag_of(version, as_of)


def not_modified(request: Request, version: int, as_of: date | None = None) -> Response | None:
    """A 304 answer when If-None-Match names this very representation (or *), else None."""
    header = request.headers.get("if-none-match")
    current = etag_of(version, as_of)
    if header and ("*" in _tags(header) or current in _tags(header)):
        return Response(status_code=304, headers={"ETag": current})
    return None


def require_if_match(request: Request, version: int) -> None:
    """428 without If-Match; 412 when it names another version than the current one (a dated
    ETag matches by its version: the date only qualifies what was read)."""
    header = request.headers.get("if-match")
    if not header:
        raise PreconditionRequired("precondition.if_match_required",
                                   "This change needs an If-Match header with the ETag you read.")
    tags = _tags(header)
    if "*" not in tags and str(version) not in {_version_part(t) for t in tags}:
        raise PreconditionFailed("precondition.stale",
                                 f"The resource has changed (current ETag {etag_of(version)}).",
                                 headers={"ETag": etag_of(version)})
