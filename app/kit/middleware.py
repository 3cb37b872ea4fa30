"""Request id (echoed in X-Request-ID), JSON access logs and Prometheus request metrics."""

from __future__ import annotations

import re
import time
import uuid

import structlog
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response

from app.kit.context import request_id_var
from app.metrics import HTTP_DURATION as LATENCY
from app.metrics import HTTP_REQUESTS as REQUESTS

log = structlog.get_logger("xiaokang.http")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestContextMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        incoming = request.headers.get("x-request-id", "")
        rid = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.state.request_id = rid
        if b"%00" in request.scope.get("query_string", b"") or "\x00" in request.url.path:
            from app.errors import problem

            response = problem(400, "request.nul_character",
                               "The URL may not contain the NUL character.", request=request)
            response.headers["X-Request-ID"] = rid
            return response
        token = request_id_var.set(rid)
        start = time.perf_counter()
        try:
            response = await call_next(request)
        finally:
            request_id_var.reset(token)
        elapsed = time.perf_counter() - start
        route = getattr(request.scope.get("route"), "path", "unmatched")
        REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        LATENCY.labels(request.method, route).observe(elapsed)
        response.headers["X-Request-ID"] = rid
        log.info("request", method=request.method, path=request.url.path, route=route,
                 status=response.status_code, ms=round(elapsed * 1000, 1), request_id=rid)
        return response


def configure_logging(json_logs: bool = True) -> None:
    processors = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
    ]
    renderer = structlog.processors.JSONRenderer() if json_logs else structlog.dev.ConsoleRenderer()
    structlog.configure(processors=[*processors, renderer], cache_logger_on_first_use=True)
