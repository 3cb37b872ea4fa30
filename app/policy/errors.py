"""Errors a pure rule raises when it cannot answer at all (as opposed to answering "no").

A refusal ("the household may not exit") is a `Decision` with `Refusal`s; an error here means the
question itself has no answer (no line in force before 2016-01-01, a malformed ID number...). Every
error carries a stable dotted `code` that the HTTP layer renders into problem+json unchanged.
"""

from __future__ import annotations

from datetime import date


class PolicyError(Exception):
    """A rule cannot answer: stable machine `code`, human `detail`, and the rule id when known."""

    def __init__(self, code: str, detail: str, rule: str | None = None,
                 params: dict[str, object] | None = None) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.rule = rule
        self.params = params  # facts for a translated sentence (app/i18n); None: from `detail`

    def __reduce__(self):
        # Crosses processes (the timeline builders) whatever a subclass's __init__ takes.
        return _restore, (type(self), self.args, self.__dict__)


def _restore(cls: type, args: tuple, state: dict) -> PolicyError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class NoLineInForce(PolicyError):
    """No poverty (R1) or weak-village (R2) line is in force for the region on the date."""

    CODE = "policy.line.not_in_force"

    def __init__(self, region_code: str, on: date, rule: str = "R1") -> None:
        super().__init__(
            self.CODE,
            f"{rule}: no line is in force for region {region_code} on {on.isoformat()}",
            rule,
        )
        self.region_code = region_code
        self.on = on


class InvalidIdNumber(PolicyError):
    """A resident ID number fails GB 11643 (POLICY.md section 2); `code` says which part."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(code, detail, None)
