"""Insurance subsidies I1–I4 (clause 十三)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from itertools import product

import pytest

from app.policy.insurance import (
    InsuranceError,
    RosterDiff,
    ShareAmounts,
    Shares,
    check_confirmation,
    check_premium,
    check_scheme_shares,
    check_shares,
    reference_date_default,
    roster_diff,
    share_amounts,
)


def codes(decision):
    return [r.code for r in decision.refusals]


# --- I1 ---------------------------------------------------------------------------------------


def test_i1_reference_date_defaults_to_the_first_of_january():
    assert reference_date_default(2019) == date(2019, 1, 1)


def test_i1_premium_positive_in_whole_fen():
    assert check_premium(D("250.00")).ok
    assert codes(check_premium(D(0))) == ["insurance.scheme.premium_invalid"]
    assert codes(check_premium(D("250.001"))) == ["insurance.scheme.premium_invalid"]


# --- I4 shares --------------------------------------------------------------------------------


def test_i4_shares_summing_to_99_99_are_refused():
    d = check_shares(D("40.00"), D("40.00"), D("19.99"))
    assert codes(d) == ["insurance.scheme.shares_not_100"]
    assert "99.99%" in d.refusals[0].reason.detail and d.refusals[0].reason.rule == "I4"


def test_i4_shares_summing_to_100_00_are_accepted():
    assert check_shares(D("40.00"), D("40.00"), D("20.00")).ok
    assert check_shares(D(100), D(0), D(0)).ok


def test_i4_shares_above_100_are_refused():
    assert codes(check_shares(D(50), D(50), D("0.01"))) == ["insurance.scheme.shares_not_100"]


def test_i4_a_negative_share_is_refused_even_when_the_sum_is_100():
    d = check_shares(D(60), D(60), D(-20))
    assert codes(d) == ["insurance.scheme.share_negative"]


def test_i4_floats_are_refused():
    with pytest.raises(InsuranceError) as e:
        check_shares(40.0, D(40), D(20))
    assert e.value.code == "insurance.amount.invalid"


def test_i4_shares_required_for_major_illness_and_accident():
    assert codes(check_scheme_shares("major_illness_accident", None)) == [
        "insurance.scheme.shares_required"
    ]
    assert check_scheme_shares("major_illness_accident", Shares(D(40), D(40), D(20))).ok
    assert codes(check_scheme_shares("major_illness_accident", Shares(D(40), D(40), D(19)))) == [
        "insurance.scheme.shares_not_100"
    ]


def test_i1_shares_forbidden_for_basic_medical():
    assert check_scheme_shares("basic_medical", None).ok
    assert codes(check_scheme_shares("basic_medical", Shares(D(40), D(40), D(20)))) == [
        "insurance.scheme.shares_forbidden"
    ]


def test_unknown_scheme_kind_is_an_error():
    with pytest.raises(InsuranceError) as e:
        check_scheme_shares("pension", None)
    assert e.value.code == "insurance.scheme.kind_unknown"


# --- I4 split ---------------------------------------------------------------------------------


def test_i4_split_of_round_shares():
    assert share_amounts(D("120.00"), Shares(D(40), D(40), D(20))) == ShareAmounts(
        D("48.00"), D("48.00"), D("24.00")
    )


def test_i4_split_rounds_city_and_district_and_gives_the_remainder_to_the_town():
    # 250 × 33.33% = 83.325 → 83.33 twice; the town takes 250 − 166.66 = 83.34
    a = share_amounts(D("250.00"), Shares(D("33.33"), D("33.33"), D("33.34")))
    assert a == ShareAmounts(D("83.33"), D("83.33"), D("83.34"))
    assert a.city + a.district + a.town == D("250.00")


def test_i4_split_never_leaves_the_town_negative():
    a = share_amounts(D("0.01"), Shares(D(50), D(50), D(0)))
    assert a == ShareAmounts(D("0.01"), D("0.00"), D("0.00"))


@pytest.mark.parametrize("premium", ["0.01", "0.03", "99.99", "150.00", "333.33", "1000.01"])
def test_i4_split_always_sums_exactly_and_never_negative(premium):
    p = D(premium)
    percents = [D(x) for x in ("0", "0.01", "12.5", "33.33", "33.34", "50", "66.67", "99.99")]
    for city, district in product(percents, repeat=2):
        town = D(100) - city - district
        if town < 0:
            continue
        a = share_amounts(p, Shares(city, district, town))
        assert a.city + a.district + a.town == p
        assert min(a.city, a.district, a.town) >= 0
        for amount, pct in ((a.city, city), (a.district, district), (a.town, town)):
            assert abs(amount - p * pct / 100) <= D("0.01")


def test_i4_split_refuses_bad_shares_or_premium():
    with pytest.raises(InsuranceError) as e:
        share_amounts(D("100.00"), Shares(D(40), D(40), D("19.99")))
    assert e.value.code == "insurance.scheme.shares_not_100"
    with pytest.raises(InsuranceError) as e:
        share_amounts(D("100.005"), Shares(D(40), D(40), D(20)))
    assert e.value.code == "insurance.scheme.premium_invalid"


# --- I2 roster --------------------------------------------------------------------------------


def test_i2_first_generation_adds_everyone():
    assert roster_diff({}, {"a", "b"}) == RosterDiff(
        frozenset({"a", "b"}), frozenset(), frozenset(), frozenset()
    )


def test_i2_generating_twice_changes_nothing():
    existing = {"a": "pending", "b": "confirmed", "c": "rejected"}
    d = roster_diff(existing, {"a", "b", "c"})
    assert d.unchanged == {"a", "b", "c"} and not (d.added or d.withdrawn or d.flagged)


def test_i2_pending_row_no_longer_eligible_is_withdrawn():
    d = roster_diff({"a": "pending"}, set())
    assert d.withdrawn == {"a"} and not d.unchanged


def test_i2_confirmed_row_no_longer_eligible_is_flagged_not_removed():
    d = roster_diff({"a": "confirmed"}, set())
    assert d.flagged == {"a"} and not d.withdrawn


def test_i2_rejected_row_stays_as_it_is_eligible_or_not():
    assert roster_diff({"a": "rejected"}, set()).unchanged == {"a"}
    assert roster_diff({"a": "rejected"}, {"a"}).unchanged == {"a"}


def test_i2_withdrawn_row_eligible_again_is_added_back():
    assert roster_diff({"a": "withdrawn"}, {"a"}).added == {"a"}
    assert roster_diff({"a": "withdrawn"}, set()).unchanged == {"a"}


def test_i2_mixed_refresh_partitions_every_key_once():
    existing = {"p": "pending", "c": "confirmed", "r": "rejected", "w": "withdrawn", "q": "pending"}
    d = roster_diff(existing, {"q", "w", "new"})
    assert d == RosterDiff(
        added=frozenset({"new", "w"}),
        withdrawn=frozenset({"p"}),
        unchanged=frozenset({"r", "q"}),
        flagged=frozenset({"c"}),
    )


def test_i2_unknown_row_state_is_an_error():
    with pytest.raises(InsuranceError) as e:
        roster_diff({"a": "paid"}, set())
    assert e.value.code == "insurance.roster.state_unknown"


# --- I3 confirmations -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "new", "result"),
    [
        ("pending", "confirmed", "ok"),
        ("pending", "rejected", "ok"),
        ("confirmed", "confirmed", "already_in_state"),
        ("rejected", "rejected", "already_in_state"),
        ("rejected", "confirmed", "ok"),
        ("confirmed", "rejected", "ok"),
        ("withdrawn", "confirmed", "row_withdrawn"),
        ("pending", "pending", "invalid_state"),
        ("pending", "paid", "invalid_state"),
    ],
)
def test_i3_confirmation_results(current, new, result):
    assert check_confirmation(current, new) == result


def test_i3_unknown_current_state_is_an_error():
    with pytest.raises(InsuranceError):
        check_confirmation("paid", "confirmed")
