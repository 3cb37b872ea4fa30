"""Accounts and tokens: users, machine clients, password and refresh-token grants, lockout."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth import lockout
from app.auth.liveness import invalidate_on_commit
from app.auth.passwords import (
    hash_password_async,
    needs_rehash,
    new_secret,
    token_digest,
    verify_password_async,
)
from app.auth.principal import CITY_CODE, Principal
from app.auth.scopes import HELPER_ROLES, scopes_for_role, unknown_scopes
from app.auth.scoping import ensure_in_region, get_scoped, region_filter
from app.auth.tokens import TokenService
from app.auth.user_region import check_first_secretary_region
from app.config import Settings, reveal
from app.errors import Conflict, DomainError, Unauthorized, Unprocessable
from app.kit.pagination import PageParams, paginate
from app.models.accounts import Client, RefreshToken, User
from app.models.regions import Region

MAX_USERNAME = 64


class InvalidGrant(DomainError):
    """OAuth 2 `invalid_grant`: bad credentials or refresh token (400, RFC 6749 5.2)."""

    status = 400


class InvalidScope(DomainError):
    """OAuth 2 `invalid_scope`: a requested scope the account does not hold (400, RFC 6749 5.2)."""

    status = 400


# What a token says about a user: a change to any of these revokes the user's tokens.
CLAIMED_FIELDS = ("role", "region_code", "extra_scopes", "active", "helper_id")


def _pii():
    from app import pii  # the PII key is only needed when an ID number is given

    return pii


async def _check_region(session: AsyncSession, code: str) -> None:
    if await session.get(Region, code) is None:
        raise Unprocessable("region.unknown", f"Region {code} does not exist.",
                            errors=[{"loc": ["body", "region_code"], "msg": "unknown region",
                                     "code": "region.unknown"}])


async def _check_helper(session: AsyncSession, helper_id: uuid.UUID | None) -> None:
    from app.models.pairings import Helper  # accounts may link to the helper registry

    if helper_id is not None and await session.get(Helper, helper_id) is None:
        raise Unprocessable("user.helper_unknown", f"No helper {helper_id}.",
                            errors=[{"loc": ["body", "helper_id"], "msg": "unknown helper",
                                     "code": "user.helper_unknown"}])


async def create_user(session: AsyncSession, actor: Principal | None, data, settings: Settings) -> User:
    """Add a user; only an admin (or the command line, actor None) may."""
    await _check_region(session, data.region_code)
    if actor is not None:
        ensure_in_region(actor, data.region_code, "region")
    bad = unknown_scopes(data.extra_scopes)
    if bad:
        raise Unprocessable("auth.unknown_scope", f"Unknown scopes: {', '.join(bad)}.")
    if data.role in HELPER_ROLES and data.helper_id is None:
        raise Unprocessable(f"user.{data.role}_needs_helper",
                            f"A {data.role} user must be linked to a helper (helper_id).")
    await _check_helper(session, data.helper_id)
    await check_first_secretary_region(session, data.role, data.region_code, data.helper_id)
    if await session.scalar(select(User.id).where(User.username == data.username)):
        raise Conflict("user.username_taken", f"The username {data.username} is taken.")
    password_hash = await hash_password_async(data.password)
    user = User(id=uuid.uuid4(), username=data.username, password_hash=password_hash,
                role=data.role, region_code=data.region_code, display_name=data.display_name,
                extra_scopes=list(data.extra_scopes), helper_id=data.helper_id, active=True,
                version=1, token_version=1)
    if data.id_number:
        pii = _pii()
        parsed = pii.parse_id_number(data.id_number)
        await pii.ring(session, settings)
        user.id_number_hash = pii.id_hash(settings, parsed)
        user.id_number_enc = pii.encrypt(settings, parsed)
    session.add(user)
    await session.flush()
    await record(session, actor, "user.create", "user", user.id,
                 after={"username": user.username, "role": user.role,
                        "region_code": user.region_code, "extra_scopes": user.extra_scopes})
    return user


async def list_users(session: AsyncSession, principal: Principal, params: PageParams):
    stmt = select(User).where(region_filter(principal, User.region_code))
    return await paginate(session, stmt, [User.id], params)


async def get_user(session: AsyncSession, principal: Principal, user_id: uuid.UUID) -> User:
    return await get_scoped(session, principal, User, user_id, "user")


def _user_view(user: User) -> dict:
    return {"role": user.role, "region_code": user.region_code, "display_name": user.display_name,
            "extra_scopes": list(user.extra_scopes), "active": user.active,
            "helper_id": user.helper_id}


async def _check_user_changes(session: AsyncSession, principal: Principal, changes: dict) -> None:
    """The changed fields one by one: a known region in the caller's, known scopes, no nulls,
    a known helper."""
    if "region_code" in changes and changes["region_code"] is not None:
        await _check_region(session, changes["region_code"])
        ensure_in_region(principal, changes["region_code"], "region")
    if changes.get("extra_scopes") is not None:
        bad = unknown_scopes(changes["extra_scopes"])
        if bad:
            raise Unprocessable("auth.unknown_scope", f"Unknown scopes: {', '.join(bad)}.")
    for name in ("role", "region_code", "extra_scopes", "active"):
        if name in changes and changes[name] is None:
            raise Unprocessable("field.null", f"{name} cannot be null.",
                                errors=[{"loc": ["body", name], "msg": "may not be null",
                                         "code": "field.null"}])
    if changes.get("helper_id") is not None:
        await _check_helper(session, changes["helper_id"])


async def update_user(session: AsyncSession, principal: Principal, user: User, data) -> User:
    """Change a user's role, region, scopes or activity (the caller checked If-Match)."""
    changes = data.model_dump(exclude_unset=True)
    await _check_user_changes(session, principal, changes)
    before = _user_view(user)
    for name, value in changes.items():
        setattr(user, name, value)
    if user.role == "first_secretary" and user.helper_id is None:
        raise Unprocessable("user.first_secretary_needs_helper",
                            "A first_secretary user must be linked to a helper (helper_id).")
    await check_first_secretary_region(session, user.role, user.region_code, user.helper_id)
    if user.role in HELPER_ROLES and user.helper_id is None:
        raise Unprocessable(f"user.{user.role}_needs_helper",
                            f"A {user.role} user must be linked to a helper (helper_id).")
    if user.id == principal.id and user.active is False:
        raise Conflict("user.cannot_deactivate_self", "You cannot deactivate your own account.")
    user.version += 1
    after = _user_view(user)
    if any(before[name] != after[name] for name in CLAIMED_FIELDS):
        # The user's tokens describe the old account: refused from the next request on.
        user.token_version += 1
        invalidate_on_commit(session, "user", user.id)
    if not user.active:
        # A deactivated account keeps no live refresh tokens.
        await session.execute(update(RefreshToken).where(RefreshToken.user_id == user.id,
                                                         RefreshToken.revoked_at.is_(None))
                              .values(revoked_at=datetime.now(UTC)))
    await session.flush()
    await record(session, principal, "user.update", "user", user.id, before=before,
                 after=after)
    return user


