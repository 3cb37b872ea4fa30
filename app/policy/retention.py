"""R7 two-year retention after exit (clause 八: "已實現脫貧的,兩年內繼續享受原扶持政策")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.policy.dates import add_months_clamped
from app.policy.errors import PolicyError
from app.policy.reasons import Reason, day

# Only a default for callers: the length is policy data, taken as in force on the exit date.
DEFAULT_RETENTION_MONTHS = 24
RULE = "R7"
CLAUSE = "八"


def retention_end(exit_date: date, months: int = DEFAULT_RETENTION_MONTHS) -> date:
    """R7 (八; Civil Code arts. 201-202): same day `months` later, or that month's last day."""
    if months < 0:
        raise PolicyError("policy.retention.months", f"{months} months is not a period", RULE)
    return add_months_clamped(exit_date, months)


def is_retained(exit_date: date, retention_end: date, on: date) -> bool:
    """R7 (八): retained from the exit date through the retention end, both inclusive."""
    return exit_date <= on <= retention_end


@dataclass(frozen=True, slots=True)
class Retention:
    """R7 (八): an exit and its retention end, as the API shows `retention`."""

    exit_date: date
    retention_end: date

    @classmethod
    def after_exit(cls, exit_date: date, months: int = DEFAULT_RETENTION_MONTHS) -> Retention:
        """R7 (八): the retention that follows an exit on `exit_date`."""
        return cls(exit_date, retention_end(exit_date, months))

    def covers(self, on: date) -> bool:
        """R7 (八): True when `on` lies in exit_date..retention_end."""
        return is_retained(self.exit_date, self.retention_end, on)

    def reason(self) -> Reason:
        """R7 (八): 'exited 2017-06-30; retained through 2019-06-30'."""
        return retention_reason(self.exit_date, self.retention_end)

    def as_dict(self) -> dict[str, str]:
        """The API shape {exit_date, retention_end} with ISO dates."""
        return {
            "exit_date": day(self.exit_date),
            "retention_end": day(self.retention_end),
        }


def retention_reason(exit_date: date, retention_end: date) -> Reason:
    """R7 (八): the reason every retained entitlement carries."""
    return Reason(RULE, CLAUSE, f"exited {day(exit_date)}; retained through {day(retention_end)}")


@dataclass(frozen=True, slots=True)
class RetentionRuleVersion:
    """R7 policy data: the retention length in months, in force from a date (city-wide)."""

    effective_from: date
    months: int


def months_in_force(rules: list[RetentionRuleVersion], on: date) -> int:
    """R7 (八): the length in force on `on` (the exit date); the latest version dated on or
    before it, a later entry of the same date winning; no version in force is a PolicyError."""
    in_force = [r for r in rules if r.effective_from <= on]
    if not in_force:
        raise PolicyError("policy.retention.not_in_force",
                          f"no retention rule is in force on {day(on)}", RULE)
    latest = max(r.effective_from for r in in_force)
    return [r for r in in_force if r.effective_from == latest][-1].months
