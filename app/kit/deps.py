"""Dependencies shared by the routers."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

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


# For reports, the event feed and other read-only endpoints.
ReadSession = Depends(read_session_dependency, scope="function")
