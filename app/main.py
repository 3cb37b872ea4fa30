"""create_app(): routers, middleware and error handlers — nothing else."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute

from app import __version__
from app.config import Settings, get_settings
from app.db import Database
from app.errors import PROBLEM_SCHEMA, install_error_handlers
from app.kit.idempotency import IdempotencyMiddleware
from app.kit.middleware import RequestContextMiddleware, configure_logging
from app.routers import ROUTERS


def _operation_id(route: APIRoute) -> str:
    return route.name


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        import asyncio

        from app.webhooks.service import run_dispatcher

        if getattr(app.state, "db", None) is None:
            app.state.db = Database.from_settings(settings)
        tasks = []
        if settings.webhook_dispatch:
            tasks.append(asyncio.create_task(run_dispatcher(app.state.db, settings)))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            if db is None:
                await app.state.db.dispose()

    app = FastAPI(
        title="Xiaokang",
        version=__version__,
        summary="System of record of Taizhou's poverty-relief programme (泰發〔2016〕5號).",
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    from app.auth.tokens import TokenService

    app.state.settings = settings
    app.state.db = db
    app.state.tokens = TokenService(settings)
    app.state.principal_resolvers = []
    from app.pairings.signin import first_secretary_region

    app.state.principal_resolvers.append(first_secretary_region)  # (十八) a secretary's village
    from app.pairings.signin import household_cadre_scope

    app.state.principal_resolvers.append(household_cadre_scope)  # (八) a cadre's households
    install_error_handlers(app)
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(RequestContextMiddleware)
    for router in ROUTERS:
        app.include_router(router)

    original = app.openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        schema["components"].setdefault("securitySchemes", {})["bearer"] = {
            "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
        schema["security"] = [{"bearer": []}]
        # Validation errors are answered as problem+json, not FastAPI's default shape.
        for ops in schema.get("paths", {}).values():
            for op in ops.values():
                if "422" in op.get("responses", {}):
                    op["responses"]["422"] = {
                        "description": "Unprocessable Content",
                        "content": {"application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Problem"}}},
                    }
        for name in ("HTTPValidationError", "ValidationError"):
            schema["components"]["schemas"].pop(name, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
