"""Pure policy rules of 泰發〔2016〕5號 (see shared/domain/POLICY.md).

Nothing here imports a web framework, a database layer, settings or the clock: every function
takes plain facts and a date and answers with a decision and its reasons.
"""
