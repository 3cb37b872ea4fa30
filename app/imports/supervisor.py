"""`xiaokang serve` runs the import worker in a child process and keeps one running: a worker
that dies (killed, out of memory, a crash) is started again after `worker_restart_seconds`
(doubling, up to a minute, while it keeps dying within seconds of its start). The job it was
running is queued again by the next worker's stalled-job check (app/imports/queue.py)."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence

import structlog

log = structlog.get_logger("xiaokang.imports.supervisor")
WORKER_ARGV = (sys.executable, "-m", "app.cli", "worker")
MAX_DELAY = 60.0
HEALTHY_AFTER = 10.0  # a worker that ran this long resets the back-off


def die_with_parent() -> None:
    """Linux: the child gets SIGTERM if the server process dies without stopping it."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: stop() still stops it
        pass


class WorkerSupervisor:
    """Start a worker process and start it again whenever it exits, until `stop()`."""

    def __init__(self, argv: Sequence[str] = WORKER_ARGV, *, restart_seconds: float = 1.0,
                 env: dict[str, str] | None = None,
                 preexec_fn: Callable[[], None] | None = die_with_parent) -> None:
        self.argv = list(argv)
        self.restart_seconds = restart_seconds
        self.env = env
        self.preexec_fn = preexec_fn
        self.restarts = 0
        self._child: subprocess.Popen | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        child = self._child
        return child.pid if child is not None and child.poll() is None else None

    def _spawn(self) -> subprocess.Popen:
        return subprocess.Popen(self.argv, env=self.env, preexec_fn=self.preexec_fn)

    def start(self) -> None:
        with self._lock:
            self._child = self._spawn()
        self._thread = threading.Thread(target=self._watch, name="worker-supervisor", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        delay = self.restart_seconds
        while not self._stopping.is_set():
            child = self._child
            assert child is not None
            started = time.monotonic()
            code = child.wait()
            if self._stopping.is_set():
                return
            lived = time.monotonic() - started
            delay = self.restart_seconds if lived >= HEALTHY_AFTER else min(delay * 2, MAX_DELAY)
            wait = self.restart_seconds if lived >= HEALTHY_AFTER else delay / 2
            log.error("import_worker_died", pid=child.pid, exit_code=code,
                      lived_seconds=round(lived, 1), restart_in=wait)
            if self._stopping.wait(wait):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                self._child = self._spawn()
                self.restarts += 1
            log.info("import_worker_restarted", pid=self._child.pid, restarts=self.restarts)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the worker: SIGTERM (it ends its running job first), SIGKILL after `timeout`
        (the job is then queued again by the next worker)."""
        self._stopping.set()
        with self._lock:
            child = self._child
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if self._thread is not None:
            self._thread.join(timeout=5)
