"""The household services: the only door to the registry's tables.

For other modules:
- `app.households.facts.load_record` + `status_of`, `members_on`, `attributes_on`,
  `assessment_on`, `support_type_on`, `retention_on` for single facts (pure, app.policy.history).
- `answers.segment`, `answers.member_segments` (both in one statement:
  `answers.household_with_members`), `answers.target_on`: the answers on a date as the rules
  wrote them into the timelines (R5, entitlements, dibao coverage).
- `members.current_member_by_hash(session, app.pii.id_hashes(settings, number))`: who holds a number.
- `app.policy_lines.service.line_in_force(session, region_code, on)`: the R1 line in force.
"""
