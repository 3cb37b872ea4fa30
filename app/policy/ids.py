"""Resident ID numbers (GB 11643, 18 digits), POLICY.md section 2.

The first six digits are the county where the number was *first issued*, which for the elderly can
be decades after their birth. python-stdnum's `cn.ric.validate` / `get_birth_place` reject a
number whose county code was created after the birth year, which would turn away most people born
before 1996 in Taizhou (泰州 and its codes 3212xx date from 1996). So we use stdnum only for the
check digit, the birth date and the *existence* of the county code in its 'cn/loc' database,
ignoring that database's year ranges: a code that exists or ever existed is accepted, the old
3210xx 揚州-era codes (321024 靖江縣, 321025 泰興縣...) and 321284 (姜堰市 until 2012) included.
All codes POLICY.md names for ID numbers are in stdnum's database, so no province-level fallback
is needed; the one addition is 321271 (醫藥高新區), a Taizhou statistical code POLICY.md lists
that the database lacks.
15-digit first-generation numbers are not accepted: the register stores 18-digit numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from stdnum import numdb
from stdnum.cn import ric

from app.policy.errors import InvalidIdNumber

EARLIEST_BIRTH_DATE = date(1880, 1, 1)
# Taizhou codes POLICY.md names that stdnum's 'cn/loc' database does not carry.
EXTRA_COUNTY_CODES = frozenset({"321271"})

_FORMAT = re.compile(r"[0-9]{17}[0-9X]")


@dataclass(frozen=True, slots=True)
class ParsedId:
    """A valid ID number (upper-case X) with what derives from it: birth date, sex, county."""

    number: str
    birth_date: date
    sex: str
    county_code: str


# Cached: the lookup in stdnum's database costs ~30 µs, six times the rest of the check, and a
# bulk import asks it for the same few dozen codes a million times.
@lru_cache(maxsize=4096)
def county_code_exists(code: str) -> bool:
    """Section 2: the 6-digit county code exists or existed (stdnum 'cn/loc', years ignored)."""
    if code in EXTRA_COUNTY_CODES:
        return True
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return False
    return any("county" in props for _part, props in numdb.get("cn/loc").info(code))


def parse_id_number(number: str, *, on: date | None = None) -> ParsedId:
    """Section 2 (GB 11643): check length, format, check digit, birth date and county code.

    `on` is the date the birth date may not be after (the caller's "today"); without it only
    the 1880 floor applies. Surrounding spaces are ignored and a lower-case x is upper-cased.
    """
    n = number.strip().upper() if isinstance(number, str) else ""
    if len(n) != 18:
        raise InvalidIdNumber("id_number.length", f"an ID number has 18 characters, not {len(n)}")
    if not _FORMAT.fullmatch(n):
        raise InvalidIdNumber("id_number.format", "an ID number is 17 digits followed by a digit or X")
    expected = ric.calc_check_digit(n)
    if n[-1] != expected:
        raise InvalidIdNumber(
            "id_number.check_digit",
            f"check digit is {n[-1]}, GB 11643 gives {expected}",
        )
    try:
        # What ric.get_birth_date does, without its second clean-up of the number (already
        # checked above): a fifth of the cost of a bulk import's row.
        birth = date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    except ValueError:
        raise InvalidIdNumber("id_number.birth_date", f"{n[6:14]} is not a calendar date") from None
    if birth < EARLIEST_BIRTH_DATE:
        raise InvalidIdNumber("id_number.birth_date", f"birth date {birth.isoformat()} before 1880")
    if on is not None and birth > on:
        raise InvalidIdNumber(
            "id_number.birth_date",
            f"birth date {birth.isoformat()} is after {on.isoformat()}",
        )
    county = n[:6]
    if not county_code_exists(county):
        raise InvalidIdNumber("id_number.county", f"county code {county} never existed")
    sex = "male" if int(n[16]) % 2 == 1 else "female"
    return ParsedId(number=n, birth_date=birth, sex=sex, county_code=county)


def is_valid_id_number(number: str, *, on: date | None = None) -> bool:
    """Section 2: True when `parse_id_number` accepts the number."""
    try:
        parse_id_number(number, on=on)
    except InvalidIdNumber:
        return False
    return True


def mask_id(number: str) -> str:
    """Section 8/privacy: first 6 and last 4 characters, 8 stars between: 321283********123X."""
    n = number.strip().upper()
    if len(n) != 18:
        return "*" * len(n)
    return n[:6] + "*" * 8 + n[-4:]
