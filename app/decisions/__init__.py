"""Decision records: what every decision used (facts, rule ids, policy-data versions), and its
replay on the facts as later recorded.

For other modules: `record.Evaluation` (what an evaluating service function answers) and
`record.record_decision(...)` (store one, in the decision's own transaction).
"""
