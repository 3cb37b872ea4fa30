"""Webhooks: the event feed pushed to subscribers, signed, with retries.

The face of the module:
- `run_dispatcher(db, settings)`: delivers due events (a background task);
- `CHANNELS`: other kinds of subscription register their delivery here (kind → deliver).
"""

from app.kit.face import face, names_of

FACE = {
    "service": ("CHANNELS", "run_dispatcher"),
}
__all__ = names_of(FACE)
__getattr__ = face(__name__, FACE)
