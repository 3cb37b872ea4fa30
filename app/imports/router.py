"""/api/v1/imports: upload a file as a job, follow its progress, read its error report."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.responses import StreamingResponse

from app.auth.principal import Principal
from app.errors import COMMON_ERRORS, problem_responses
from app.i18n import language_headers, negotiate, translate
from app.imports import service
from app.imports.schemas import ImportKind, JobOut, OnError, RowErrorOut, job_out
from app.kit import cells
from app.kit.deps import ImportsWriter, Paging, SessionDep
from app.kit.schemas import Page

router = APIRouter(prefix="/api/v1", tags=["imports"], responses=COMMON_ERRORS)
ERROR_COLUMNS = ("line", "field", "code", "message", "value")


@router.post("/imports", response_model=JobOut, status_code=202, name="imports_create",
             responses=problem_responses(409, 413))
async def imports_create(
    request: Request, response: Response, session: SessionDep, principal: ImportsWriter,
    file: UploadFile = File(..., description="CSV (UTF-8, UTF-8 with BOM or GB18030), XLSX or JSONL"),
    kind: ImportKind = Form(...),
    dry_run: bool = Form(False, description="validate every row, write nothing"),
    on_error: OnError = Form("abort", description="abort: all or nothing; skip: import the good rows"),
) -> JobOut:
    """Upload a file as an import job (202); a file already imported answers 409."""
    settings = request.app.state.settings
    job = await service.create_import(session, settings, principal, file, file.filename or "",
                                      kind, dry_run, on_error)
    response.headers["Location"] = f"/api/v1/imports/{job.id}"
    return job_out(job)


@router.get("/imports", response_model=Page[JobOut], name="imports_list")
async def imports_list(request: Request, response: Response, params: Paging, session: SessionDep,
                       principal: ImportsWriter) -> Page[JobOut]:
    """Import jobs of the caller's region."""
    rows, cursor = await service.list_jobs(session, principal, params)
    lang = _lang(request, response)
    return Page[JobOut](items=[_said(job_out(j), lang) for j in rows], next_cursor=cursor)


@router.get("/imports/{job_id}", response_model=JobOut, name="imports_get")
async def imports_get(request: Request, response: Response, job_id: uuid.UUID, session: SessionDep,
                      principal: ImportsWriter) -> JobOut:
    """A job's state and progress (rows read, valid, rejected)."""
    job = job_out(await service.get_job(session, principal, job_id))
    return _said(job, _lang(request, response))


def _lang(request: Request, response: Response) -> str:
    lang = negotiate(request.headers.get("accept-language"))
    response.headers.update(language_headers(lang))
    return lang


def _said(job: JobOut, lang: str) -> JobOut:
    """The job's `error.detail` in the caller's language."""
    if job.error is None or job.error.detail is None:
        return job
    detail = translate(job.error.code, job.error.detail, lang)
    return job.model_copy(update={"error": job.error.model_copy(update={"detail": detail})})


@router.get("/imports/{job_id}/errors", response_model=Page[RowErrorOut], name="imports_errors",
            responses={200: {"content": {"text/csv": {}}}})
async def imports_errors(request: Request, response: Response, job_id: uuid.UUID, params: Paging,
                         session: SessionDep, principal: ImportsWriter):
    """Every rejected row with its line, field and error code (JSON pages, or all as CSV with
    `Accept: text/csv`); `message` in the language Accept-Language asks for."""
    lang = negotiate(request.headers.get("accept-language"))
    if "text/csv" in request.headers.get("accept", ""):
        job = await service.get_job(session, principal, job_id)
        return StreamingResponse(
            _csv(request, principal, job_id, lang), media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="import-{job.id}-errors.csv"',
                     **language_headers(lang)})
    rows, cursor = await service.list_errors(session, principal, job_id, params)
    response.headers.update(language_headers(lang))
    items = [RowErrorOut.model_validate(r) for r in rows]
    return Page[RowErrorOut](items=[i.model_copy(update={"message": translate(i.code, i.message, lang)})
                                    for i in items], next_cursor=cursor)


async def _csv(request: Request, principal: Principal, job_id: uuid.UUID,
               lang: str) -> AsyncIterator[str]:
    # Its own session: the response streams after the request's session has closed.
    lines = cells.CsvLines()
    lines.write(ERROR_COLUMNS)
    yield "\ufeff" + lines.drain()  # BOM: Excel opens it as UTF-8
    async with request.app.state.db.sessionmaker() as s:
        n = 0
        async for e in service.stream_errors(s, principal, job_id):
            lines.write((e.line, e.field or "", e.code, translate(e.code, e.message, lang),
                         e.value or ""))
            n += 1
            if n % 1000 == 0:
                yield lines.drain()
        yield lines.drain()
