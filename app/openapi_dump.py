"""Print the served OpenAPI document (`make openapi` writes it to openapi/openapi.json)."""

from __future__ import annotations

import json
import sys


def render() -> str:
    from app.config import Settings
    from app.main import create_app

    # Building the schema needs no database; the URL is never connected to.
    app = create_app(Settings(database_url="postgresql://unused@127.0.0.1/unused"))
    return json.dumps(app.openapi(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
