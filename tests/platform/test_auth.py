"""Tokens and logins: every way a token or a login can fail, with its code."""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jwt as jose_jwt
from sqlalchemy import select, update

from app.auth.tokens import KeyPair, TokenService
from app.models.accounts import LoginFailure
from tests.conftest import assert_problem

PASSWORD = "correct horse battery"


async def login(client, username, password=PASSWORD):
    return await client.post("/api/v1/auth/token", data={
        "grant_type": "password", "username": username, "password": password})


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _claims(app, **over):
    now = int(time.time())
    claims = {"iss": app.state.settings.jwt_issuer, "aud": app.state.settings.jwt_audience,
              "sub": f"user:{uuid.uuid4()}", "iat": now, "exp": now + 300, "jti": uuid.uuid4().hex,
              "scope": "regions:read", "region_code": "321200000000", "role": "admin"}
    claims.update(over)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(app, claims):
    keys = app.state.tokens.keys
    return jose_jwt.encode(claims, keys.private_pem, algorithm="ES256", headers={"kid": keys.kid})


async def _me(client, token):
    return await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})


async def test_password_grant_issues_a_verifiable_es256_token(client, make_user, app):
    await make_user("district_officer", "321283000000", username="officer1")
    r = await login(client, "officer1")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and body["refresh_token"] and body["expires_in"] == 900
    header = jose_jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "ES256"
    claims = app.state.tokens.verify(body["access_token"])
    assert {"iss", "aud", "sub", "exp", "iat", "jti"} <= set(claims)
    me = (await _me(client, body["access_token"])).json()
    assert me["kind"] == "user" and me["role"] == "district_officer"
    assert me["region_code"] == "321283000000"
    assert "households:write" in me["scopes"] and "pii:read" not in me["scopes"]


async def test_jwks_publishes_the_verifying_key(client, app):
    published = (await client.get("/.well-known/jwks.json")).json()["keys"]
    keys = [k for k in published if k["kty"] != "OKP"]  # OKP: the DCI signing key
    assert len(keys) == 1 and keys[0]["kty"] == "EC" and keys[0]["crv"] == "P-256"
    assert keys[0]["alg"] == "ES256" and keys[0]["kid"] == app.state.tokens.keys.kid
    token, _ = app.state.tokens.issue("user:" + str(uuid.uuid4()), {})
    assert jose_jwt.decode(token, keys[0], algorithms=["ES256"],
                           audience=app.state.settings.jwt_audience)["sub"].startswith("user:")


async def test_no_token_is_401_with_www_authenticate(client):
    r = await client.get("/api/v1/auth/me")
    assert_problem(r, 401, "auth.required")
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


async def test_not_a_bearer_header_is_401(client):
    r = await client.get("/api/v1/auth/me", headers={"Authorization": "Basic abc"})
    assert_problem(r, 401, "auth.malformed_token")


async def test_garbage_token_is_401(client):
    assert_problem(await _me(client, "not.a.jwt"), 401, "auth.malformed_token")


async def test_token_signed_by_another_key_is_401(client, app):
    other = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    # naming our key (kid) does not help: the signature is checked with that key
    token = jose_jwt.encode(_claims(app), other, algorithm="ES256",
                            headers={"kid": app.state.tokens.keys.kid})
    assert_problem(await _me(client, token), 401, "auth.bad_signature")


async def test_expired_token_is_401(client, app):
    now = int(time.time())
    token = _sign(app, _claims(app, iat=now - 600, exp=now - 1))
    assert_problem(await _me(client, token), 401, "auth.token_expired")


@pytest.mark.parametrize("claim,value", [("aud", "someone-else"), ("iss", "not-xiaokang")])
async def test_wrong_audience_or_issuer_is_401(client, app, claim, value):
    token = _sign(app, _claims(app, **{claim: value}))
    assert_problem(await _me(client, token), 401, "auth.bad_claims")


