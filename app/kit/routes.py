"""What the routing table knows about a path, for answers the router gives (405 `Allow`)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method some route answers on `path` (RFC 9110 §15.5.6: a 405 lists them all, not
    the first route's alone), in a stable order."""
    methods: set[str] = set()
    for ctx in iter_route_contexts(app.routes):
        regex, route_methods = getattr(ctx, "path_regex", None), ctx.methods
        if regex is not None and route_methods and regex.match(path):
            methods |= route_methods
    return sorted(methods)
