"""Helpers and pairing assignments (P1–P4, clauses 八, 十七, 十八).

The face of the module:
- `first_secretary_region`, `household_cadre_scope`: principal resolvers at sign-in (a first
  secretary's village, a household cadre's households); `villages_on`: a helper's villages;
- `pairing_coverage`, `PairingCoverage`: the pairing coverage of a region (reports);
- `roles_by_id_hash`: the helper roles a person holds (dibao's favouritism check, D6).
"""

from app.kit.face import face, names_of

FACE = {
    "signin": ("first_secretary_region", "household_cadre_scope", "villages_on"),
    "coverage": ("PairingCoverage", "pairing_coverage"),
    "lookup": ("roles_by_id_hash",),
}
__all__ = names_of(FACE)
__getattr__ = face(__name__, FACE)
