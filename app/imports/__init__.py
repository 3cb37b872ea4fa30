"""Bulk import and export (issue 7): files of CSV, XLSX or JSONL, read as a stream, validated by
the same rules as the API, staged with COPY and merged set-based in one transaction by a worker
on a PostgreSQL queue (procrastinate)."""
