"""Helpers: units and their unified social credit code (clause 十七)."""

from __future__ import annotations

from app.policy.helpers import check_unit, normalise_uscc

VALID = "91110000600037341L"


def test_enterprise_with_a_valid_uscc_is_accepted():
    d = check_unit("enterprise", VALID)
    assert d.ok
    assert VALID in d.reasons[0].detail


def test_enterprise_without_uscc_is_refused():
    for code in (None, "", "  "):
        d = check_unit("enterprise", code)
        assert [r.code for r in d.refusals] == ["helper.uscc.required"]


def test_uscc_with_a_wrong_check_character_is_refused():
    d = check_unit("enterprise", VALID[:-1] + "M")
    assert [r.code for r in d.refusals] == ["helper.uscc.invalid"]


def test_uscc_of_the_wrong_length_is_refused():
    assert [r.code for r in check_unit("enterprise", VALID[:-1]).refusals] == ["helper.uscc.invalid"]


def test_department_needs_no_uscc_but_a_given_one_is_checked():
    assert check_unit("department", None).ok
    assert check_unit("department", VALID).ok
    assert [r.code for r in check_unit("other", "123").refusals] == ["helper.uscc.invalid"]


def test_unknown_unit_kind_is_refused():
    assert [r.code for r in check_unit("club", None).refusals] == ["helper.unit_kind.unknown"]


def test_uscc_is_normalised_before_checking():
    assert normalise_uscc(" 9111 0000-6000 37341l ") == VALID
    assert check_unit("enterprise", "91110000600037341l").ok
