"""Dibao, the rural minimum living guarantee (clause 十四): standards, cases, grants, coverage.

The face of the module:
- `on_assessment_recorded`, `on_membership_changed`: the registry tells dibao of a change to a
  household's facts, and open grants are re-evaluated (D7); `GRANT_STATES`: the open states;
- `load_case`, `steps_of`, `load_facts`, `evaluate_approval`: a case, its steps, the facts it is
  decided on and the approval check (D2-D6), for the decisions of other modules;
- `coverage`: relief-type households without a grant, and the totals per 市(區) (D8).
"""

from app.kit.face import face, names_of

FACE = {
    "adjust": ("GRANT_STATES", "on_assessment_recorded", "on_membership_changed"),
    "cases": ("load_case", "steps_of"),
    "facts": ("load_facts",),
    "workflow": ("evaluate_approval",),
}
__all__ = names_of(FACE)
__getattr__ = face(__name__, FACE)
