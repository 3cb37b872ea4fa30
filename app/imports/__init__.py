"""Bulk import and export (issue 7): files of CSV, XLSX or JSONL, read as a stream, validated by
the same rules as the API, staged with COPY and merged set-based in one transaction by a worker
on a PostgreSQL queue (procrastinate).

The face of the module (the command line's):
- `run_import`, `run_export`, `token`, `CliError`: the client side of `xiaokang import/export`;
- `run_worker`, `WorkerSupervisor`: the import worker; `load`: the demonstration data;
- `chinese_header`: the Chinese column header of a field (exports write them).
"""

from app.kit.face import face, names_of

FACE = {
    "client": ("CliError", "run_export", "run_import", "token"),
    "queue": ("run_worker",),
    "supervisor": ("WorkerSupervisor",),
    "demo": ("load",),
    "headers": ("chinese_header",),
}
__all__ = names_of(FACE)
__getattr__ = face(__name__, FACE)
