"""Helpers and pairing assignments (P1–P4, clauses 八, 十七, 十八)."""
