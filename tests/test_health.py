from tests.conftest import assert_problem


async def test_healthz_answers_ok(client):
    r = await client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


async def test_readyz_reports_database_at_head(client):
    r = await client.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ok"


async def test_metrics_are_prometheus_text(client):
    await client.get("/healthz")
    r = await client.get("/metrics")
    assert r.status_code == 200
    assert "xiaokang_http_requests_total" in r.text


async def test_request_id_is_echoed_or_made(client):
    r = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["X-Request-ID"] == "abc-123"
    r = await client.get("/healthz")
    assert len(r.headers["X-Request-ID"]) == 32


async def test_unknown_route_is_problem_json(client):
    assert_problem(await client.get("/nope"), 404, "http.not_found")