@pytest.mark.parametrize("missing", ["iss", "aud", "sub", "exp", "iat", "jti"])
async def test_token_missing_a_required_claim_is_401(client, app, missing):
    token = _sign(app, _claims(app, **{missing: None}))
    # a claim missing from a well-signed token is the claims' fault, not the signature's
    assert_problem(await _me(client, token), 401, "auth.bad_claims")


async def test_alg_none_token_is_refused(client, app):
    token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(app))}."
    assert_problem(await _me(client, token), 401, "auth.bad_algorithm")


async def test_hs256_token_keyed_with_the_public_key_is_refused(client, app):
    import hashlib
    import hmac

    header = _b64({"alg": "HS256", "typ": "JWT"})
    payload = _b64(_claims(app))
    signing_input = f"{header}.{payload}".encode()
    secret = app.state.tokens.keys.public_pem.encode()
    sig = base64.urlsafe_b64encode(hmac.new(secret, signing_input, hashlib.sha256).digest()).decode().rstrip("=")
    assert_problem(await _me(client, f"{header}.{payload}.{sig}"), 401, "auth.bad_algorithm")


async def test_token_with_a_bad_subject_is_401(client, app):
    token = _sign(app, _claims(app, sub="robot:42"))
    assert_problem(await _me(client, token), 401, "auth.bad_claims")


def test_keys_are_generated_once_into_the_data_dir(tmp_path):
    from app.config import Settings

    s = Settings(data_dir=tmp_path)
    a, b = TokenService(s), TokenService(s)
    assert a.keys.private_pem == b.keys.private_pem
    assert (tmp_path / "jwt-es256.pem").stat().st_mode & 0o777 == 0o600


def test_a_configured_key_must_be_p256(tmp_path):
    from app.config import Settings

    key = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    with pytest.raises(ValueError, match="P-256"):
        TokenService(Settings(data_dir=tmp_path, jwt_private_key=key))
    assert isinstance(TokenService(Settings(data_dir=tmp_path)).keys, KeyPair)


async def test_wrong_password_is_invalid_grant(client, make_user):
    await make_user("admin", username="boss")
    assert_problem(await login(client, "boss", "wrong password!"), 400, "auth.invalid_credentials")
    assert_problem(await login(client, "nobody", "wrong password!"), 400, "auth.invalid_credentials")


async def test_five_failures_lock_the_username_until_the_window_passes(client, make_user, session):
    await make_user("admin", username="target")
    for _ in range(5):
        assert (await login(client, "target", "bad password")).status_code == 400
    r = await login(client, "target")  # even the right password is refused now
    assert_problem(r, 429, "auth.locked_out")
    assert 0 < int(r.headers["Retry-After"]) <= 15 * 60
    # Move the failures to just outside the 15-minute window: the lock lifts.
    await session.execute(update(LoginFailure).where(LoginFailure.username == "target")
                          .values(at=datetime.now(UTC) - timedelta(minutes=15, seconds=1)))
    await session.commit()
    assert (await login(client, "target")).status_code == 200
    left = (await session.scalars(select(LoginFailure).where(LoginFailure.username == "target"))).all()
    assert left == []


async def test_four_failures_do_not_lock(client, make_user):
    await make_user("admin", username="careful")
    for _ in range(4):
        await login(client, "careful", "bad password")
    assert (await login(client, "careful")).status_code == 200


