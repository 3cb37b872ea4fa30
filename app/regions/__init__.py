"""Regions (city, 市(區), town, village) and key areas (R3).

The face of the module:
- `areas_of`: the key areas a region lies in (a village inherits its town's).
"""

from app.kit.face import face, names_of

FACE = {
    "service": ("areas_of",),
}
__all__ = names_of(FACE)
__getattr__ = face(__name__, FACE)
