"""Authentication, scopes and row scoping.

The face of the module:
- `Principal`, `current_principal`, `require(*scopes)`: who is calling and what they hold (the
  routers name them through the aliases of `app.kit.deps`);
- `region_filter`, `household_filter`, `in_region`, `ensure_in_region`, `get_scoped`,
  `ensure_household_visible`, `household_in_scope`: row scoping by region-code prefix;
- `region_prefix`, `region_level`, `principal_prefix`, `district_of`, `town_of`: region codes;
- `SCOPES`, `HELPER_ROLES`, `scopes_for_role`: the scopes and the roles that carry them;
- `create_user`, `ensure_first_admin`, `new_secret`, `check_pairing_in_user_region`: accounts;
- `TokenService`, `TokenError`: signed access tokens.
"""

from app.kit.face import face, names_of

FACE = {
    "principal": ("CITY_CODE", "Principal", "current_principal", "require"),
    "scoping": ("district_of", "ensure_household_visible", "ensure_in_region", "get_scoped",
                "household_filter", "household_in_scope", "in_region", "principal_prefix",
                "region_filter", "region_level", "region_prefix", "town_of"),
    "scopes": ("HELPER_ROLES", "SCOPES", "scopes_for_role"),
    "service": ("create_user", "ensure_first_admin"),
    "passwords": ("new_secret",),
    "tokens": ("TokenError", "TokenService"),
    "user_region": ("check_pairing_in_user_region",),
}
__all__ = names_of(FACE)
__getattr__ = face(__name__, FACE)
