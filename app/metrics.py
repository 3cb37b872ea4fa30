"""Every Prometheus metric of Xiaokang, and the scrape that gathers them.

With more than one process (`xiaokang serve --workers N`, the import worker beside them), each
process counts in its own memory; `PROMETHEUS_MULTIPROC_DIR` makes them write to files in one
directory, and `/metrics` merges the files of every process (prometheus_client's multiprocess
mode). `xiaokang serve` sets that directory up (under the data directory) before any process
starts. The job queue's depth is read from PostgreSQL at scrape time, so it is the same whichever
process answers.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

HTTP_REQUESTS = Counter("xiaokang_http_requests_total", "HTTP requests answered",
                        ["method", "route", "status"])
HTTP_DURATION = Histogram("xiaokang_http_request_duration_seconds",
                          "Time from the request's arrival to the end of its answer",
                          ["method", "route"])
JOBS_FINISHED = Counter("xiaokang_jobs_finished_total", "Background jobs run to an end",
                        ["task", "outcome"])
JOB_DURATION = Histogram("xiaokang_job_duration_seconds", "Run time of background jobs", ["task"],
                         buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600))
DB_POOL_CHECKED_OUT = Gauge("xiaokang_db_pool_connections_in_use",
                            "Database connections checked out of the pool",
                            multiprocess_mode="livesum")
DB_POOL_OPEN = Gauge("xiaokang_db_pool_connections_open", "Database connections open in the pool",
                     multiprocess_mode="livesum")


def instrument_pool(engine) -> None:
    """Count the pool's connections (checked out, open) through SQLAlchemy's pool events."""
    from sqlalchemy import event

    pool = engine.sync_engine.pool
    event.listen(pool, "connect", lambda *_: DB_POOL_OPEN.inc())
    event.listen(pool, "close", lambda *_: DB_POOL_OPEN.dec())
    event.listen(pool, "close_detached", lambda *_: DB_POOL_OPEN.dec())
    event.listen(pool, "checkout", lambda *_: DB_POOL_CHECKED_OUT.inc())
    event.listen(pool, "checkin", lambda *_: DB_POOL_CHECKED_OUT.dec())


def queue_depth_family(counts: dict[str, int]) -> GaugeMetricFamily:
    """Jobs by queue state (todo, doing, failed, …) as procrastinate records them."""
    family = GaugeMetricFamily("xiaokang_jobs", "Background jobs by state, read from the queue",
                               labels=["state"])
    for state in ("todo", "doing", "succeeded", "failed", "cancelled", "aborted"):
        family.add_metric([state], counts.get(state, 0))
    return family


class _Static:
    def __init__(self, *families) -> None:
        self.families = families

    def collect(self):
        yield from self.families


def render(queue_counts: dict[str, int] | None) -> tuple[bytes, str]:
    """The exposition text: every process's metrics (merged in multiprocess mode) plus the
    queue depth read by the caller."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        from prometheus_client import REGISTRY

        body = generate_latest(REGISTRY)
    if queue_counts is not None:
        extra = CollectorRegistry()
        extra.register(_Static(queue_depth_family(queue_counts)))
        body += generate_latest(extra)
    return body, CONTENT_TYPE_LATEST


def mark_process_dead(pid: int) -> None:
    """Forget a finished process's live gauges (multiprocess mode)."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
