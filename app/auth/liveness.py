"""Is the account behind a token still what the token says? A short per-process cache.

A token names its account (`sub`) and, for a user, the account's `token_version` when it was
issued (`ver`). Deactivating a user, or changing its role, region, scopes or helper, bumps the
version, so the old token is refused on its next request. The database is asked at most once per
`account_cache_seconds` per account; a change made by this process drops the entry at once (and
again after its commit, so a read racing the commit cannot keep the old state).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import Database
from app.models.accounts import Client, User

MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class AccountState:
    active: bool
    token_version: int | None  # None for a machine client (its tokens carry no version)


class AccountCache:
    def __init__(self) -> None:
        self._entries: dict[tuple[str, uuid.UUID], tuple[float, AccountState | None]] = {}

    async def state(self, db: Database, kind: str, ident: uuid.UUID, ttl: float
                    ) -> AccountState | None:
        """The account's current state (None: no such account), at most `ttl` seconds old."""
        key = (kind, ident)
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        async with db.sessionmaker() as session:
            if kind == "user":
                row = (await session.execute(
                    select(User.active, User.token_version).where(User.id == ident))).first()
                state = AccountState(row.active, row.token_version) if row else None
            else:
                active = await session.scalar(select(Client.active).where(Client.id == ident))
                state = AccountState(active, None) if active is not None else None
        if len(self._entries) >= MAX_ENTRIES:
            self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
        if ttl > 0:
            self._entries[key] = (now + ttl, state)
        return state

    def invalidate(self, kind: str, ident: uuid.UUID) -> None:
        self._entries.pop((kind, ident), None)


ACCOUNTS = AccountCache()


def invalidate_on_commit(session: AsyncSession, kind: str, ident: uuid.UUID) -> None:
    """Forget the account's state now and once more when the session commits."""
    ACCOUNTS.invalidate(kind, ident)
    event.listen(session.sync_session, "after_commit",
                 lambda _s: ACCOUNTS.invalidate(kind, ident), once=True)
