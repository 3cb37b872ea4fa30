"""Villages (clauses 二.2, 七): weak-village lines R2, collective incomes, key areas R3, eight haves V1.

The face of the module:
- `get_village_region`: a village of the caller's region (404 otherwise);
- `latest_statuses`, `weak_in_latest_year`, `year_status`: weak-village status by year (R2);
- `all_line_versions`: every R2 line version (the importer's cache).
"""

from app.kit.face import face, names_of

FACE = {
    "service": ("get_village_region", "latest_statuses", "weak_in_latest_year", "year_status"),
    "lines": ("all_line_versions",),
}
__all__ = names_of(FACE)
__getattr__ = face(__name__, FACE)