async def create_client(session: AsyncSession, actor: Principal, data) -> tuple[Client, str]:
    await _check_region(session, data.region_code)
    ensure_in_region(actor, data.region_code, "region")
    bad = unknown_scopes(data.scopes)
    if bad:
        raise Unprocessable("auth.unknown_scope", f"Unknown scopes: {', '.join(bad)}.")
    secret = new_secret()
    client = Client(id=uuid.uuid4(), client_id="xkc_" + secrets.token_hex(8), name=data.name,
                    secret_hash=await hash_password_async(secret), scopes=sorted(set(data.scopes)),
                    region_code=data.region_code, active=True)
    session.add(client)
    await session.flush()
    await record(session, actor, "client.create", "client", client.id,
                 after={"client_id": client.client_id, "name": client.name,
                        "scopes": client.scopes, "region_code": client.region_code})
    return client, secret


async def list_clients(session: AsyncSession, principal: Principal, params: PageParams):
    stmt = select(Client).where(region_filter(principal, Client.region_code))
    return await paginate(session, stmt, [Client.id], params)


def granted_scopes(requested: str | None, held: frozenset[str]) -> frozenset[str]:
    """RFC 6749 3.3: the requested subset of the scopes held (all of them when none is asked);
    a scope asked for and not held is refused with `invalid_scope`."""
    if requested is None or not requested.strip():
        return held
    asked = frozenset(requested.split())
    beyond = sorted(asked - held)
    if beyond:
        raise InvalidScope("auth.invalid_scope",
                           f"Scopes not granted to this account: {', '.join(beyond)}.")
    return asked


def _user_claims(user: User, scopes: frozenset[str] | None = None) -> tuple[dict, str]:
    held = scopes_for_role(user.role, user.extra_scopes)
    scope = " ".join(sorted(held if scopes is None else scopes & held))
    claims = {"scope": scope, "role": user.role, "region_code": user.region_code,
              "name": user.username, "ver": user.token_version}
    if user.helper_id:
        claims["helper_id"] = str(user.helper_id)
    return claims, scope


