"""Who is calling: the principal of a verified token, and the dependencies that require scopes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from fastapi import Depends, Request

from app.auth.liveness import ACCOUNTS
from app.auth.scopes import ROLES
from app.auth.tokens import TokenError, TokenService
from app.errors import Forbidden, Unauthorized

CITY_CODE = "321200000000"


@dataclass(frozen=True)
class Principal:
    kind: str  # "user" | "client"
    id: uuid.UUID
    name: str
    role: str | None
    scopes: frozenset[str]
    region_code: str
    helper_id: uuid.UUID | None = None
    # For a first secretary: the village of the active pairing today (None: sees nothing).
    extra: dict[str, str] = field(default_factory=dict)
    # For a household cadre: the households of their active pairings today (None: not limited
    # to households; region scoping alone applies).
    household_ids: frozenset[uuid.UUID] | None = None

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.id}"

    def has(self, scope: str) -> bool:
        return scope in self.scopes


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise Unauthorized("auth.required", "A bearer token is required.",
                           headers={"WWW-Authenticate": "Bearer"})
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("auth.malformed_token", "Use 'Authorization: Bearer <token>'.")
    return token.strip()


def _bad_claims(detail: str) -> Unauthorized:
    return Unauthorized("auth.bad_claims", f"The token's claims are not acceptable: {detail}")


def _optional_str(claims: dict, name: str) -> str | None:
    value = claims.get(name)
    if value is not None and not isinstance(value, str):
        raise _bad_claims(f"{name} is not a string.")
    return value


def principal_from_claims(claims: dict) -> tuple[Principal, int | None]:
    """The principal a verified token describes, and its token version; every claim is checked
    for its type, so a claim that does not parse is a 401 (`auth.bad_claims`), never a 500."""
    kind, _, ident = str(claims["sub"]).partition(":")
    try:
        pid = uuid.UUID(ident)
    except ValueError:
        raise _bad_claims("the subject is not valid.") from None
    if kind not in ("user", "client"):
        raise _bad_claims("the subject is not valid.")
    role = _optional_str(claims, "role")
    if kind == "user" and role not in ROLES:
        raise _bad_claims("the role is not valid.")
    helper = _optional_str(claims, "helper_id")
    try:
        helper_id = uuid.UUID(helper) if helper else None
    except ValueError:
        raise _bad_claims("helper_id is not a UUID.") from None
    version = claims.get("ver")
    if kind == "user" and (not isinstance(version, int) or isinstance(version, bool)):
        raise _bad_claims("ver (the account's token version) is missing or not a number.")
    principal = Principal(
        kind=kind,
        id=pid,
        name=_optional_str(claims, "name") or "",
        role=role if kind == "user" else None,
        scopes=frozenset((_optional_str(claims, "scope") or "").split()),
        region_code=_optional_str(claims, "region_code") or "",
        helper_id=helper_id,
    )
    return principal, version if kind == "user" else None


async def current_principal(request: Request) -> Principal:
    """The principal of the request's bearer token (401 when missing or not trusted), checked
    against its account: a deactivated or changed account's token is refused at once."""
    token = _bearer(request)
    tokens: TokenService = request.app.state.tokens
    try:
        claims = tokens.verify(token)
    except TokenError as e:
        raise Unauthorized(e.code, e.detail) from e
    principal, version = principal_from_claims(claims)
    state = await ACCOUNTS.state(request.app.state.db, principal.kind, principal.id,
                                 tokens.settings.account_cache_seconds)
    if state is None:
        raise _bad_claims("the subject is no user or client.")
    if not state.active:
        raise Unauthorized("auth.token_revoked", "The account of this token is deactivated.")
    if principal.kind == "user" and version != state.token_version:
        raise Unauthorized("auth.token_revoked",
                           "The account changed since this token was issued; sign in again.")
    request.state.principal = principal
    resolver = getattr(request.app.state, "principal_resolvers", None)
    for resolve in resolver or ():
        principal = await resolve(request, principal)
    return principal


def require(*scopes: str):
    """A dependency that answers the principal when it holds every scope (403 otherwise)."""

    async def dependency(principal: Principal = Depends(current_principal)) -> Principal:
        missing = [s for s in scopes if not principal.has(s)]
        if missing:
            raise Forbidden("auth.missing_scope", f"This needs the scope {', '.join(missing)}.")
        return principal

    dependency.__name__ = "require_" + "_".join(s.replace(":", "_") for s in scopes)
    return dependency
