"""Timelines: the answers of the rules stored per date range, written with the facts.

The face of the module (above households and dibao; nothing below imports it):
- `install()`: hooks every ORM session so that a commit first writes the timelines of the
  households whose facts changed in the transaction (`track`);
- `settle(session)` / `settle_async(session)`: the same on demand (a read after a write);
- `mark(session, ids)`: households changed by set-based SQL (the importer);
- `store.refresh / rebuild / differences`: rewrite, rebuild or check stored timelines.
"""

from app.timelines.track import install, mark, settle, settle_async

__all__ = ["install", "mark", "settle", "settle_async"]
install()
