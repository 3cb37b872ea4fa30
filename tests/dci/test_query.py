"""Search criteria → a condition tree over mapped attributes (pure): what is refused, and why.
What the conditions select is tested against the REST answers in test_selection.py."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.dci import query as q


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
                {"page_size": 2.5}, {"page_size": True}, {"page_number": 2},
                {"page_size": 2, "page_number": q.MAX_PAGE_NUMBER + 1}):
        with pytest.raises(q.QueryError) as e:
            q.page_of(bad, 500, 100)
        assert e.value.code == "rjct.pagination.invalid"


def test_sort_by_an_unknown_attribute_or_order_is_sort_invalid():
    assert q.parse_sort([{"attribute_name": "age", "sort_order": "desc"}], "Member") == [
        ("age", True)]
    for bad, entity in (([{"attribute_name": "poverty_score", "sort_order": "up"}], "Group"),
                        ([{"attribute_name": "age"}], "Group"), ({"attribute_name": "age"},
                                                                 "Member")):
        with pytest.raises(q.QueryError) as e:
            q.parse_sort(bad, entity)
        assert e.value.code == "rjct.sort.invalid"


def test_age_of_a_29_february_birthday_turns_on_1_march_in_common_years():
    from app.dci.records import age_on
    born = date(2008, 2, 29)
    assert age_on(born, date(2009, 2, 28)) == 0
    assert age_on(born, date(2009, 3, 1)) == 1
    assert age_on(born, date(2012, 2, 29)) == 4


def test_region_values_are_their_significant_prefixes_and_districts_six_digits():
    assert q.compare("location", "eq", "321283000000").value == "321283"
    assert q.compare("region_code", "in", ["321200000000", "321283100201"]).value == (
        "3212", "321283100201")
    assert q.compare("district", "eq", "321283000000").value == "321283"
    assert q.compare("age", "gt", "60.5").value == Decimal("60.5")
    assert q.compare("dibao", "eq", "true").value is True
