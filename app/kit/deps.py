"""Dependencies shared by the routers, as `Annotated` aliases: a router names what it needs
(`session: SessionDep, principal: HouseholdsReader`) and this module says how it is made.

Each scope alias is one `require(...)` dependency, shared by every route that names it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.principal import Principal, current_principal, require
from app.config import Settings
from app.db import read_session, session_dependency
from app.kit.pagination import PageParams, page_params


async def read_session_dependency(request: Request,
                                  principal: Principal = Depends(current_principal)
                                  ) -> AsyncIterator[AsyncSession]:
    """Read-only work on the replica once it has the caller's own writes (app/db.py). The
    principal comes first, so the caller's write fence is known; FastAPI resolves it once per
    request, shared with the scope check."""
    async for session in read_session(request, f"{principal.kind}:{principal.id}"):
        yield session


async def settings_of(request: Request) -> Settings:
    return request.app.state.settings


async def read_maker_dependency(request: Request,
                                principal: Principal = Depends(current_principal)
                                ) -> async_sessionmaker[AsyncSession]:
    """The session factory for a read that outlives the request's own session (a streamed
    file): the replica's once it has the caller's own writes, else the primary's. Chosen before
    the endpoint runs, so the endpoint's own audit row does not send the read to the primary."""
    return await request.app.state.db.reader_for(f"{principal.kind}:{principal.id}")


# For reports, the event feed and other read-only endpoints.
ReadSessionDep = Annotated[AsyncSession, Depends(read_session_dependency, scope="function")]
# One transaction per request, committed before the response is sent (app/db.py).
SessionDep = Annotated[AsyncSession, Depends(session_dependency, scope="function")]
SettingsDep = Annotated[Settings, Depends(settings_of)]
Paging = Annotated[PageParams, Depends(page_params)]

# The caller, authenticated (401 otherwise) ...
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
# ... and holding a scope (403 otherwise).
HouseholdsReader = Annotated[Principal, Depends(require("households:read"))]
HouseholdsWriter = Annotated[Principal, Depends(require("households:write"))]
# A1: direct registration and lifecycle stay with the district level; the field proposes.
HouseholdsLifecycle = Annotated[Principal, Depends(require("households:lifecycle"))]
DibaoReader = Annotated[Principal, Depends(require("dibao:read"))]
DibaoWriter = Annotated[Principal, Depends(require("dibao:write"))]
InsuranceReader = Annotated[Principal, Depends(require("insurance:read"))]
InsuranceWriter = Annotated[Principal, Depends(require("insurance:write"))]
PairingsReader = Annotated[Principal, Depends(require("pairings:read"))]
PairingsWriter = Annotated[Principal, Depends(require("pairings:write"))]
VillagesReader = Annotated[Principal, Depends(require("villages:read"))]
VillagesWriter = Annotated[Principal, Depends(require("villages:write"))]
RegionsReader = Annotated[Principal, Depends(require("regions:read"))]
RegionsWriter = Annotated[Principal, Depends(require("regions:write"))]
PolicyReader = Annotated[Principal, Depends(require("policy:read"))]
PolicyWriter = Annotated[Principal, Depends(require("policy:write"))]
ProposalsReader = Annotated[Principal, Depends(require("proposals:read"))]
ProposalsWriter = Annotated[Principal, Depends(require("proposals:write"))]
ImportsWriter = Annotated[Principal, Depends(require("imports:write"))]
ReportsReader = Annotated[Principal, Depends(require("reports:read"))]
EventsReader = Annotated[Principal, Depends(require("events:read"))]
# A webhook delivers events: managing one needs both.
WebhooksWriter = Annotated[Principal, Depends(require("webhooks:write", "events:read"))]
AccountsAdmin = Annotated[Principal, Depends(require("accounts:admin"))]
AuditReader = Annotated[Principal, Depends(require("audit:read"))]


# For streamed exports, which open their session when the response starts.
ReadMakerDep = Annotated[async_sessionmaker[AsyncSession], Depends(read_maker_dependency)]
