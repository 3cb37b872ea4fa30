"""Helpers (clause 十七, POLICY.md section 7): units that help, and their identification.

Units are departments, enterprises or others; an enterprise carries its unified social credit
code (統一社會信用代碼, GB 32100-2015), checked here with python-stdnum's `cn.uscc` (format and
check character). Departments and others may give one; when given it is checked the same way.
"""

from __future__ import annotations

from stdnum.cn import uscc as _uscc
from stdnum.exceptions import ValidationError

from app.policy.reasons import Decision, Reason, Refusal

RULE = "§7"  # POLICY.md section 7 names no rule id for helpers
CLAUSE = "十七"
UNIT_KINDS = ("department", "enterprise", "other")


def normalise_uscc(code: str) -> str:
    """Upper-case and drop spaces and dashes, as codes are often printed in groups."""
    return _uscc.compact(code) if isinstance(code, str) else ""


def check_unit(unit_kind: str, uscc: str | None) -> Decision:
    """(十七) a unit's kind is known; an enterprise has a valid USCC; a given USCC is valid."""
    if unit_kind not in UNIT_KINDS:
        return _refuse("helper.unit_kind.unknown", f"unknown unit kind {unit_kind!r}")
    code = normalise_uscc(uscc) if uscc is not None else ""
    if not code:
        if unit_kind == "enterprise":
            return _refuse(
                "helper.uscc.required",
                "an enterprise must carry its unified social credit code",
            )
        return Decision(True, (Reason(RULE, CLAUSE, f"{unit_kind} without a credit code"),))
    try:
        _uscc.validate(code)
    except ValidationError as e:
        return _refuse("helper.uscc.invalid", f"unified social credit code {code!r}: {e}")
    return Decision(True, (Reason(RULE, CLAUSE, f"{unit_kind} with credit code {code}"),))


def _refuse(code: str, detail: str) -> Decision:
    r = Reason(RULE, CLAUSE, detail)
    return Decision(False, (r,), (Refusal(code, r),))
