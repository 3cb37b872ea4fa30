"""Synthetic registers for demos and benchmarks (bench/gen.py, `xiaokang demo`): towns and
villages in all six 市(區), households of plausible families (head, spouse, children, parents,
now and then grandchildren) with valid GB 11643 numbers, and yearly incomes at or below the
R1 line. Deterministic for a seed; written as a stream, whatever the size.

Towns come from `../shared/data/taizhou-towns-2022.csv` (the NBS 2022 list) when it exists beside
the project, else from a small built-in list. The file is read, never copied."""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from stdnum.cn import ric

SHARED_TOWNS = Path(__file__).resolve().parents[3] / "shared" / "data" / "taizhou-towns-2022.csv"
# Two towns of each 市(區) (codes and names as the NBS publishes them).
BUILTIN_TOWNS = [
    ("321202001", "城东街道"), ("321202002", "城西街道"), ("321203001", "口岸街道"),
    ("321203002", "刁铺街道"), ("321204001", "罗塘街道"), ("321204002", "三水街道"),
    ("321281001", "昭阳街道"), ("321281002", "临城街道"), ("321282001", "靖城街道"),
    ("321282101", "新桥镇"), ("321283001", "济川街道"), ("321283002", "延令街道"),
]
HOUSEHOLD_HEADER = [
    "household_key", "village_code", "group", "registered_on", "cause_main", "cause_others",
    "assessment_year", "wage_income", "business_income", "property_income", "transfer_income",
    "production_costs", "name", "id_number", "relation", "labour_capacity", "health",
    "disability_category", "disability_grade", "in_school", "stable_nonfarm_employment"]
