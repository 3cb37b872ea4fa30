"""Every error the API can give is problem+json with a stable code, and leaks nothing."""

from __future__ import annotations

import httpx

from tests.conftest import assert_problem

TOWN = {"code": "321283100000", "name": "黃橋鎮", "parent_code": "321283000000"}


async def test_unknown_route_is_404(client):
    body = assert_problem(await client.get("/api/v1/nothing-here"), 404, "http.not_found")
    assert body["instance"] == "/api/v1/nothing-here"


async def test_wrong_method_is_405(client):
    assert_problem(await client.delete("/api/v1/regions"), 405, "http.method_not_allowed")


async def test_bad_json_is_400(client, admin):
    r = await client.post("/api/v1/regions", headers={**admin, "Content-Type": "application/json"},
                          content=b'{"code": "3212')
    assert_problem(r, 400, "request.malformed_json")


async def test_failed_validation_lists_fields(client, admin):
    r = await client.post("/api/v1/regions", headers=admin, json={"code": "12", "name": ""})
    body = assert_problem(r, 422, "request.validation")
    locs = {tuple(e["loc"]) for e in body["errors"]}
    assert ("body", "code") in locs and ("body", "parent_code") in locs
    codes = {e["code"] for e in body["errors"]}
    assert "field.required" in codes and "field.string_pattern_mismatch" in codes


async def test_unknown_fields_are_refused_not_ignored(client, admin, session):
    r = await client.post("/api/v1/regions", headers=admin, json={**TOWN, "population": 5})
    body = assert_problem(r, 422, "request.validation")
    assert body["errors"] == [{"loc": ["body", "population"], "msg": "Extra inputs are not permitted",
                               "code": "field.unknown"}]
    assert (await client.get("/api/v1/regions/321283100000", headers=admin)).status_code == 404


async def test_domain_refusal_is_problem_json(client, admin):
    r = await client.post("/api/v1/regions", headers=admin, json={**TOWN, "code": "321281100000"})
    body = assert_problem(r, 422, "region.code_not_under_parent")
    assert body["errors"][0]["loc"] == ["body", "code"]


async def test_conflict_is_409(client, admin):
    assert (await client.post("/api/v1/regions", headers=admin, json=TOWN)).status_code == 201
    assert_problem(await client.post("/api/v1/regions", headers=admin, json=TOWN), 409, "region.exists")


async def test_unexpected_exception_is_500_without_trace_or_sql(app, admin):
    async def boom():
        raise RuntimeError("SELECT secret FROM app_user -- Traceback")

    app.add_api_route("/api/v1/boom", boom)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        r = await c.get("/api/v1/boom", headers={"X-Request-ID": "req-1"})
    body = assert_problem(r, 500, "internal")
    assert "SELECT" not in r.text and "Traceback" not in r.text and "RuntimeError" not in r.text
    assert body["request_id"] == "req-1"


async def test_database_error_is_500_without_sql(app, admin):
    from sqlalchemy import text

    from app.db import session_dependency

    async def broken(session=__import__("fastapi").Depends(session_dependency, scope="function")):
        await session.execute(text("SELECT * FROM no_such_table"))

    app.add_api_route("/api/v1/broken", broken)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        r = await c.get("/api/v1/broken")
    assert_problem(r, 500, "internal")
    assert "no_such_table" not in r.text


async def test_nul_character_in_a_body_is_422_not_a_database_error(client, admin):
    r = await client.post("/api/v1/regions", headers=admin, json={**TOWN, "name": "黃橋\u0000鎮"})
    body = assert_problem(r, 422, "request.validation")
    assert body["errors"][0]["loc"] == ["body", "name"]


async def test_nul_character_in_the_url_is_400(client, admin):
    r = await client.get("/api/v1/audit?action=a%00b", headers=admin)
    assert_problem(r, 400, "request.nul_character")


async def test_a_number_beyond_the_database_range_is_422(client, admin):
    r = await client.get("/api/v1/events", headers=admin, params={"after": 10**20})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")


async def test_a_forged_cursor_is_refused_before_reaching_sql(client, admin):
    import base64
    import json

    forged = base64.urlsafe_b64encode(json.dumps(["x"]).encode()).decode().rstrip("=")
    r = await client.get("/api/v1/users", headers=admin, params={"cursor": forged})
    assert_problem(r, 422, "pagination.bad_cursor")


async def test_an_unexpected_database_data_error_is_422_without_sql(app, admin):
    from fastapi import Depends
    from sqlalchemy import text

    from app.db import session_dependency

    async def overflow(session=Depends(session_dependency, scope="function")):
        await session.execute(text("SELECT CAST(1e20 AS numeric(14, 2))"))

    app.add_api_route("/api/v1/overflow", overflow)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        r = await c.get("/api/v1/overflow")
    assert_problem(r, 422, "request.value_out_of_range")
    assert "numeric" not in r.text and "SELECT" not in r.text
