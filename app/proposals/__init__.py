"""A1–A3: staged proposals (register, exit, return, remove), their steps and objections.

For other modules: `service.apply_change(...)`-style entry points are not offered; a proposal's
approval calls the households services themselves (registry.register_household,
lifecycle.exit_household, return_household, remove_household), so no rule can be skipped.
"""
