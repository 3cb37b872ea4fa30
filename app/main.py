"""create_app(): routers, middleware and error handlers — nothing else."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline

from app import __version__, timelines
from app.config import Settings, get_settings
from app.db import Database
from app.errors import PROBLEM_SCHEMA, install_error_handlers
from app.kit.idempotency import IdempotencyMiddleware
from app.kit.logs import configure_logging
from app.kit.middleware import RequestContextMiddleware
from app.kit.openapi import declare_conventions
from app.routers import ROUTERS


def _operation_id(route: APIRoute) -> str:
    return route.name


def _lifespan(settings: Settings, db: Database | None):
    """Startup and shutdown: the database (unless given), the key check, the background tasks."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        import asyncio

        from app.webhooks.service import run_dispatcher

        if getattr(app.state, "db", None) is None:
            app.state.db = Database.from_settings(settings)
        from app.keycheck import check_keys

        async with app.state.db.engine.connect() as conn:
            await check_keys(conn, settings)  # KeyMismatch: the server does not start
        tasks = []
        if settings.webhook_dispatch:
            from app.audit.chain import run_publisher

            tasks.append(asyncio.create_task(run_dispatcher(app.state.db, settings)))
            tasks.append(asyncio.create_task(run_publisher(app.state.db)))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            if db is None:
                await app.state.db.dispose()

    return lifespan


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_json)
    timelines.install()  # commits write the timelines of the facts they change

    # /docs and /redoc load Swagger UI and ReDoc from the installed fastapi-offline package (no
    # CDN: the intranets the registry runs on reach none).
    app = FastAPIOffline(
        static_url="/docs/static",
        swagger_ui_parameters={"validatorUrl": None},  # no call to the public validator
        title="Xiaokang",
        version=__version__,
        summary="System of record of Taizhou's poverty-relief programme (泰發〔2016〕5號).",
        lifespan=_lifespan(settings, db),
        generate_unique_id_function=_operation_id,
    )
    from app import keyfiles
    from app.auth.tokens import TokenService

    keyfiles.check_all(settings)  # a key others can read: refuse to start
    app.state.settings = settings
    app.state.db = db
    app.state.tokens = TokenService(settings)
    app.state.principal_resolvers = []
    from app.pairings.signin import first_secretary_region

    app.state.principal_resolvers.append(first_secretary_region)  # (十八) a secretary's village
    from app.pairings.signin import household_cadre_scope

    app.state.principal_resolvers.append(household_cadre_scope)  # (八) a cadre's households
    install_error_handlers(app)
    from app.dci.wiring import install as install_dci

    install_dci(app)  # DCI error bodies under /dci/, its key in the JWKS, its outbox channel
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(RequestContextMiddleware)
    for router in ROUTERS:
        app.include_router(router)

    _install_openapi(app)
    return app


def _install_openapi(app: FastAPI) -> None:
    """The served document: the problem schema, the bearer and OAuth2 schemes, problem+json
    validation errors and the HTTP conventions of every operation."""
    original = app.openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        from app.auth.scopes import SCOPES

        schemes = schema["components"].setdefault("securitySchemes", {})
        schemes["bearer"] = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
        # The token endpoint's two flows, so /docs can sign in (a user, or a machine client).
        token_url = app.url_path_for("auth_token")
        schemes["oauth2"] = {"type": "oauth2", "flows": {
            "password": {"tokenUrl": token_url, "refreshUrl": token_url, "scopes": SCOPES},
            "clientCredentials": {"tokenUrl": token_url, "scopes": SCOPES},
        }}
        schema["security"] = [{"bearer": []}, {"oauth2": []}]
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
        declare_conventions(app, schema)  # If-Match, If-None-Match, Idempotency-Key, cursors
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
