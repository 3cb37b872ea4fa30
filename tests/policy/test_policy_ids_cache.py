"""The county-code check is cached for bulk imports: the cached answer is the database's."""

from app.policy import ids


def test_county_code_answer_is_the_same_when_asked_again_from_the_cache():
    ids.county_code_exists.cache_clear()
    assert ids.county_code_exists("321283") is True
    assert ids.county_code_exists("999999") is False
    assert ids.county_code_exists("321283") is True
    assert ids.county_code_exists("999999") is False
    assert ids.county_code_exists.cache_info().hits == 2