VILLAGE_HEADER = ["village_code", "village_name", "town_code", "town_name"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = ["建国", "秀英", "桂兰", "国强", "玉兰", "志明", "春梅", "海燕", "德华", "小红", "文军",
         "丽娟", "永福", "凤英", "金宝", "子涵", "浩然", "欣怡", "宇轩", "雨萱", "家豪", "梓萱"]
CAUSES = ["illness", "disability", "schooling", "disaster", "skills", "capital", "labour", "drive"]
REFERENCE_DAY = date(2016, 1, 1)  # ages are those at registration (2016)


def towns(limit_per_district: int | None = None) -> list[tuple[str, str]]:
    """(9-digit code, name) of the towns to use, all six 市(區) represented."""
    rows = BUILTIN_TOWNS
    if SHARED_TOWNS.exists():
        with open(SHARED_TOWNS, encoding="utf-8") as f:
            rows = [(r["code"], r["name"]) for r in csv.DictReader(f)]
    if limit_per_district:
        seen: dict[str, int] = {}
        kept = []
        for code, name in rows:
            if seen.get(code[:6], 0) < limit_per_district:
                seen[code[:6]] = seen.get(code[:6], 0) + 1
                kept.append((code, name))
        rows = kept
    return rows


@dataclass(frozen=True)
class Village:
    code: str
    name: str
    town_code: str
    town_name: str


def villages(per_town: int, towns_per_district: int | None = None) -> list[Village]:
    out = []
    for code, name in towns(towns_per_district):
        for v in range(per_town):
            out.append(Village(f"{code}{201 + v:03d}", f"{name}第{v + 1}村", code + "000", name))
    return out


class _Numbers:
    """Unique valid ID numbers: a counter per (county, birth date) gives the sequence, its
    parity the sex (GB 11643: odd is male). Memory is bounded by the dates, not the people."""

    def __init__(self) -> None:
        self.next: dict[tuple[str, date], list[int]] = {}

    def issue(self, rnd: random.Random, county: str, lo: int, hi: int, male: bool) -> str:
        while True:
            born = REFERENCE_DAY - timedelta(days=rnd.randint(lo * 365, hi * 365 + 364))
            counters = self.next.setdefault((county, born), [0, 0])
            n = counters[male]
            if n < 500:
                counters[male] = n + 1
                body = f"{county}{born:%Y%m%d}{n * 2 + male:03d}"
                return body + ric.calc_check_digit(body + "0")


def _labour(age: int, rnd: random.Random) -> str:
    if age < 16:
        return "none"
    if age > 70:
        return rnd.choice(["lost", "none", "partial"])
    return rnd.choices(["ordinary", "skilled", "partial", "lost"], [60, 15, 20, 5])[0]


def household_rows(n_households: int | None, vills: list[Village], seed: int = 7,
                   members: int | None = None) -> Iterator[list[str]]:
    """Rows of a households file (HOUSEHOLD_HEADER), one per member, household by household:
    `n_households` of them, or as many as make `members` rows (the last household complete)."""
    rnd = random.Random(seed)
    numbers = _Numbers()
    written = 0
    i = -1
    while True:
        i += 1
        if (n_households is not None and i >= n_households) or (
                members is not None and written >= members):
            return
        v = vills[i % len(vills)] if i < len(vills) else rnd.choice(vills)
        county = v.code[:6]
        surname = rnd.choice(SURNAMES)
        head_age = rnd.randint(30, 75)
        head_male = rnd.random() < 0.8
        people = [("02", head_age, head_male)]
        if rnd.random() < 0.75:
            people.append(("10", max(20, head_age + rnd.randint(-5, 3)), not head_male))
        if head_age < 65:
            for _ in range(rnd.choices([0, 1, 2, 3], [25, 35, 30, 10])[0]):
                male = rnd.random() < 0.5
                people.append(("20" if male else "30", rnd.randint(0, min(25, head_age - 20)), male))
        if head_age < 55 and rnd.random() < 0.35:
            people.append(("51", head_age + rnd.randint(22, 30), True))
            if rnd.random() < 0.7:
                people.append(("52", head_age + rnd.randint(20, 28), False))
        if head_age > 60 and rnd.random() < 0.3:
            male = rnd.random() < 0.5
            people.append(("41" if male else "42", rnd.randint(1, 14), male))
        persons = len(people)
        per_capita = rnd.randint(2500, 6950)  # at or below the 7,000 line (R1)
        net = per_capita * persons
        wage = net * rnd.randint(30, 70) // 100
        business = net * rnd.randint(0, 20) // 100
        prop = net * rnd.randint(0, 3) // 100
        costs = rnd.randint(0, 800)
        transfer = net - wage - business - prop + costs
        registered = date(2016, 3, 1) + timedelta(days=rnd.randint(0, 270))
        cause = rnd.choice(CAUSES)
        others = rnd.sample([c for c in CAUSES if c != cause], rnd.randint(0, 2))
        key = f"{v.code}-{i:07d}"
        common = [key, v.code, f"{rnd.randint(1, 12)}组", registered.isoformat(), cause,
                  ";".join(others), "2015", f"{wage}.00", f"{business}.00", f"{prop}.00",
                  f"{transfer}.00", f"{costs}.00"]
        written += len(people)
        for relation, age, male in people:
            health = rnd.choices(["healthy", "chronic", "serious_illness", "disabled"],
                                 [60, 25, 10, 5])[0]
            cat, grade = (str(rnd.randint(1, 7)), str(rnd.randint(1, 4))) if health == "disabled" \
                else ("", "")
            labour = _labour(age, rnd)
            number = numbers.issue(rnd, county, age, age, male)
            given = rnd.choice(GIVEN)
            yield [*common, surname + given if relation in ("02", "20", "30", "41", "42", "51")
                   else rnd.choice(SURNAMES) + given, number, relation, labour, health, cat, grade,
                   "1" if 6 <= age <= 22 and rnd.random() < 0.8 else "0",
                   "1" if labour in ("ordinary", "skilled") and rnd.random() < 0.2 else "0"]


def write_households(path: Path, n_households: int | None, vills: list[Village], seed: int = 7,
                     members: int | None = None) -> int:
    """Write a households CSV (UTF-8); answers the number of member rows."""
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(HOUSEHOLD_HEADER)
        for row in household_rows(n_households, vills, seed, members):
            w.writerow(row)
            n += 1
    return n


def write_villages(path: Path, vills: list[Village]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(VILLAGE_HEADER)
        for v in vills:
            w.writerow([v.code, v.name, v.town_code, v.town_name])
