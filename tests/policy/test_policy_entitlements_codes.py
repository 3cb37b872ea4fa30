"""`evaluate(..., codes=)`: a roster asks for one code; the answer equals that code's part of the
full evaluation, R7 carry-over included (section 3, clause 十三)."""

from dataclasses import replace
from datetime import date

import pytest

from app.policy.entitlements import CODES, evaluate
from app.policy.errors import PolicyError
from tests.policy.test_policy_entitlements import CHILD, FATHER, GRANDMA, exited, household

ON = date(2018, 1, 1)


@pytest.mark.parametrize("code", CODES)
def test_each_code_alone_equals_its_part_of_the_full_evaluation(code):
    h = household()
    assert evaluate(h, ON, codes=frozenset({code})) == [e for e in evaluate(h, ON) if e.code == code]


def test_a_retained_code_held_before_the_exit_is_carried_over_when_asked_alone():
    # 特困 ended at the exit; E2 was held the day before, so R7 carries it over.
    after = replace(GRANDMA, tekun=False, tekun_since=None)
    h = exited([FATHER, after, CHILD], [FATHER, GRANDMA, CHILD])
    only = evaluate(h, ON, codes=frozenset({"medical_premium_full"}))
    full = [e for e in evaluate(h, ON) if e.code == "medical_premium_full"]
    assert only == full
    grandma = next(e for e in only if e.person_id == GRANDMA.person_id)
    assert grandma.eligible and grandma.basis == "retained"
    assert [r.rule for r in grandma.reasons] == ["R7", "E2"]


def test_an_unknown_code_is_refused():
    with pytest.raises(PolicyError) as e:
        evaluate(household(), ON, codes=frozenset({"free_lunch"}))
    assert e.value.code == "policy.entitlement.unknown_code"
