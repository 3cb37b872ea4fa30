"""/healthz, /readyz and /metrics (Prometheus)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app import metrics
from app.migrate import head_revisions

router = APIRouter(tags=["operations"])


@router.get("/healthz", name="health_live")
async def health_live() -> dict:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/readyz", name="health_ready", responses={503: {"description": "not ready"}})
async def health_ready(request: Request) -> JSONResponse:
    """Readiness: the database answers and its schema is at the migrations' head."""
    try:
        async with request.app.state.db.engine.connect() as conn:
            rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        current = {r[0] for r in rows}
    except Exception:  # noqa: BLE001 - any failure means not ready; details stay in the logs
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    heads = head_revisions()
    if current != heads:
        return JSONResponse({"status": "unavailable", "database": "ok",
                             "migrations": {"current": sorted(current), "head": sorted(heads)}},
                            status_code=503)
    return JSONResponse({"status": "ok", "database": "ok", "migrations": sorted(current)})


@router.get("/metrics", name="health_metrics", response_class=Response)
async def health_metrics(request: Request) -> Response:
    """Prometheus metrics of every process (HTTP, jobs, database pool) and the job queue."""
    counts = None
    try:
        async with request.app.state.db.engine.connect() as conn:
            rows = await conn.execute(text(
                "SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY status"))
            counts = {state: n for state, n in rows.all()}
    except Exception:  # noqa: BLE001 - the queue's depth is left out; the rest still answers
        counts = None
    body, media_type = metrics.render(counts)
    return Response(body, media_type=media_type)
