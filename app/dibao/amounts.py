"""A case's income, covered persons and benefit periods on any date (D2, D3, D7): the rules of
`app.policy.dibao_periods`, which the timeline builder evaluates too, named here for the dibao
services (see that module for the choices made where the text is silent)."""

from app.policy.dibao_periods import (
    Income,
    covered_ids,
    covered_on,
    d2_on,
    grant_end,
    income_on,
    period_on,
    periods,
    standard_on,
)

__all__ = ["Income", "covered_ids", "covered_on", "d2_on", "grant_end", "income_on",
           "period_on", "periods", "standard_on"]
