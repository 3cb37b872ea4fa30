"""Request id (echoed in X-Request-ID), JSON access logs and Prometheus request metrics, as a
pure ASGI middleware (no per-request task or stream pair as `BaseHTTPMiddleware` makes).

The request id is bound in structlog's context variables for the whole request, so every line
logged while it runs carries it. An exception no handler took is answered here, inside that
context: the 500 has its `X-Request-ID` and its log line the id.
"""

from __future__ import annotations

import re
import time
import uuid

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.kit.context import request_id_var
from app.metrics import HTTP_DURATION as LATENCY
from app.metrics import HTTP_REQUESTS as REQUESTS

log = structlog.get_logger("xiaokang.http")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def request_id_of(scope: Scope) -> str:
    """The client's X-Request-ID when it is safe to log, else a new one."""
    incoming = Headers(scope=scope).get("x-request-id", "")
    return incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex


def _has_nul(scope: Scope) -> bool:
    return b"%00" in scope.get("query_string", b"") or "\x00" in scope.get("path", "")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id_of(scope)
        scope.setdefault("state", {})["request_id"] = rid
        token = request_id_var.set(rid)
        bound = structlog.contextvars.bind_contextvars(request_id=rid)
        try:
            await self._handle(scope, receive, send, rid)
        finally:
            structlog.contextvars.reset_contextvars(**bound)
            request_id_var.reset(token)

    async def _handle(self, scope: Scope, receive: Receive, send: Send, rid: str) -> None:
        if _has_nul(scope):
            from app.errors import problem

            response = problem(400, "request.nul_character",
                               "The URL may not contain the NUL character.", request=Request(scope))
            response.headers["X-Request-ID"] = rid
            await response(scope, receive, send)
            return
        status = {"code": 500, "started": False}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"], status["started"] = message["status"], True
                MutableHeaders(scope=message)["X-Request-ID"] = rid
            await send(message)

        start = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if status["started"]:  # too late for an answer: the server closes the connection
                raise
            await _answer_unexpected(scope, receive, send_with_id, exc)
        finally:
            _observe(scope, status["code"], time.perf_counter() - start)


async def _answer_unexpected(scope: Scope, receive: Receive, send: Send, exc: Exception) -> None:
    """The 500 of an exception no handler took, logged (with the request id) by the handler: the
    app's own handler of `Exception` when it has one (it may shape the answer by path, as the
    DCI envelope does under /dci/), else the problem+json one."""
    from app.errors import unexpected_handler

    handlers = getattr(scope.get("app"), "exception_handlers", None) or {}
    handler = handlers.get(Exception, unexpected_handler)
    response = await handler(Request(scope, receive), exc)
    await response(scope, receive, send)


def _observe(scope: Scope, status: int, elapsed: float) -> None:
    route = getattr(scope.get("route"), "path", "unmatched")
    method = scope["method"]
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(elapsed)
    log.info("request", method=method, path=scope["path"], route=route, status=status,
             ms=round(elapsed * 1000, 1))