async def test_refresh_token_rotates_and_reuse_revokes_the_family(client, make_user):
    await make_user("admin", username="rotor")
    first = (await login(client, "rotor")).json()
    r = await client.post("/api/v1/auth/token", data={
        "grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    # The rotated (first) token is reused: refused, and the whole family dies with it.
    reuse = await client.post("/api/v1/auth/token", data={
        "grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert_problem(reuse, 400, "auth.refresh_token_reused")
    after = await client.post("/api/v1/auth/token", data={
        "grant_type": "refresh_token", "refresh_token": second["refresh_token"]})
    assert_problem(after, 400, "auth.refresh_token_revoked")


async def test_unknown_refresh_token_is_invalid_grant(client):
    r = await client.post("/api/v1/auth/token", data={"grant_type": "refresh_token",
                                                       "refresh_token": "made-up"})
    assert_problem(r, 400, "auth.invalid_refresh_token")


async def test_client_credentials_grant_and_secret_shown_once(client, admin):
    r = await client.post("/api/v1/clients", headers=admin, json={
        "name": "civil affairs", "scopes": ["dibao:read", "dibao:write"],
        "region_code": "321200000000"})
    assert r.status_code == 201, r.text
    created = r.json()
    listed = (await client.get("/api/v1/clients", headers=admin)).json()["items"]
    assert "client_secret" not in listed[0]
    tok = await client.post("/api/v1/auth/token", data={
        "grant_type": "client_credentials", "client_id": created["client_id"],
        "client_secret": created["client_secret"]})
    assert tok.status_code == 200, tok.text
    assert tok.json()["scope"] == "dibao:read dibao:write"
    assert tok.json().get("refresh_token") is None
    me = (await _me(client, tok.json()["access_token"])).json()
    assert me["kind"] == "client" and me["scopes"] == ["dibao:read", "dibao:write"]
    bad = await client.post("/api/v1/auth/token", data={
        "grant_type": "client_credentials", "client_id": created["client_id"],
        "client_secret": "wrong"})
    assert_problem(bad, 401, "auth.invalid_client")


async def test_client_with_unknown_scope_is_refused(client, admin):
    r = await client.post("/api/v1/clients", headers=admin, json={
        "name": "x", "scopes": ["everything"], "region_code": "321200000000"})
    assert_problem(r, 422, "auth.unknown_scope")


async def test_token_endpoint_errors(client):
    assert_problem(await client.post("/api/v1/auth/token", data={"grant_type": "magic"}),
                   400, "auth.unsupported_grant_type")
    assert_problem(await client.post("/api/v1/auth/token", data={"grant_type": "password"}),
                   400, "auth.invalid_request")
    assert_problem(await client.post("/api/v1/auth/token", json={"grant_type": "password"}),
                   415, "auth.form_required")
    assert_problem(await client.post("/api/v1/auth/token", data={"grant_type": "password",
                                                                 "username": "a", "password": "b",
                                                                 "colour": "red"}),
                   422, "request.validation")


async def test_missing_scope_is_403(client, make_user):
    auditor = await make_user("auditor")
    r = await client.post("/api/v1/regions", headers=auditor, json={
        "code": "321283100000", "name": "x", "parent_code": "321283000000"})
    assert_problem(r, 403, "auth.missing_scope")


async def test_pii_read_is_admin_only_unless_granted(client, make_user):
    officer = await make_user("city_officer")
    assert "pii:read" not in (await client.get("/api/v1/auth/me", headers=officer)).json()["scopes"]
    granted = await make_user("city_officer", extra_scopes=["pii:read"])
    assert "pii:read" in (await client.get("/api/v1/auth/me", headers=granted)).json()["scopes"]
    admin = await make_user("admin")
    assert "pii:read" in (await client.get("/api/v1/auth/me", headers=admin)).json()["scopes"]


async def test_token_form_with_nul_or_overlong_username_is_refused_cleanly(client):
    r = await client.post("/api/v1/auth/token", data={"grant_type": "password",
                                                      "username": "a\x00b", "password": "x"})
    assert_problem(r, 400, "request.nul_character")
    r = await client.post("/api/v1/auth/token", data={"grant_type": "password",
                                                      "username": "u" * 65, "password": "x"})
    assert_problem(r, 400, "auth.invalid_credentials")


async def test_a_user_linked_to_an_unknown_helper_is_refused(client, admin):
    r = await client.post("/api/v1/users", headers=admin, json={
        "username": "secretary", "password": "a long password", "role": "first_secretary",
        "region_code": "321283000000", "helper_id": str(uuid.uuid4())})
    assert_problem(r, 422, "user.helper_unknown")
