"""A5: own visits only, never dated after today."""

from datetime import date

from app.policy.field import check_visit, visit_helper

TODAY = date(2019, 3, 1)


def test_a_helper_user_records_their_own_visits_only():
    assert visit_helper("h1", None) == "h1"
    assert visit_helper("h1", "h2") == "h2"
    assert check_visit("h1", "h1", TODAY, TODAY).ok
    d = check_visit("h1", "h2", TODAY, TODAY)
    assert d.first_refusal.code == "household.visit.not_own" and d.first_refusal.reason.rule == "A5"


def test_an_officer_records_a_visit_for_any_helper_or_none():
    assert check_visit(None, "h2", TODAY, TODAY).ok
    assert check_visit(None, None, TODAY, TODAY).ok


def test_a_visit_today_is_accepted_and_tomorrow_refused():
    assert check_visit(None, None, TODAY, TODAY).ok
    assert check_visit(None, None, date(2019, 3, 2), TODAY).first_refusal.code \
        == "household.visit.date_in_future"
