"""The household services: the only door to the registry's tables.

For other modules:
- `app.households.facts.load_household_facts(session, household_id, on)`: HouseholdFacts on a date
  (scope the household first); `load_record` + `status_of`, `members_on`, `attributes_on`,
  `assessment_on`, `support_type_on`, `target_on`, `retention_on` for single facts.
- `app.households.coverage.dibao_coverage(session, member_ids, on)`: the dibao hook.
- `members.current_member_by_hash(session, app.pii.id_hash(settings, number))`: who holds a number.
- `app.policy_lines.service.line_in_force(session, region_code, on)`: the R1 line in force.
"""
