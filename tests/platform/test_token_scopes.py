"""The token request's `scope` (RFC 6749 3.3) and the token endpoint's OAuth errors (5.2)."""

from __future__ import annotations

import base64

import pytest

from tests.conftest import assert_problem

PASSWORD = "correct horse battery"
TOKEN = "/api/v1/auth/token"


async def _client(client, admin, scopes=("dibao:read", "dibao:write", "households:read")):
    r = await client.post("/api/v1/clients", headers=admin, json={
        "name": "civil affairs", "scopes": list(scopes), "region_code": "321200000000"})
    assert r.status_code == 201, r.text
    return r.json()


async def _me(client, token):
    return (await client.get("/api/v1/auth/me",
                             headers={"Authorization": f"Bearer {token}"})).json()


def _oauth_error(resp, status, code, error):
    body = assert_problem(resp, status, code)
    assert body["error"] == error and body["error_description"], body
    assert resp.headers["Cache-Control"] == "no-store"
    return body


async def test_a_client_asking_for_one_scope_gets_only_that_scope(client, admin):
    c = await _client(client, admin)
    r = await client.post(TOKEN, data={"grant_type": "client_credentials", "scope": "dibao:read",
                                       "client_id": c["client_id"],
                                       "client_secret": c["client_secret"]})
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == "dibao:read"
    assert (await _me(client, r.json()["access_token"]))["scopes"] == ["dibao:read"]
    assert r.headers["Cache-Control"] == "no-store"
    everything = await client.post(TOKEN, data={"grant_type": "client_credentials",
                                                "client_id": c["client_id"],
                                                "client_secret": c["client_secret"]})
    assert everything.json()["scope"] == "dibao:read dibao:write households:read"


@pytest.mark.parametrize("scope", ["dibao:read accounts:admin", "everything"])
async def test_a_scope_the_client_does_not_hold_is_invalid_scope(client, admin, scope):
    c = await _client(client, admin)
    r = await client.post(TOKEN, data={"grant_type": "client_credentials", "scope": scope,
                                       "client_id": c["client_id"],
                                       "client_secret": c["client_secret"]})
    _oauth_error(r, 400, "auth.invalid_scope", "invalid_scope")


async def test_client_credentials_in_a_basic_header(client, admin):
    c = await _client(client, admin)
    basic = base64.b64encode(f"{c['client_id']}:{c['client_secret']}".encode()).decode()
    r = await client.post(TOKEN, data={"grant_type": "client_credentials",
                                       "scope": "households:read"},
                          headers={"Authorization": f"Basic {basic}"})
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == "households:read"
    wrong = base64.b64encode(f"{c['client_id']}:nope".encode()).decode()
    r = await client.post(TOKEN, data={"grant_type": "client_credentials"},
                          headers={"Authorization": f"Basic {wrong}"})
    _oauth_error(r, 401, "auth.invalid_client", "invalid_client")


async def test_a_user_may_ask_for_a_subset_and_a_refresh_cannot_widen_it(client, make_user):
    await make_user("district_officer", "321283000000", username="officer")
    r = await client.post(TOKEN, data={"grant_type": "password", "username": "officer",
                                       "password": PASSWORD,
                                       "scope": "households:read dibao:read"})
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == "dibao:read households:read"
    assert (await _me(client, r.json()["access_token"]))["scopes"] == ["dibao:read",
                                                                       "households:read"]
    refresh = r.json()["refresh_token"]
    wider = await client.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": refresh,
                                           "scope": "households:write"})
    _oauth_error(wider, 400, "auth.invalid_scope", "invalid_scope")
    same = await client.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": refresh})
    assert same.status_code == 200 and same.json()["scope"] == "dibao:read households:read"
    narrower = await client.post(TOKEN, data={"grant_type": "refresh_token",
                                              "refresh_token": same.json()["refresh_token"],
                                              "scope": "dibao:read"})
    assert narrower.status_code == 200 and narrower.json()["scope"] == "dibao:read"


async def test_a_user_asking_for_a_scope_of_another_role_is_invalid_scope(client, make_user):
    await make_user("auditor", username="auditor1")
    r = await client.post(TOKEN, data={"grant_type": "password", "username": "auditor1",
                                       "password": PASSWORD, "scope": "households:write"})
    _oauth_error(r, 400, "auth.invalid_scope", "invalid_scope")


async def test_token_endpoint_errors_carry_the_oauth_error_member(client, make_user):
    await make_user("admin", username="boss")
    _oauth_error(await client.post(TOKEN, data={"grant_type": "password", "username": "boss",
                                                "password": "wrong"}),
                 400, "auth.invalid_credentials", "invalid_grant")
    _oauth_error(await client.post(TOKEN, data={"grant_type": "refresh_token",
                                                "refresh_token": "made-up"}),
                 400, "auth.invalid_refresh_token", "invalid_grant")
    _oauth_error(await client.post(TOKEN, data={"grant_type": "client_credentials",
                                                "client_id": "x", "client_secret": "y"}),
                 401, "auth.invalid_client", "invalid_client")
    _oauth_error(await client.post(TOKEN, data={"grant_type": "magic"}),
                 400, "auth.unsupported_grant_type", "unsupported_grant_type")
    _oauth_error(await client.post(TOKEN, data={"grant_type": "password"}),
                 400, "auth.invalid_request", "invalid_request")
    _oauth_error(await client.post(TOKEN, data={"username": "boss"}),
                 400, "auth.invalid_request", "invalid_request")
    _oauth_error(await client.post(TOKEN, json={"grant_type": "password"}),
                 415, "auth.form_required", "invalid_request")


async def test_the_contract_declares_the_oauth2_flows_of_the_token_endpoint(client):
    schema = (await client.get("/openapi.json")).json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearer"] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    flows = schemes["oauth2"]["flows"]
    assert flows["password"]["tokenUrl"] == TOKEN
    assert flows["clientCredentials"]["tokenUrl"] == TOKEN
    assert "dibao:read" in flows["password"]["scopes"]
    assert {"oauth2": []} in schema["security"] and {"bearer": []} in schema["security"]
    assert schema["paths"][TOKEN]["post"]["security"] == []


async def test_the_docs_page_requests_sign_in(client, make_user, admin):
    """What Swagger UI's Authorize sends: a password grant with an empty Basic header and an
    empty scope, and a client-credentials grant with the client in a Basic header."""
    await make_user("auditor", username="viewer")
    empty_basic = {"Authorization": "Basic " + base64.b64encode(b":").decode()}
    r = await client.post(TOKEN, headers=empty_basic, data={
        "grant_type": "password", "username": "viewer", "password": PASSWORD, "scope": ""})
    assert r.status_code == 200, r.text
    assert "audit:read" in r.json()["scope"].split()
    c = await _client(client, admin)
    basic = base64.b64encode(f"{c['client_id']}:{c['client_secret']}".encode()).decode()
    r = await client.post(TOKEN, headers={"Authorization": f"Basic {basic}"},
                          data={"grant_type": "client_credentials", "scope": "dibao:read"})
    assert r.status_code == 200 and r.json()["scope"] == "dibao:read"
