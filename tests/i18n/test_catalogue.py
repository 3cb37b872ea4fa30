"""The Chinese catalogue covers every error code the app can raise, and only those.

The codes are found statically (tests/i18n/codescan.py): a new code, or a new English sentence
with facts, fails here until app/i18n/zh.toml translates it.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from app.i18n import Catalogue, _pattern, catalogue
from tests.i18n.codescan import SAMPLE, placeholders, scan

CATALOGUE = Path(__file__).resolve().parents[2] / "app" / "i18n" / "zh.toml"
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def found():
    return scan()


@pytest.fixture(scope="module")
def raw() -> dict:
    with CATALOGUE.open("rb") as f:
        return tomllib.load(f)


def test_scan_resolves_every_code_argument(found):
    """Every place that passes an error code passes one the scan can read (a literal, an
    f-string over literal arguments, a dict of literals, or the `.code` of an error already
    coded); a new way of making codes must be taught to the scan (or to DYNAMIC)."""
    assert found.unresolved == []


def test_scan_finds_the_error_families(found):
    """The scan would silently find nothing if the families it starts from were renamed."""
    for family in ("DomainError", "Unprocessable", "PolicyError", "Refusal", "RowError",
                   "TokenError", "FileError", "app/errors.py::problem"):
        assert family in found.families
    assert len(found.codes) > 300  # about 210 of the app's own codes and 110 of pydantic's
    for code in ("household.exit.signature_required", "field.string_too_long", "id_number.county",
                 "dibao.approval.publicity_not_ended", "import.file.missing_columns",
                 "household.return.no_assessment", "town.not_found", "http.method_not_allowed"):
        assert code in found.codes, code


def test_every_exception_carrying_a_code_is_a_known_family(found):
    """An exception class with its own `code` outside the families would escape the scan."""
    import ast

    from tests.i18n.codescan import APP

    loose = []
    for path in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and node.name not in found.families:
                sets_code = any(isinstance(t, ast.Attribute) and t.attr == "code"
                                and isinstance(t.value, ast.Name) and t.value.id == "self"
                                for n in ast.walk(node) if isinstance(n, ast.Assign)
                                for t in n.targets)
                if sets_code:
                    loose.append(f"{path}:{node.name}")
    assert loose == []


def _skeleton(found, codes: list[str]) -> str:
    """The TOML to fill in for `codes`: where each is raised, its sentences as patterns."""
    out = []
    for c in codes:
        out.append(f'\n# {", ".join(found.codes[c][:3])}\n[codes."{c}"]\nzh = ""  # {sorted(found.fixed.get(c, []))}')
        for sample in sorted(found.sentences.get(c, ())):
            parts = sample.split(SAMPLE)
            pattern = parts[0] + "".join(f"{{fact{i}}}{p}" for i, p in enumerate(parts[1:], 1))
            out.append(f'en."{pattern.replace(chr(34), chr(92) + chr(34))}" = ""')
    return "\n".join(out)


def test_every_code_the_app_raises_has_chinese_text(found):
    missing = sorted(c for c in found.codes if c not in catalogue().entries)
    assert missing == [], "add to app/i18n/zh.toml:\n" + _skeleton(found, missing)


def test_every_catalogue_entry_is_raised_somewhere(found):
    dead = sorted(c for c in catalogue().entries if c not in found.codes)
    assert dead == []


def test_every_english_sentence_with_facts_keeps_its_facts_in_chinese(found):
    """An f-string raised under a code matches one of the code's `en` patterns, so the Chinese
    sentence carries the same amounts, dates and numbers."""
    cat = catalogue()
    untranslated = []
    for code, samples in sorted(found.sentences.items()):
        entry = cat.entries.get(code)
        for s in sorted(samples):
            bare = re.sub(r"^\S{1,12} \([^()]{1,20}\): ", "", s)
            if entry is None or not any(p.match(s) or p.match(bare) for p, _zh in entry.variants):
                untranslated.append(f"{code}: {s}")
    assert untranslated == [], "add `en` patterns (a {name} for each «x») to app/i18n/zh.toml"


def test_chinese_templates_use_only_the_facts_their_pattern_captures(raw):
    for code, spec in raw["codes"].items():
        for en, zh in spec.get("en", {}).items():
            assert placeholders(zh) <= placeholders(en), (code, en)
            _pattern(en)  # compiles


def test_rule_ids_and_clauses_in_an_english_pattern_stay_in_its_chinese(raw):
    rule = re.compile(r"\b[A-Z]\d{1,2}\b|§\d")
    for code, spec in raw["codes"].items():
        for en, zh in spec.get("en", {}).items():
            assert set(rule.findall(en)) <= set(rule.findall(zh)), (code, en)
            for clause in re.findall(r"clause ([一二三四五六七八九十]+)", en):
                assert clause in zh, (code, en)


def test_every_text_is_simplified_chinese(raw):
    """Officers read simplified characters: OpenCC's traditional-to-simplified conversion
    leaves every text as it is (the policy's own text, quoted in English sentences, is
    traditional; the catalogue gives it simplified)."""
    import opencc

    t2s = opencc.OpenCC("t2s")
    texts = [spec["zh"] for spec in raw["codes"].values()]
    texts += [zh for spec in raw["codes"].values() for zh in spec.get("en", {}).values()]
    texts += list(raw["status"].values()) + list(raw["terms"].values())
    for t in texts:
        assert HAN.search(t), t
        assert t2s.convert(t) == t, t


def test_every_status_the_app_answers_has_a_chinese_title(raw):
    from app.errors import _HTTP_CODES

    for status in (*_HTTP_CODES, 409, 412, 422, 428, 429, 500):
        assert str(status) in raw["status"]


def test_a_pattern_carries_the_facts_into_chinese():
    assert catalogue().text("member.id_number_taken",
                            "ID number 3212**********1234 belongs to a current member of "
                            "household 7f3c.") == "身份证号码 3212**********1234 已是农户 7f3c 的在册成员。"


def test_a_rule_and_clause_prefix_stays_visible_in_chinese():
    text = catalogue().text("household.exit.publicity_too_short",
                            "R6 (八): publicity 2026-03-01..2026-03-05 is 5 days, fewer than 7")
    assert text == "R6（八）：公示期 2026-03-01 至 2026-03-05 共 5 天，少于 7 天"


def test_an_unmatched_sentence_gets_the_fixed_chinese_sentence():
    assert catalogue().text("household.not_found", "Something else entirely.") == \
        "该低收入农户不存在或不在您的管辖范围内。"


def test_params_fill_the_fixed_template_and_a_missing_one_falls_back_to_the_title():
    cat = Catalogue({"status": {"422": "无法处理的数据"},
                     "codes": {"x.y": {"zh": "金额 {amount} 元超过上限。"}}})
    assert cat.text("x.y", "Amount 5 is over.", {"amount": "5.00"}) == "金额 5.00 元超过上限。"
    assert cat.text("x.y", "Amount 5 is over.") == "无法处理的数据"


def test_an_unknown_code_is_answered_with_the_status_title():
    assert catalogue().text("no.such.code", "whatever", status=404) == "未找到"


def test_a_sample_is_what_the_scan_substitutes():
    assert _pattern("Region {code} does not exist.").match(f"Region {SAMPLE} does not exist.")


# pydantic context left out of the Chinese on purpose: Python class names, and the parser's
# English account of why a UUID does not parse (the Chinese says it is not a valid UUID)
INTERNAL_CONTEXT = {"model_type", "dataclass_type", "named_tuple_type", "uuid_parsing"}


def test_every_pydantic_error_reads_back_in_chinese_from_its_english_message():
    """An import stores a row's pydantic message without its context: the Chinese is rebuilt
    from the English sentence (pydantic's own template), facts included, for every type."""
    import typing

    from pydantic_core import PydanticKnownError, core_schema

    from app.i18n import _pydantic_templates

    cat = catalogue()
    for t in typing.get_args(core_schema.ErrorType):
        code = {"missing": "field.required", "extra_forbidden": "field.unknown"}.get(t, f"field.{t}")
        ctx = {k: "7" if "{" + k + "}" in _pydantic_templates()[t] else None
               for k in placeholders(_pydantic_templates()[t])}
        ctx = {k: v for k, v in ctx.items() if v is not None and k != "expected_plural"}
        for _ in range(len(ctx) + 1):
            try:
                english = PydanticKnownError(t, ctx or None).message()
                break
            except TypeError as e:  # a numeric context: pydantic wants an int
                ctx[re.search(r"'(\w+)'", str(e)).group(1)] = 7
        text = cat.text(code, english)
        assert text != cat.title(422), (t, english)
        assert "{" not in text, (t, text)
        if ctx and t not in INTERNAL_CONTEXT:
            assert "7" in text, (t, english, text)


def test_a_stored_pydantic_message_keeps_its_limit_in_chinese():
    assert catalogue().text("field.string_too_long", "String should have at most 64 characters") \
        == "最多 64 个字符。"


SYNTHETIC = '''
class DomainError(Exception):
    code: str = "error"

    def __init__(self, code=None, detail="", **kw):
        self.code = code or self.code


class Unprocessable(DomainError):
    pass


def field_error(loc, code, msg):
    return Unprocessable(code, msg, errors=[{"loc": loc, "msg": msg, "code": code}])


def not_found(what):
    raise Unprocessable(f"{what}.not_found", f"No such {what}.")


def handler(x, y):
    raise field_error(["body", "x"], "widget.too_big", f"{x} is over {y}")


def callers():
    not_found("widget")
    not_found("gadget")


def dynamic(e, anything):
    raise Unprocessable(e.code, e.detail)  # passed through: coded where it was made
    raise Unprocessable(anything.lower(), "who knows")
'''


def test_the_scan_finds_a_new_code_however_it_is_made(tmp_path):
    """A code added later, directly, through a wrapper or as an f-string over a helper's
    argument, is found; a code the scan cannot read is reported, never skipped."""
    root = tmp_path / "app"
    root.mkdir()
    (root / "mod.py").write_text(SYNTHETIC)
    got = scan(root)
    assert {"error", "widget.too_big", "widget.not_found", "gadget.not_found"} <= set(got.codes)
    assert got.sentences["widget.too_big"] == {f"{SAMPLE} is over {SAMPLE}"}
    assert got.sentences["widget.not_found"] == {f"No such {SAMPLE}."}
    assert [u.split(": ", 1)[1] for u in got.unresolved] == ["anything.lower()"]


def test_a_system_word_carried_as_a_fact_is_said_in_chinese():
    cat = catalogue()
    assert cat.text("household.lifecycle.invalid_transition",
                    "R6 (八): cannot exit a household that is removed") == "R6（八）：已注销的农户不能脱贫退出"
    assert cat.text("dibao.case.invalid_transition",
                    "cannot approve a case that is applied (D5, clause 十四); allowed: record_check, reject") \
        == "已申请的案件不能审批（D5，第十四条）；可进行的操作：登记核查结果、不予批准"
    # a fact that is not one of the system's words (a name, a code) stays as it is
    assert cat.text("region.exists", "Region village already exists.") == "区划 村 已存在。"
    assert cat.text("region.exists", "Region 321283100201 already exists.") == "区划 321283100201 已存在。"


def test_every_value_the_rules_carry_as_a_word_has_a_chinese_term(raw):
    """Region levels, R6 events and statuses, pairing and helper kinds, dibao states, actions
    and checks, insurance kinds: each has its Chinese word."""
    from app.models.regions import LEVELS
    from app.policy import dibao_case, insurance, lifecycle, pairings

    words = {*LEVELS, *lifecycle.KINDS, *lifecycle._STATUS_AFTER.values(), *pairings.PAIRING_KINDS,
             *{k for ks in pairings.HELPER_KINDS_OF_KIND.values() for k in ks},
             *dibao_case.STATES, *dibao_case.ACTIONS, *dibao_case.CHECK_KINDS,
             *insurance.SCHEME_KINDS}
    assert words - set(raw["terms"]) == set()
