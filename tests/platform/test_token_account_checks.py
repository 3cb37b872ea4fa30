"""A token is only as good as its account now: deactivation and role or region changes take
effect on the next request, and claims that do not describe a real, current account are 401."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest
from jose import jwt as jose_jwt
from sqlalchemy import select, update

from app.models.accounts import User
from tests.conftest import assert_problem

PASSWORD = "correct horse battery"


async def _login(client, username, **extra):
    r = await client.post("/api/v1/auth/token", data={
        "grant_type": "password", "username": username, "password": PASSWORD, **extra})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def _user(client, admin, username, role="district_officer", region="321283000000"):
    r = await client.post("/api/v1/users", headers=admin, json={
        "username": username, "password": PASSWORD, "role": role, "region_code": region})
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def _patch(client, admin, uid, body):
    etag = (await client.get(f"/api/v1/users/{uid}", headers=admin)).headers["ETag"]
    r = await client.patch(f"/api/v1/users/{uid}", headers={**admin, "If-Match": etag}, json=body)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("change", [
    {"active": False},
    {"role": "auditor"},
    {"region_code": "321281000000"},
    {"extra_scopes": ["pii:read"]},
])
async def test_account_changes_revoke_the_old_token_on_the_next_request(client, admin, change):
    uid = await _user(client, admin, "wang")
    token = await _login(client, "wang")
    assert (await client.get("/api/v1/auth/me", headers=token)).status_code == 200
    await _patch(client, admin, uid, change)
    assert_problem(await client.get("/api/v1/auth/me", headers=token), 401, "auth.token_revoked")


async def test_after_a_role_change_a_new_login_carries_the_new_role(client, admin):
    uid = await _user(client, admin, "lili")
    await _login(client, "lili")
    await _patch(client, admin, uid, {"role": "auditor"})
    me = (await client.get("/api/v1/auth/me", headers=await _login(client, "lili"))).json()
    assert me["role"] == "auditor" and "audit:read" in me["scopes"]


async def test_a_display_name_change_keeps_the_token(client, admin):
    uid = await _user(client, admin, "zhao")
    token = await _login(client, "zhao")
    await _patch(client, admin, uid, {"display_name": "Zhao Min"})
    assert (await client.get("/api/v1/auth/me", headers=token)).status_code == 200


async def test_a_change_made_elsewhere_takes_effect_within_the_account_cache(db, test_settings):
    """Another process deactivates the user: this one notices once its cache entry expires."""
    from app.auth.liveness import ACCOUNTS
    from app.main import create_app

    settings = test_settings.model_copy(update={"account_cache_seconds": 0.3})
    app = create_app(settings, db=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as c:
        from app.auth.schemas import UserIn
        from app.auth.service import create_user

        async with db.sessionmaker() as s:
            user = await create_user(s, None, UserIn(username="sun", password=PASSWORD,
                                                     role="auditor",
                                                     region_code="321200000000"), settings)
            await s.commit()
        token = await _login(c, "sun")
        assert (await c.get("/api/v1/auth/me", headers=token)).status_code == 200
        async with db.sessionmaker() as s:  # not through this process: no local invalidation
            await s.execute(update(User).where(User.id == user.id).values(active=False))
            await s.commit()
        await asyncio.sleep(0.35)
        assert_problem(await c.get("/api/v1/auth/me", headers=token), 401, "auth.token_revoked")
    ACCOUNTS.invalidate("user", user.id)


def _claims(app, sub, **over):
    now = int(time.time())
    claims = {"iss": app.state.settings.jwt_issuer, "aud": app.state.settings.jwt_audience,
              "sub": sub, "iat": now, "exp": now + 300, "jti": uuid.uuid4().hex,
              "scope": "regions:read", "region_code": "321200000000", "role": "admin", "ver": 1}
    claims.update(over)
    return jose_jwt.encode({k: v for k, v in claims.items() if v is not None},
                           app.state.tokens.keys.private_pem, algorithm="ES256",
                           headers={"kid": app.state.tokens.keys.kid})


async def _real_sub(session, client, admin):
    uid = await _user(client, admin, f"u{uuid.uuid4().hex[:6]}")
    return f"user:{uid}"


async def _me(client, token):
    return await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})


async def test_a_token_issued_in_the_future_is_bad_claims(client, app, admin, session):
    sub = await _real_sub(session, client, admin)
    later = int(time.time()) + 120
    token = _claims(app, sub, iat=later, exp=later + 300)
    assert_problem(await _me(client, token), 401, "auth.bad_claims")
    # a few seconds of clock skew between servers is allowed
    soon = int(time.time()) + 5
    assert (await _me(client, _claims(app, sub, iat=soon, exp=soon + 300))).status_code == 200


async def test_a_subject_that_is_no_user_or_client_is_bad_claims(client, app):
    assert_problem(await _me(client, _claims(app, 42)), 401, "auth.bad_claims")
    assert_problem(await _me(client, _claims(app, f"user:{uuid.uuid4()}")), 401, "auth.bad_claims")
    assert_problem(await _me(client, _claims(app, f"client:{uuid.uuid4()}", role=None, ver=None)),
                   401, "auth.bad_claims")


@pytest.mark.parametrize("claim,value", [
    ("helper_id", "not-a-uuid"),
    ("helper_id", 42),
    ("role", ["admin"]),
    ("role", "emperor"),
    ("scope", ["regions:read"]),
    ("region_code", 321200000000),
    ("ver", "1"),
    ("ver", None),
    ("iat", "yesterday"),
    ("exp", "soon"),
    ("aud", 5),
    ("nbf", "now"),
])
async def test_a_claim_that_does_not_parse_is_bad_claims_not_a_500(client, app, admin, session,
                                                                   claim, value):
    sub = await _real_sub(session, client, admin)
    r = await _me(client, _claims(app, sub, **{claim: value}))
    assert_problem(r, 401, "auth.bad_claims")


async def test_a_valid_token_for_a_real_user_passes_these_checks(client, app, admin, session):
    """The forged tokens above fail for their one bad claim, not for the way they are made."""
    sub = await _real_sub(session, client, admin)
    uid = uuid.UUID(sub.split(":")[1])
    version = await session.scalar(select(User.token_version).where(User.id == uid))
    assert (await _me(client, _claims(app, sub, role="district_officer", ver=version))).status_code == 200


def test_verification_does_not_parse_the_key_again(app, monkeypatch):
    token, _ = app.state.tokens.issue(f"user:{uuid.uuid4()}", {})

    def no_parsing(*args, **kwargs):
        raise AssertionError("the verifying key was parsed again")

    monkeypatch.setattr("jose.jwk.construct", no_parsing)
    monkeypatch.setattr("jose.jws.jwk.construct", no_parsing)
    assert app.state.tokens.verify(token)["sub"].startswith("user:")
