"""`Idempotency-Key` on POST: a replay within the TTL returns the first answer.

The key is stored per principal (the verified token's subject). The same key with another body is
422 `idempotency.key_reused`; a replay while the first request still runs is 409
`idempotency.in_progress`. Answers of 5xx are not kept, so the client may retry them.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response

from app.auth.tokens import TokenError
from app.errors import problem
from app.models.oversight import IdempotentRequest

HEADER = "idempotency-key"
KEPT_HEADERS = ("content-type", "location", "etag")


class IdempotencyMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        key = request.headers.get(HEADER)
        if request.method != "POST" or not key:
            return await call_next(request)
        if len(key) > 255:
            return problem(422, "idempotency.key_too_long", "Idempotency-Key is at most 255 characters.",
                           request=request)
        principal = self._principal(request)
        if principal is None:  # unauthenticated: the endpoint answers 401 itself
            return await call_next(request)
        body = await request.body()
        digest = hashlib.sha256(
            b"\n".join([request.method.encode(), request.url.path.encode(),
                        request.url.query.encode(), body])
        ).digest()
        db = request.app.state.db
        ttl = timedelta(hours=request.app.state.settings.idempotency_ttl_hours)
        now = datetime.now(UTC)
        async with db.sessionmaker() as s:
            row = await s.get(IdempotentRequest, (principal, key))
            # An unfinished key is never taken over before the TTL: its request may have
            # committed and died before its answer was stored, and running it again would
            # apply the change twice. The client sees 409 idempotency.in_progress meanwhile.
            if row is not None and row.created_at < now - ttl:
                await s.execute(delete(IdempotentRequest).where(
                    IdempotentRequest.principal == principal, IdempotentRequest.key == key))
                row = None
            if row is None:
                inserted = await s.execute(
                    insert(IdempotentRequest)
                    .values(principal=principal, key=key, method=request.method,
                            path=request.url.path, body_hash=digest)
                    .on_conflict_do_nothing()
                    .returning(IdempotentRequest.key)
                )
                if inserted.first() is None:
                    row = await s.scalar(select(IdempotentRequest).where(
                        IdempotentRequest.principal == principal, IdempotentRequest.key == key))
            await s.commit()
        if row is not None:
            if row.body_hash != digest:
                return problem(422, "idempotency.key_reused",
                               "This Idempotency-Key was used with another request.",
                               request=request)
            if row.status is None:
                return problem(409, "idempotency.in_progress",
                               "A request with this Idempotency-Key is still being processed.",
                               request=request)
            headers = dict(row.response_headers or {})
            headers["Idempotent-Replayed"] = "true"
            return Response(row.response_body, status_code=row.status, headers=headers)

        response = await call_next(request)
        chunks = [c async for c in response.body_iterator]  # type: ignore[attr-defined]
        payload = b"".join(c if isinstance(c, bytes) else c.encode() for c in chunks)
        async with db.sessionmaker() as s:
            if response.status_code >= 500:
                await s.execute(delete(IdempotentRequest).where(
                    IdempotentRequest.principal == principal, IdempotentRequest.key == key))
            else:
                stored = await s.get(IdempotentRequest, (principal, key))
                if stored is not None:
                    stored.status = response.status_code
                    stored.response_body = payload
                    stored.response_headers = {
                        k: v for k, v in response.headers.items() if k.lower() in KEPT_HEADERS
                    }
            await s.commit()
        return Response(payload, status_code=response.status_code,
                        headers={k: v for k, v in response.headers.items()
                                 if k.lower() != "content-length"})

    @staticmethod
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
