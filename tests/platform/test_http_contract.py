"""HTTP semantics and the contract: 405 Allow, strong If-Match, the conventions the OpenAPI
document declares, and schema names a generated client can use."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from app.openapi_dump import render
from tests.conftest import assert_problem

ROOT = Path(__file__).resolve().parents[2]


async def test_a_405_allow_names_every_method_of_the_path(client, admin):
    r = await client.delete("/api/v1/regions", headers=admin)
    assert_problem(r, 405, "http.method_not_allowed")
    assert r.headers["Allow"] == "GET, POST"
    r = await client.put("/api/v1/households/1e5c0f6a-0000-4000-8000-000000000000", headers=admin)
    assert r.status_code == 405 and r.headers["Allow"] == "GET, PATCH"


async def _user(client, admin) -> str:
    r = await client.post("/api/v1/users", headers=admin, json={
        "username": "clerk", "password": "a long password", "role": "town_officer",
        "region_code": "321283000000"})
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def test_if_match_uses_the_strong_comparison(client, admin):
    uid = await _user(client, admin)
    url = f"/api/v1/users/{uid}"
    for weak in ('W/"1"', 'W/"1", W/"2"'):
        r = await client.patch(url, headers={**admin, "If-Match": weak}, json={"display_name": "x"})
        assert_problem(r, 412, "precondition.stale")
    assert (await client.get(url, headers=admin)).json()["version"] == 1
    # a strong tag among others matches; the weak comparison still serves If-None-Match
    r = await client.patch(url, headers={**admin, "If-Match": 'W/"1", "1"'},
                           json={"display_name": "y"})
    assert r.status_code == 200 and r.headers["ETag"] == '"2"'
    r = await client.get(url, headers={**admin, "If-None-Match": 'W/"2"'})
    assert r.status_code == 304
    # `*`: any current version
    r = await client.patch(url, headers={**admin, "If-Match": "*"}, json={"display_name": "z"})
    assert r.status_code == 200 and r.headers["ETag"] == '"3"'


def _schema() -> dict:
    return json.loads(render())


def _op(schema: dict, path: str, method: str) -> dict:
    return schema["paths"][path][method]


def _headers(op: dict) -> set[str]:
    return {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}


def test_openapi_declares_precondition_headers_and_answers_where_they_occur():
    schema = _schema()
    patch = _op(schema, "/api/v1/households/{household_id}", "patch")
    assert "If-Match" in _headers(patch) and {"412", "428"} <= set(patch["responses"])
    get = _op(schema, "/api/v1/households/{household_id}", "get")
    assert "If-None-Match" in _headers(get) and "304" in get["responses"]
    assert "If-Match" not in _headers(get)
    assert "ETag" in get["responses"]["200"]["headers"]
    assert "ETag" in patch["responses"]["200"]["headers"]
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            if "If-Match" in _headers(op):
                assert {"412", "428"} <= set(op["responses"]), (method, path)
            if "If-None-Match" in _headers(op):
                assert "304" in op["responses"], (method, path)


def test_openapi_declares_idempotency_key_on_authenticated_posts_and_cursor_422s():
    schema = _schema()
    create = _op(schema, "/api/v1/households", "post")
    assert "Idempotency-Key" in _headers(create)
    assert "idempotency.in_progress" in create["responses"]["409"]["description"]
    assert "idempotency.key_reused" in create["responses"]["422"]["description"]
    assert "Idempotency-Key" not in _headers(_op(schema, "/api/v1/auth/token", "post"))
    listed = _op(schema, "/api/v1/households", "get")
    assert "pagination.bad_cursor" in listed["responses"]["422"]["description"]
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            if any(p["name"] == "cursor" and p["in"] == "query" for p in op.get("parameters", [])):
                assert "pagination.bad_cursor" in op["responses"]["422"]["description"], (method, path)


def _refs(node) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def test_schema_names_are_unique_meaningful_and_never_a_module_path():
    schema = _schema()
    names = list(schema["components"]["schemas"])
    bad = [n for n in names if "__" in n or n.startswith("app_") or "." in n
           or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", n)
           or n.endswith(("-Input", "-Output", "Input", "Output"))]
    assert not bad, bad
    # a client names its classes by the name without case and underscores: no two may meet
    folded = [n.replace("_", "").lower() for n in names]
    assert len(folded) == len(set(folded)), sorted(n for n in names if folded.count(
        n.replace("_", "").lower()) > 1)
    # every reference resolves to a published schema
    published = {f"#/components/schemas/{n}" for n in names}
    assert _refs(schema["paths"]) | _refs(schema["components"]) <= published


def test_a_generated_python_client_comes_out_whole(tmp_path):
    """openapi-python-client over the committed contract: no warning, no schema left out."""
    tool = shutil.which("openapi-python-client", path=str(Path(sys.executable).parent))
    assert tool, "openapi-python-client is a dev dependency (pip install -e '.[dev]')"
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        [tool, "generate", "--path", str(ROOT / "openapi" / "openapi.json"),
         "--output-path", str(tmp_path / "client"), "--meta", "none"],
        capture_output=True, text=True, env=env, timeout=300, check=False)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "Warning" not in out and "WARNING" not in out and "Unable" not in out, out
    models = {p.stem for p in (tmp_path / "client" / "models").glob("*.py")}
    assert {"household_event_out", "feed_event_out", "problem"} <= models, sorted(models)
