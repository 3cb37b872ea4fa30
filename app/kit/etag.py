"""Versioned rows over HTTP: ETag on answers, If-Match on changes, If-None-Match for 304.

If-Match uses the strong comparison and If-None-Match the weak one (RFC 9110 §13.1.1-2): a weak
tag `W/"3"` never satisfies If-Match. `IF_MATCH` and `IF_NONE_MATCH` are the routes'
declarations of the headers (the OpenAPI document lists them, and the 412/428 or 304 answers,
from these dependencies: `app.kit.openapi`)."""

from __future__ import annotations

from datetime import date

from fastapi import Depends, Header, Request, Response

from app.errors import PreconditionFailed, PreconditionRequired


def etag_of(version: int, as_of: date | None = None) -> str:
    """`"3"`, or `"3;2026-11-29"` for an answer that depends on its date (status, retention):
    the same version read for another day is another representation."""
    return f'"{version}"' if as_of is None else f'"{version};{as_of.isoformat()}"'


def _tags(header: str) -> list[str]:
    """The entity tags of a header, weak ones as their opaque tag (for the weak comparison)."""
    return [t.strip().removeprefix("W/") for t in header.split(",") if t.strip()]


def _strong_tags(header: str) -> list[str]:
    """The tags of a header that can match strongly (`*` and tags not marked `W/`)."""
    return [t.strip() for t in header.split(",") if t.strip() and not t.strip().startswith("W/")]


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
    """428 without If-Match; 412 when it names no strong tag of the current version (a dated
    ETag matches by its version: the date only qualifies what was read). `*` matches: the
    resource exists. A weak tag `W/"3"` never matches (the strong comparison)."""
    header = request.headers.get("if-match")
    if not header:
        raise PreconditionRequired("precondition.if_match_required",
                                   "This change needs an If-Match header with the ETag you read.")
    tags = _strong_tags(header)
    if "*" not in tags and str(version) not in {_version_part(t) for t in tags if t.startswith('"')}:
        raise PreconditionFailed("precondition.stale",
                                 f"The resource has changed (current ETag {etag_of(version)}).",
                                 headers={"ETag": etag_of(version)})


async def _if_match_header(if_match: str | None = Header(
        None, alias="If-Match",
        description="the ETag you read (strong comparison; `*` for any version). Without it "
                    "428, when it names another version 412.")) -> None:
    return None


async def _if_none_match_header(if_none_match: str | None = Header(
        None, alias="If-None-Match",
        description="an ETag you hold: 304 Not Modified when it is still current")) -> None:
    return None


# `dependencies=[IF_MATCH]` on a route that calls `require_if_match`, `[IF_NONE_MATCH]` on one
# that calls `not_modified`.
IF_MATCH = Depends(_if_match_header)
IF_NONE_MATCH = Depends(_if_none_match_header)
