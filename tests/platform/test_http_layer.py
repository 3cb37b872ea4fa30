"""The HTTP layer: pure ASGI middleware, request ids on every log line, library logs through the
same JSON pipeline, and the idempotency store that keeps no ID number in clear."""

from __future__ import annotations

import json
import logging
import logging.config

import httpx
import structlog
from sqlalchemy import select
from starlette.middleware.base import BaseHTTPMiddleware

from app.kit.logs import uvicorn_log_config
from app.models.oversight import IdempotentRequest
from tests.conftest import assert_problem
from tests.households.factories import household_body, make_village

TOWN = {"code": "321283100000", "name": "黃橋鎮", "parent_code": "321283000000"}


def _lines(out: str) -> list[dict]:
    found = []
    for line in out.splitlines():
        try:
            found.append(json.loads(line))
        except ValueError:
            continue
    return found


def test_no_middleware_is_a_base_http_middleware(app):
    classes = [m.cls for m in app.user_middleware]
    assert classes and not any(isinstance(c, type) and issubclass(c, BaseHTTPMiddleware)
                               for c in classes)


async def test_a_500_answers_with_x_request_id_and_its_log_line_has_it(app, capsys):
    async def boom():
        raise RuntimeError("broken")

    app.add_api_route("/api/v1/boom", boom)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        r = await c.get("/api/v1/boom", headers={"X-Request-ID": "req-500"})
    assert_problem(r, 500, "internal")
    assert r.headers["X-Request-ID"] == "req-500"
    lines = _lines(capsys.readouterr().out)
    error = [x for x in lines if x.get("event") == "unhandled_exception"]
    assert error and error[0]["request_id"] == "req-500" and error[0]["level"] == "error"
    access = [x for x in lines if x.get("event") == "request" and x.get("path") == "/api/v1/boom"]
    assert access and access[0]["status"] == 500 and access[0]["request_id"] == "req-500"


async def test_every_log_line_of_a_request_carries_its_request_id(app, capsys):
    async def chatty():
        structlog.get_logger("xiaokang.test").info("from_structlog")
        logging.getLogger("sqlalchemy.engine.test").warning("from %s", "stdlib")
        return {"ok": True}

    app.add_api_route("/api/v1/chatty", chatty)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        r = await c.get("/api/v1/chatty", headers={"X-Request-ID": "req-log"})
    assert r.headers["X-Request-ID"] == "req-log"
    lines = {x["event"]: x for x in _lines(capsys.readouterr().out)}
    assert lines["from_structlog"]["request_id"] == "req-log"
    assert lines["from stdlib"]["request_id"] == "req-log"
    assert lines["from stdlib"]["logger"] == "sqlalchemy.engine.test"
    assert lines["request"]["request_id"] == "req-log"
    # and after the request, nothing is bound any more
    structlog.get_logger("xiaokang.test").info("after")
    after = [x for x in _lines(capsys.readouterr().out) if x["event"] == "after"]
    assert after and "request_id" not in after[0]


def test_library_and_uvicorn_logs_are_json_through_the_same_pipeline(app, capsys):
    logging.config.dictConfig(uvicorn_log_config())
    logging.getLogger("uvicorn.error").info("Started server process")
    logging.getLogger("procrastinate.worker").warning("job stalled")
    lines = {x["event"]: x for x in _lines(capsys.readouterr().out)}
    assert lines["Started server process"]["logger"] == "uvicorn.error"
    assert lines["job stalled"]["level"] == "warning" and "timestamp" in lines["job stalled"]


async def test_idempotency_store_keeps_no_id_number_in_clear_and_replays_the_same_bytes(
        client, admin, session):
    await make_village(client, admin)
    body = household_body()
    numbers = [m["id_number"] for m in body["members"]]
    headers = {**admin, "Idempotency-Key": "household-1"}
    first = await client.post("/api/v1/households", headers=headers, json=body)
    assert first.status_code == 201, first.text
    assert numbers[0] in first.text  # the admin's answer holds the unmasked number
    row = await session.scalar(select(IdempotentRequest).where(IdempotentRequest.key == "household-1"))
    assert row.status == 201
    for number in numbers:
        assert number.encode() not in row.response_body
        assert number[-8:].encode() not in row.response_body
    assert b"id_number" not in row.response_body
    again = await client.post("/api/v1/households", headers=headers, json=body)
    assert again.status_code == 201 and again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["ETag"] == first.headers["ETag"]


async def test_a_request_that_raised_forgets_its_idempotency_key(app, admin):
    calls = []

    async def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("first try fails")
        return {"ok": True}

    app.add_api_route("/api/v1/flaky", flaky, methods=["POST"])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    headers = {**admin, "Idempotency-Key": "flaky-1"}
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        r = await c.post("/api/v1/flaky", headers=headers, json={})
        assert_problem(r, 500, "internal")
        r = await c.post("/api/v1/flaky", headers=headers, json={})
    assert r.status_code == 200 and r.json() == {"ok": True}, r.text
    assert "Idempotent-Replayed" not in r.headers


async def test_request_metrics_are_labelled_by_route_template(client, admin):
    r = await client.get("/api/v1/households/1e5c0f6a-0000-4000-8000-000000000000", headers=admin)
    assert r.status_code == 404
    metrics = (await client.get("/metrics")).text
    assert ('xiaokang_http_requests_total{method="GET",route="/api/v1/households/{household_id}",'
            'status="404"}') in metrics
    assert 'xiaokang_http_request_duration_seconds_count{method="GET",route="/api/v1/households/' in metrics
