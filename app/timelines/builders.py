"""Builder processes: the timeline rules are pure Python and CPU-bound, so a large rewrite (an
import, `xiaokang rebuild-timelines`, a city-wide line) spreads them over processes.

The processes are started once (spawn: nothing of the caller's connections, threads or event
loop is inherited) and kept for the life of the process that asked; they receive plain
histories and answer the rows to store (`store.rows_of`), so that the reading and writing stay
in the caller's transaction. `XIAOKANG_TIMELINE_PROCESSES` sets how many (0 or 1: the rules run
in the caller); unset, one per CPU this process may run on. As with any spawned process, the
main module of the program is imported again in each builder: it keeps its work under
`if __name__ == "__main__":`. A pool whose builder died is replaced on its next use.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor

PIECE = 250  # households sent to a builder at once: a few MB of rows on their way back

_lock = threading.Lock()
_pools: dict[int, ProcessPoolExecutor] = {}


def processes(asked: int | None = None) -> int:
    """How many builder processes to use: `asked`, else the setting, else one per CPU."""
    if asked is not None:
        return asked
    from app.config import get_settings

    configured = get_settings().timeline_processes
    return configured if configured is not None else len(os.sched_getaffinity(0))


def pool(n: int) -> ProcessPoolExecutor:
    """The pool of `n` builder processes, started on first use."""
    with _lock:
        found = _pools.get(n)
        if found is None or getattr(found, "_broken", False):  # a builder died: start anew
            if found is not None:
                found.shutdown(wait=False, cancel_futures=True)
            found = _pools[n] = ProcessPoolExecutor(
                n, mp_context=multiprocessing.get_context("spawn"))
        return found


def shutdown() -> None:
    """Stop the builder processes (they are started again when next needed)."""
    with _lock:
        for p in _pools.values():
            p.shutdown(cancel_futures=True)
        _pools.clear()
