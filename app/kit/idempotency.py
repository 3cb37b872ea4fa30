"""`Idempotency-Key` on POST: a replay within the TTL returns the first answer.

The key is stored per principal (the verified token's subject). The same key with another body is
422 `idempotency.key_reused`; a replay while the first request still runs is 409
`idempotency.in_progress`. Answers of 5xx (and requests that raised) are not kept, so the client
may retry them. The stored answer is encrypted with the PII key (AES-GCM): an answer can hold
unmasked ID numbers.

A pure ASGI middleware: the request body is read once and handed on to the application; the
answer is collected, stored, then sent.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import pii
from app.auth.tokens import TokenError
from app.errors import problem
from app.models.oversight import IdempotentRequest

HEADER = "idempotency-key"
KEPT_HEADERS = ("content-type", "location", "etag")
_SEAL_CONTEXT = b"idempotent_request.response_body"


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _key_of(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        if len(key) > 255:
            await problem(422, "idempotency.key_too_long",
                          "Idempotency-Key is at most 255 characters.", request=request)(
                scope, receive, send)
            return
        principal = _principal(request)
        if principal is None:  # unauthenticated: the endpoint answers 401 itself
            await self.app(scope, receive, send)
            return
        body = await request.body()
        store = _Store(request, principal, key)
        digest = _digest(request, body)
        row = await store.claim(digest)
        if row is not None:
            await _earlier_answer(store, row, digest, request)(scope, receive, send)
            return
        answer = await _run(self.app, scope, receive, body, store)
        await answer.send(send)


def _key_of(scope: Scope) -> str | None:
    """The Idempotency-Key of a POST, or None (the middleware then stays out of the way)."""
    if scope["type"] != "http" or scope["method"] != "POST":
        return None
    return Headers(scope=scope).get(HEADER) or None


def _principal(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        claims = request.app.state.tokens.verify(token.strip())
    except TokenError:
        return None
    return str(claims["sub"])


def _digest(request: Request, body: bytes) -> bytes:
    return hashlib.sha256(b"\n".join([request.method.encode(), request.url.path.encode(),
                                      request.url.query.encode(), body])).digest()


class _Store:
    """The idempotent_request row of (principal, key)."""

    def __init__(self, request: Request, principal: str, key: str) -> None:
        self.request = request
        self.db = request.app.state.db
        self.settings = request.app.state.settings
        self.principal, self.key = principal, key

    def _this(self):
        return (IdempotentRequest.principal == self.principal, IdempotentRequest.key == self.key)

    async def claim(self, digest: bytes) -> IdempotentRequest | None:
        """Insert the row for this request and answer None, or answer the row already there."""
        ttl = timedelta(hours=self.settings.idempotency_ttl_hours)
        now = datetime.now(UTC)
        async with self.db.sessionmaker() as s:
            row = await s.get(IdempotentRequest, (self.principal, self.key))
            # An unfinished key is never taken over before the TTL: its request may have
            # committed and died before its answer was stored, and running it again would
            # apply the change twice. The client sees 409 idempotency.in_progress meanwhile.
            if row is not None and row.created_at < now - ttl:
                await s.execute(delete(IdempotentRequest).where(*self._this()))
                row = None
            if row is None:
                inserted = await s.execute(
                    insert(IdempotentRequest)
                    .values(principal=self.principal, key=self.key,
                            method=self.request.method, path=self.request.url.path,
                            body_hash=digest)
                    .on_conflict_do_nothing()
                    .returning(IdempotentRequest.key))
                if inserted.first() is None:
                    row = await s.scalar(select(IdempotentRequest).where(*self._this()))
            await s.commit()
        return row

    async def keep(self, answer: _Answer) -> None:
        """Store a finished answer (sealed), or forget the key after a 5xx or an exception."""
        async with self.db.sessionmaker() as s:
            if answer.status is None or answer.status >= 500:
                await s.execute(delete(IdempotentRequest).where(*self._this()))
            else:
                stored = await s.get(IdempotentRequest, (self.principal, self.key))
                if stored is not None:
                    stored.status = answer.status
                    stored.response_body = pii.seal(self.settings, bytes(answer.body),
                                                    _SEAL_CONTEXT)
                    stored.response_headers = {k: v for k, v in answer.headers.items()
                                               if k.lower() in KEPT_HEADERS}
            await s.commit()

    def opened(self, row: IdempotentRequest) -> bytes:
        return pii.unseal(self.settings, row.response_body or b"", _SEAL_CONTEXT)


def _earlier_answer(store: _Store, row: IdempotentRequest, digest: bytes,
                    request: Request) -> Response:
    """What a request whose key is already taken gets: a refusal, or the first answer again."""
    if row.body_hash != digest:
        return problem(422, "idempotency.key_reused",
                       "This Idempotency-Key was used with another request.", request=request)
    if row.status is None:
        return problem(409, "idempotency.in_progress",
                       "A request with this Idempotency-Key is still being processed.",
                       request=request)
    headers = dict(row.response_headers or {})
    headers["Idempotent-Replayed"] = "true"
    return Response(store.opened(row), status_code=row.status, headers=headers)


@dataclass
class _Answer:
    """The application's answer, collected whole before it is stored and sent."""

    status: int | None = None
    start: Message | None = None
    body: bytearray = field(default_factory=bytearray)
    trailers: list[Message] = field(default_factory=list)

    @property
    def headers(self) -> Headers:
        return Headers(raw=self.start["headers"]) if self.start else Headers()

    async def collect(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start, self.status = message, message["status"]
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")
        else:
            self.trailers.append(message)

    async def send(self, send: Send) -> None:
        assert self.start is not None
        start = dict(self.start)
        start["headers"] = [(k, v) for k, v in self.start["headers"] if k.lower() != b"content-length"]
        MutableHeaders(scope=start)["content-length"] = str(len(self.body))
        await send(start)
        await send({"type": "http.response.body", "body": bytes(self.body), "more_body": False})
        for message in self.trailers:
            await send(message)


async def _run(app: ASGIApp, scope: Scope, receive: Receive, body: bytes,
               store: _Store) -> _Answer:
    """Run the application on the body already read; keep its answer (or forget the key when it
    raised, then raise on)."""
    answer = _Answer()
    given = False

    async def replay() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # the body is read: what comes next is the disconnect

    try:
        await app(scope, replay, answer.collect)
    except Exception:
        # answered 500 by the request-context middleware: the key is forgotten, as after any
        # 5xx. (A cancelled request keeps its key "in progress" until the TTL: it may have
        # committed.)
        answer.status = None
        await store.keep(answer)
        raise
    await store.keep(answer)
    return answer
