"""Section 2 (二): a household has one head (relation 02), at registration and when joining."""

from app.policy.household_shape import check_heads, check_new_member_relation


def codes(decision):
    return [r.code for r in decision.refusals]


def test_household_with_exactly_one_head_is_accepted():
    d = check_heads(["02", "10", "20"])
    assert d.ok and d.refusals == ()
    assert d.reasons[0].clause == "二"


def test_household_without_a_head_is_refused_with_head_count():
    d = check_heads(["10", "20"])
    assert codes(d) == ["household.head_count"]
    assert d.first_refusal.reason.detail.endswith("not 0")


def test_household_with_two_heads_is_refused_with_head_count():
    d = check_heads(["02", "02", "10"])
    assert codes(d) == ["household.head_count"]
    assert d.first_refusal.reason.detail.endswith("not 2")


def test_household_with_no_members_has_no_head():
    assert codes(check_heads([])) == ["household.head_count"]


def test_relations_are_compared_as_codes_not_numbers():
    assert codes(check_heads(["2"])) == ["household.head_count"]


def test_a_head_may_join_a_household_without_one():
    assert check_new_member_relation(["10", "20"], "02").ok


def test_a_second_head_is_refused_with_head_exists():
    d = check_new_member_relation(["02", "10"], "02")
    assert codes(d) == ["household.head_exists"]
    assert "already has a head" in d.first_refusal.reason.detail


def test_a_member_other_than_head_joins_a_household_with_a_head():
    assert check_new_member_relation(["02"], "10").ok


def test_a_head_joins_an_empty_household():
    assert check_new_member_relation([], "02").ok
