"""R1 poverty lines: versioned, region-scoped policy data (clause 二).

The face of the module:
- `line_in_force(session, region_code, on)`: the R1 line in force; `line_versions`: every
  version that applies to a region (the importer's cache);
- `retention_months_in_force`: the R7 retention length in force.
"""

from app.kit.face import face, names_of

FACE = {
    "service": ("line_in_force", "line_versions"),
    "retention": ("retention_months_in_force",),
}
__all__ = names_of(FACE)
__getattr__ = face(__name__, FACE)
