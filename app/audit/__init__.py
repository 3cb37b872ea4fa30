"""The audit log: who changed what, and who read unmasked ID numbers, sealed in a hash chain.

The face of the module:
- `record(session, principal, action, entity_type, entity_id, ...)`: one audit row, in the
  transaction of the change; `jsonable(value)`: a value as the log stores it;
- `head`, `verify`: the chain's last seal and its check (the command line);
- `run_publisher(db)`: seals new rows into the chain (a background task).
"""

from app.kit.face import face, names_of

FACE = {
    "service": ("jsonable", "record"),
    "chain": ("head", "run_publisher", "verify"),
}
__all__ = names_of(FACE)
__getattr__ = face(__name__, FACE)
