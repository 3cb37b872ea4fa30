"""The HTTP conventions of every operation, written into the OpenAPI document from the routes.

- `If-Match` (a route declaring `app.kit.etag.IF_MATCH`): the 412 and 428 answers;
- `If-None-Match` (`IF_NONE_MATCH`): the 304 answer;
- either of them: the `ETag` header of the successful answer;
- `Idempotency-Key` on every authenticated POST (the idempotency middleware applies to all of
  them): the header, and the 409 of a key still in progress and the 422 of a reused key;
- a `cursor` query parameter (keyset pages): the 422 of a cursor that is not valid.

Nothing here is written by hand per path: each entry follows from the route's dependencies.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from app.auth.principal import current_principal
from app.errors import PROBLEM

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "Repeat a POST safely: the same key with the same body within the TTL answers "
                   "the first answer again (`Idempotent-Replayed: true`); with another body 422 "
                   "`idempotency.key_reused`; while the first still runs 409 "
                   "`idempotency.in_progress`. At most 255 characters.",
    "schema": {"type": "string", "maxLength": 255},
}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _calls(dependant: Dependant):
    yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def _authenticated(route: APIRoute) -> bool:
    return any(call is current_principal for call in _calls(route.dependant))


def _names(op: dict[str, Any], where: str) -> set[str]:
    return {p["name"].lower() for p in op.get("parameters", []) if p.get("in") == where}


def _add_422(responses: dict[str, Any], why: str) -> None:
    entry = responses.setdefault("422", _problem("Unprocessable Content"))
    if why not in entry["description"]:
        entry["description"] += f"; {why}"


ETAG = {"description": "the version read (`\"3\"`, or `\"3;2026-11-29\"` for an answer "
                       "of a date): send it back in If-Match or If-None-Match",
        "schema": {"type": "string"}}


def _preconditions(op: dict[str, Any], responses: dict[str, Any]) -> None:
    headers = _names(op, "header")
    if headers & {"if-match", "if-none-match"}:
        for status in ("200", "201"):
            if status in responses:
                responses[status].setdefault("headers", {})["ETag"] = ETAG
    if "if-match" in headers:
        responses["412"] = _problem("Precondition Failed: If-Match names another version "
                                    "(`precondition.stale`; the answer's ETag is the current one)")
        responses["428"] = _problem("Precondition Required: the change needs If-Match "
                                    "(`precondition.if_match_required`)")
    if "if-none-match" in headers:
        responses["304"] = {"description": "Not Modified: If-None-Match names the current ETag",
                            "headers": {"ETag": {"schema": {"type": "string"}}}}


def _idempotency(op: dict[str, Any], responses: dict[str, Any]) -> None:
    if "idempotency-key" not in _names(op, "header"):
        op.setdefault("parameters", []).append(dict(IDEMPOTENCY_KEY))
    responses.setdefault("409", _problem("Conflict"))
    if "idempotency.in_progress" not in responses["409"]["description"]:
        responses["409"]["description"] += " (or `idempotency.in_progress`)"
    _add_422(responses, "`idempotency.key_reused`, `idempotency.key_too_long`")


def declare_conventions(app: FastAPI, schema: dict[str, Any]) -> dict[str, Any]:
    """Complete `schema` (served by `app`) with the headers and answers above."""
    routes = {(c.path_format, m.lower()): c.original_route for c in iter_route_contexts(app.routes)
              if isinstance(c.original_route, APIRoute) for m in c.original_route.methods}
    for path, ops in schema.get("paths", {}).items():
        for method, op in ops.items():
            responses = op.setdefault("responses", {})
            _preconditions(op, responses)
            route = routes.get((path, method))
            if method == "post" and route is not None and _authenticated(route):
                _idempotency(op, responses)
            if "cursor" in _names(op, "query"):
                _add_422(responses, "`pagination.bad_cursor` (the cursor is not valid)")
    return schema
