"""Failed logins: who is locked out, counted per (username, client address) and per address.

- A (username, address) pair is locked after `login_max_failures` failures inside
  `login_window_seconds`: someone guessing a password from one address stops there, while the
  account's owner, from another address, can still sign in (a name alone locks nobody out).
- One address is locked after `login_max_failures_per_address` failures across all usernames,
  so trying a few passwords on many accounts stops too.
- Each attempt holds a transaction-level advisory lock on its (username, address) pair from the
  count to the recorded failure, so parallel attempts are checked one after another: of 30 at
  once, exactly `login_max_failures` reach the password check. The per-address count takes no
  lock (that would queue every login of an office behind one NAT); parallel attempts on many
  usernames may pass it by at most the number in flight.
- A successful login forgets the failures of its own pair only.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.errors import TooManyRequests
from app.models.accounts import LoginFailure

ADDRESS_LENGTH = 64


async def serialise(session: AsyncSession, username: str, address: str) -> None:
    """Wait for other attempts on the same pair; released when the transaction ends."""
    await session.execute(select(func.pg_advisory_xact_lock(
        func.hashtext("login:" + username), func.hashtext(address))))


def _retry_after(times: list[datetime], limit: int, window: timedelta, now: datetime) -> str:
    # Locked until the oldest failure that counts leaves the window.
    unlock = times[-limit] + window
    return str(max(1, int((unlock - now).total_seconds()) + 1))


async def ensure_not_locked(session: AsyncSession, settings: Settings, username: str,
                            address: str, now: datetime) -> None:
    window = timedelta(seconds=settings.login_window_seconds)
    since = now - window
    pair = list((await session.scalars(
        select(LoginFailure.at).where(LoginFailure.username == username,
                                      LoginFailure.address == address, LoginFailure.at > since)
        .order_by(LoginFailure.at))).all())
    if len(pair) >= settings.login_max_failures:
        raise TooManyRequests(
            "auth.locked_out", "Too many failed logins for this username from this address; "
            "try again later.",
            headers={"Retry-After": _retry_after(pair, settings.login_max_failures, window, now)})
    limit = settings.login_max_failures_per_address
    recent = list((await session.scalars(
        select(LoginFailure.at).where(LoginFailure.address == address, LoginFailure.at > since)
        .order_by(LoginFailure.at.desc()).limit(limit))).all())
    if len(recent) >= limit:
        recent.reverse()
        raise TooManyRequests(
            "auth.address_locked_out", "Too many failed logins from this address; "
            "try again later.", headers={"Retry-After": _retry_after(recent, limit, window, now)})


def record_failure(session: AsyncSession, username: str, address: str, now: datetime) -> None:
    # Kept even though the request fails: the token endpoint commits before answering.
    session.add(LoginFailure(username=username, address=address, at=now))


async def forget(session: AsyncSession, username: str, address: str) -> None:
    await session.execute(delete(LoginFailure).where(LoginFailure.username == username,
                                                     LoginFailure.address == address))
