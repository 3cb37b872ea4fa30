"""Search criteria → conditions over mapped attributes (pure): edges of operators and values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.dci import query as q


def group(**kw):
    row = {"household_id": "h", "location": "321283100201", "status": "registered",
           "retained": False, "support_type": "relief", "group_size": Decimal(3),
           "dibao_covered": False, "poverty_score": Decimal("6000.00"),
           "registration_date": date(2016, 3, 1)}
    row.update(kw)
    return row


def test_location_matches_any_region_level_by_prefix():
    for code, hit in (("321200000000", True), ("321283000000", True), ("321283100000", True),
                      ("321283100201", True), ("321283100202", False), ("321282000000", False),
                      ("3212", True)):
        tree = q.parse_expression({"location": code})
        assert q.matches(tree, group(), []) is hit, code


def test_poverty_score_at_the_threshold():
    assert q.matches(q.parse_expression({"poverty_score": {"$lt": 6000}}), group(), []) is False
    assert q.matches(q.parse_expression({"poverty_score": {"$lte": "6000.00"}}), group(), [])
    assert not q.matches(q.parse_expression({"poverty_score": {"$lt": 7000}}),
                         group(poverty_score=None), [])


def test_retained_is_also_exited_and_exited_is_not_retained_after_retention():
    retained = group(status="exited", retained=True)
    after = group(status="exited", retained=False)
    assert q.matches(q.parse_expression({"status": "exited"}), retained, [])
    assert q.matches(q.parse_expression({"status": "retained"}), retained, [])
    assert not q.matches(q.parse_expression({"status": "retained"}), after, [])
    assert q.matches(q.parse_expression({"status": {"$ne": "retained"}}), after, [])
    assert q.matches(q.parse_expression({"status": {"$in": ["removed", "retained"]}}), retained, [])


def test_member_attributes_hold_when_some_member_holds_them():
    members = [{"age": Decimal(60), "gender": "male"}, {"age": Decimal(7), "gender": "female"}]
    tree = q.parse_predicate([{"seq_num": 1, "expression1": {
        "attribute_name": "age", "operator": "lt", "attribute_value": 8}, "condition": "not",
        "expression2": {"attribute_name": "gender", "operator": "eq", "attribute_value": "male"}}])
    # some member is under 8 and NOT (some member is male): false, the head is male
    assert not q.matches(tree, group(), members)
    assert q.matches(q.parse_expression({"$or": [{"age": {"$gt": 59}}, {"dibao": True}]}),
                     group(), members)


@pytest.mark.parametrize("bad", [
    {"shoe_size": 1}, {"age": {"$regex": "1"}}, {"$nor": [{"age": 1}]}, {"age": "old"},
    {"age": True}, {"location": "32128x"}, {"district": "3212831"}, {"gender": "other"},
    {"registration_date": {"$gt": "2016-02-30"}}, {"age": {"$in": []}}, {"poverty_score": "NaN"},
    {"location": {"$gt": "321283"}}, {}])
def test_unknown_or_malformed_criteria_are_search_criteria_invalid(bad):
    with pytest.raises(q.QueryError) as e:
        q.parse_expression(bad)
    assert e.value.code == "rjct.search_criteria.invalid"


def test_page_bounds():
    assert q.page_of({"page_size": 500, "page_number": 1}, 500, 100) == (500, 1)
    assert q.page_of(None, 500, 100) == (100, 1)
    for bad in ({"page_size": 501}, {"page_size": 0}, {"page_size": 2, "page_number": 0},
                {"page_size": 2.5}, {"page_size": True}, {"page_number": 2}):
        with pytest.raises(q.QueryError) as e:
            q.page_of(bad, 500, 100)
        assert e.value.code == "rjct.pagination.invalid"


def test_sort_puts_missing_values_last_in_either_order():
    rows = [{"household_id": "b", "poverty_score": None}, {"household_id": "a", "poverty_score": 2},
            {"household_id": "c", "poverty_score": 5}]
    for desc, order in ((False, ["a", "c", "b"]), (True, ["c", "a", "b"])):
        assert [r["household_id"] for r in q.sort_rows(rows, [("poverty_score", desc)],
                                                       "household_id")] == order
    with pytest.raises(q.QueryError):
        q.parse_sort([{"attribute_name": "poverty_score", "sort_order": "up"}], "Group")


def test_age_of_a_29_february_birthday_turns_on_1_march_in_common_years():
    from app.dci.records import age_on
    born = date(2008, 2, 29)
    assert age_on(born, date(2009, 2, 28)) == 0
    assert age_on(born, date(2009, 3, 1)) == 1
    assert age_on(born, date(2012, 2, 29)) == 4
