"""The committed contract equals what the app serves (`make openapi` rewrites it)."""

import json
from pathlib import Path

from app.openapi_dump import render

ROOT = Path(__file__).resolve().parent.parent


def test_committed_openapi_equals_served_schema():
    committed = json.loads((ROOT / "openapi" / "openapi.json").read_text())
    served = json.loads(render())
    assert served == committed, "openapi/openapi.json is stale: run `make openapi` and commit it"


def test_operation_ids_are_readable_and_unique():
    schema = json.loads(render())
    ids = [op["operationId"] for path in schema["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids))
    assert all("_" in i and i.islower() and "api_v1" not in i for i in ids), ids


def test_every_api_operation_declares_problem_errors():
    schema = json.loads(render())
    for path, ops in schema["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, op in ops.items():
            problems = [s for s, r in op["responses"].items()
                        if "application/problem+json" in r.get("content", {})]
            assert "401" in problems and "422" in problems, (method, path)
