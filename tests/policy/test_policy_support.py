"""R4 support type and R5 targets (clauses 二.1, 八)."""

import pytest

from app.policy.errors import PolicyError
from app.policy.support import support_type, target_met


@pytest.mark.parametrize("capacity", ["ordinary", "skilled", "partial"])
def test_one_member_with_labour_capacity_makes_development_type(capacity):
    kind, reason = support_type(["none", "lost", capacity])
    assert kind == "development"
    assert reason.rule == "R4"
    assert capacity in reason.detail and "1 of 3" in reason.detail


def test_no_member_with_labour_capacity_is_relief_type():
    kind, reason = support_type(["lost", "none"])
    assert kind == "relief"
    assert "none of 2 members" in reason.detail


def test_household_with_no_members_is_relief_type():
    assert support_type([])[0] == "relief"


def test_unknown_labour_capacity_is_an_error():
    with pytest.raises(PolicyError) as err:
        support_type(["strong"])
    assert err.value.code == "policy.labour_capacity.unknown"


def test_development_target_met_by_income_generating_measure():
    decision = target_met("development", True, False, False)
    assert decision.ok and decision.reasons[0].rule == "R5"
    assert "income-generating" in decision.reasons[0].detail


def test_development_target_met_by_stable_employment():
    assert target_met("development", False, True, False).ok


def test_development_target_not_met_by_dibao_alone():
    decision = target_met("development", False, False, True)
    assert not decision.ok
    assert decision.first_refusal.code == "household.target.unmet"


def test_relief_target_met_only_by_dibao():
    assert target_met("relief", False, False, True).ok
    decision = target_met("relief", True, True, False)
    assert not decision.ok
    assert "應保盡保" in decision.first_refusal.reason.detail


def test_unknown_support_type_is_an_error():
    with pytest.raises(PolicyError) as err:
        target_met("mixed", True, True, True)
    assert err.value.code == "policy.support_type.unknown"
