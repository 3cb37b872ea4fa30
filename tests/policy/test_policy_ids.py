"""Resident ID numbers (POLICY.md section 2, GB 11643): every failure has its own code."""

from datetime import date

import pytest
from stdnum.cn import ric

from app.policy.errors import InvalidIdNumber, PolicyError
from app.policy.ids import (
    ParsedId,
    county_code_exists,
    is_valid_id_number,
    mask_id,
    parse_id_number,
)

# Computed once with stdnum.cn.ric.calc_check_digit and pasted: known-valid numbers.
WANG_1966 = "321283196605120019"  # 泰興, born 1966-05-12, male
ELDER_1946 = "321283194603010028"  # 泰興 code (from 1996) for a woman born 1946
YANGZHOU_ERA = "321025195001010039"  # 321025 泰興縣 under 揚州 (1983-1992)
JIANGYAN_LEAP = "321284200002290022"  # 321284 姜堰市 (1996-2012), born 29 Feb 2000
WITH_X = "32128319800101103X"


def with_check_digit(first17: str) -> str:
    """A valid number from 17 digits, using the same GB 11643 function the code uses."""
    return first17 + ric.calc_check_digit(first17 + "0")


def test_known_valid_numbers_match_the_check_digit_helper():
    for number in (WANG_1966, ELDER_1946, YANGZHOU_ERA, JIANGYAN_LEAP, WITH_X):
        assert with_check_digit(number[:17]) == number


def test_valid_number_parses_birth_date_sex_and_county():
    assert parse_id_number(WANG_1966) == ParsedId(
        number=WANG_1966, birth_date=date(1966, 5, 12), sex="male", county_code="321283"
    )


def test_even_17th_digit_is_female():
    assert parse_id_number(ELDER_1946).sex == "female"


def test_eighty_year_old_born_1946_with_county_321283_is_accepted():
    # stdnum's own validate() would refuse: 321283 was created in 1996, after the birth.
    assert not ric.is_valid(ELDER_1946)
    parsed = parse_id_number(ELDER_1946, on=date(2026, 3, 1))
    assert parsed.birth_date == date(1946, 3, 1) and parsed.county_code == "321283"


def test_old_yangzhou_era_3210xx_code_is_accepted():
    assert parse_id_number(YANGZHOU_ERA).county_code == "321025"
    assert parse_id_number(with_check_digit("32102419700101001")).county_code == "321024"


def test_jiangyan_321284_code_from_before_2012_is_accepted():
    assert parse_id_number(JIANGYAN_LEAP).birth_date == date(2000, 2, 29)


@pytest.mark.parametrize(
    "code",
    [
        "321283",
        "321284",
        "321202",
        "321203",
        "321204",
        "321281",
        "321282",
        "321200",
        "321271",
        "321024",
        "321025",
        "321011",
    ],
)
def test_taizhou_and_yangzhou_era_county_codes_exist(code):
    assert county_code_exists(code)


@pytest.mark.parametrize("code", ["999999", "321299", "000000", "32128", "3212a3"])
def test_unknown_county_codes_do_not_exist(code):
    assert not county_code_exists(code)


def test_lowercase_x_is_accepted_and_normalised():
    parsed = parse_id_number(WITH_X.lower())
    assert parsed.number == WITH_X


def test_surrounding_spaces_are_ignored():
    assert parse_id_number(f" {WANG_1966} ").number == WANG_1966


def test_wrong_check_digit_is_refused():
    with pytest.raises(InvalidIdNumber) as err:
        parse_id_number(WANG_1966[:17] + "8")
    assert err.value.code == "id_number.check_digit"
    assert isinstance(err.value, PolicyError)


def test_api_example_number_has_a_wrong_check_digit():
    with pytest.raises(InvalidIdNumber) as err:
        parse_id_number("321283196605120018")
    assert err.value.code == "id_number.check_digit"


@pytest.mark.parametrize("number", [WANG_1966[:17], WANG_1966 + "1", "", "3212831966051200"])
def test_wrong_length_is_refused(number):
    with pytest.raises(InvalidIdNumber) as err:
        parse_id_number(number)
    assert err.value.code == "id_number.length"


@pytest.mark.parametrize(
    "number",
    [
        "32128319660512001A",
        "3212831966O5120019",
        "X21283196605120019",
        "32128319660512-019",
        "３21283196605120019",
    ],
)
def test_letters_and_other_characters_are_a_format_error(number):
    with pytest.raises(InvalidIdNumber) as err:
        parse_id_number(number)
    assert err.value.code == "id_number.format"


def test_february_31_is_not_a_birth_date():
    with pytest.raises(InvalidIdNumber) as err:
        parse_id_number(with_check_digit("32128319800231001"))
    assert err.value.code == "id_number.birth_date"


def test_february_29_in_a_common_year_is_not_a_birth_date():
    with pytest.raises(InvalidIdNumber) as err:
        parse_id_number(with_check_digit("32128320010229001"))
    assert err.value.code == "id_number.birth_date"


def test_birth_date_before_1880_is_refused_and_1880_accepted():
    with pytest.raises(InvalidIdNumber) as err:
        parse_id_number(with_check_digit("32128318791231001"))
    assert err.value.code == "id_number.birth_date"
    assert parse_id_number(with_check_digit("32128318800101001")).birth_date == date(1880, 1, 1)


def test_birth_date_after_the_given_date_is_refused():
    number = with_check_digit("32128320180301001")
    with pytest.raises(InvalidIdNumber) as err:
        parse_id_number(number, on=date(2018, 2, 28))
    assert err.value.code == "id_number.birth_date"
    assert parse_id_number(number, on=date(2018, 3, 1)).birth_date == date(2018, 3, 1)
    assert parse_id_number(number).birth_date == date(2018, 3, 1)  # no date given: no check


def test_county_code_that_never_existed_is_refused():
    with pytest.raises(InvalidIdNumber) as err:
        parse_id_number(with_check_digit("99999919800101001"))
    assert err.value.code == "id_number.county"


def test_is_valid_id_number():
    assert is_valid_id_number(WANG_1966)
    assert not is_valid_id_number(WANG_1966[:17] + "8")


def test_mask_keeps_first_six_and_last_four():
    assert mask_id(WITH_X) == "321283********103X"
    assert mask_id(WANG_1966) == "321283********0019"
    assert mask_id(WITH_X.lower()) == "321283********103X"


def test_mask_of_a_malformed_number_hides_everything():
    assert mask_id("12345") == "*****"
