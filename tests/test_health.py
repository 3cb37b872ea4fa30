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


async def test_metrics_name_the_request_duration_histogram_the_job_queue_and_the_pool(client):
    await client.get("/healthz")
    text = (await client.get("/metrics")).text
    assert 'xiaokang_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/healthz"}' in text
    assert 'xiaokang_jobs{state="todo"} 0.0' in text  # read from the queue's table
    assert "xiaokang_db_pool_connections_in_use" in text
    assert "xiaokang_job_duration_seconds" in text


async def test_request_id_is_echoed_or_made(client):
    r = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["X-Request-ID"] == "abc-123"
    r = await client.get("/healthz")
    assert len(r.headers["X-Request-ID"]) == 32


async def test_unknown_route_is_problem_json(client):
    assert_problem(await client.get("/nope"), 404, "http.not_found")