async def _issue_for_user(session: AsyncSession, tokens: TokenService, settings: Settings,
                          user: User, scopes: frozenset[str],
                          family_id: uuid.UUID | None = None) -> dict:
    claims, scope = _user_claims(user, scopes)
    access, ttl = tokens.issue(f"user:{user.id}", claims)
    refresh = new_secret(32)
    session.add(RefreshToken(
        id=uuid.uuid4(), family_id=family_id or uuid.uuid4(), user_id=user.id,
        token_hash=token_digest(refresh), scope=scope,
        expires_at=datetime.now(UTC) + timedelta(seconds=settings.refresh_token_ttl_seconds),
    ))
    return {"access_token": access, "token_type": "bearer", "expires_in": ttl,
            "refresh_token": refresh, "scope": scope}


async def password_grant(session: AsyncSession, tokens: TokenService, settings: Settings,
                         username: str, password: str, address: str = "",
                         scope: str | None = None) -> dict:
    """(password grant) Failures lock the (username, address) pair and the address (429);
    see app/auth/lockout.py."""
    if len(username) > MAX_USERNAME:  # no such account can exist; nothing to count either
        raise InvalidGrant("auth.invalid_credentials", "The username or password is wrong.")
    address = address[:lockout.ADDRESS_LENGTH]
    now = datetime.now(UTC)
    await lockout.serialise(session, username, address)
    await lockout.ensure_not_locked(session, settings, username, address, now)
    user = await session.scalar(select(User).where(User.username == username))
    ok = await verify_password_async(user.password_hash if user else None, password)
    if not ok or not user or not user.active:
        lockout.record_failure(session, username, address, now)
        raise InvalidGrant("auth.invalid_credentials", "The username or password is wrong.")
    await lockout.forget(session, username, address)
    scopes = granted_scopes(scope, scopes_for_role(user.role, user.extra_scopes))
    if needs_rehash(user.password_hash):  # argon2's parameters changed since it was stored
        user.password_hash = await hash_password_async(password)
    return await _issue_for_user(session, tokens, settings, user, scopes)


async def client_credentials_grant(session: AsyncSession, tokens: TokenService,
                                   client_id: str, client_secret: str,
                                   scope: str | None = None) -> dict:
    client = await session.scalar(select(Client).where(Client.client_id == client_id))
    ok = await verify_password_async(client.secret_hash if client else None, client_secret)
    if not ok or not client or not client.active:
        raise Unauthorized("auth.invalid_client", "The client credentials are wrong.",
                           headers={"WWW-Authenticate": 'Basic realm="xiaokang"'})
    granted = " ".join(sorted(granted_scopes(scope, frozenset(client.scopes))))
    access, ttl = tokens.issue(f"client:{client.id}", {
        "scope": granted, "region_code": client.region_code, "name": client.name})
    return {"access_token": access, "token_type": "bearer", "expires_in": ttl, "scope": granted}


async def refresh_grant(session: AsyncSession, tokens: TokenService, settings: Settings,
                        refresh_token: str, scope: str | None = None) -> dict:
    """Rotate a refresh token; reusing a rotated one revokes its whole family. The new tokens
    carry the scopes first granted (or the requested subset of them) that the user still holds."""
    now = datetime.now(UTC)
    row = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == token_digest(refresh_token))
        .with_for_update()
    )
    if row is None:
        raise InvalidGrant("auth.invalid_refresh_token", "The refresh token is not known.")
    if row.revoked_at is not None:
        raise InvalidGrant("auth.refresh_token_revoked", "The refresh token has been revoked.")
    if row.used_at is not None:
        await session.execute(update(RefreshToken).where(RefreshToken.family_id == row.family_id,
                                                         RefreshToken.revoked_at.is_(None))
                              .values(revoked_at=now))
        await record(session, None, "auth.refresh_token_reuse", "user", row.user_id,
                     after={"family_id": str(row.family_id)})
        raise InvalidGrant("auth.refresh_token_reused",
                           "The refresh token was already used; its family is revoked.")
    if row.expires_at <= now:
        raise InvalidGrant("auth.refresh_token_expired", "The refresh token has expired.")
    user = await session.get(User, row.user_id)
    if user is None or not user.active:
        raise InvalidGrant("auth.invalid_refresh_token", "The account is not active.")
    held = scopes_for_role(user.role, user.extra_scopes)
    if row.scope is not None:
        held = held & frozenset(row.scope.split())
    scopes = granted_scopes(scope, held)
    row.used_at = now
    return await _issue_for_user(session, tokens, settings, user, scopes, family_id=row.family_id)


async def ensure_first_admin(session: AsyncSession, settings: Settings,
                             username: str | None = None, password: str | None = None) -> User | None:
    """Create the first admin when no user exists yet (from settings or the given values)."""
    if await session.scalar(select(func.count()).select_from(User)):
        return None
    username = username or settings.admin_username
    password = password or reveal(settings.admin_password)
    if not username or not password:
        return None
    from app.auth.schemas import UserIn

    return await create_user(session, None, UserIn(username=username, password=password,
                                                   role="admin", region_code=CITY_CODE,
                                                   display_name="Administrator"), settings)


