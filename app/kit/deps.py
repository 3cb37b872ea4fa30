"""Dependencies shared by the routers."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.principal import Principal, current_principal
from app.db import read_session


async def read_session_dependency(request: Request,
                                  principal: Principal = Depends(current_principal)
                                  ) -> AsyncIterator[AsyncSession]:
    """Read-only work on the replica once it has the caller's own writes (app/db.py). The
    principal comes first, so the caller's write fence is known; FastAPI resolves it once per
    request, shared with the scope check."""
    async for session in read_session(request, f"{principal.kind}:{principal.id}"):
        yield session


async def read_maker_dependency(request: Request,
                                principal: Principal = Depends(current_principal)
                                ) -> async_sessionmaker[AsyncSession]:
    """The session factory for a read that outlives the request's own session (a streamed
    file): the replica's once it has the caller's own writes, else the primary's. Chosen before
    the endpoint runs, so the endpoint's own audit row does not send the read to the primary."""
    return await request.app.state.db.reader_for(f"{principal.kind}:{principal.id}")


# For reports, the event feed and other read-only endpoints.
ReadSession = Depends(read_session_dependency, scope="function")
# For streamed exports, which open their session when the response starts.
ReadMaker = Depends(read_maker_dependency)
