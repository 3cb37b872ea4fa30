"""Cell values of the national forms turned into the API's values: Chinese labels of relations
(GB/T 4761), labour capacity, health, causes of poverty and yes/no. A value that is neither a
label nor a code is passed on unchanged, so the API's own validation refuses it with its code."""

from __future__ import annotations

import re

from app.imports.headers import fold

# GB/T 4761 家庭關係代碼 (the codes the register uses); 02 is the head.
RELATIONS = {
    "本人": "01", "户主": "02", "配偶": "10", "夫": "11", "妻": "12",
    "子": "20", "儿子": "20", "独生子": "21", "长子": "22", "次子": "23", "三子": "24", "四子": "25",
    "五子": "26", "养子": "27", "继子": "27", "养子或继子": "27", "女婿": "28", "其他儿子": "29",
    "女": "30", "女儿": "30", "独生女": "31", "长女": "32", "次女": "33", "三女": "34", "四女": "35",
    "五女": "36", "养女": "37", "继女": "37", "养女或继女": "37", "儿媳": "38", "其他女儿": "39",
    "孙子女": "40", "孙子": "41", "孙女": "42", "外孙子": "43", "外孙女": "44",
    "父母": "50", "父亲": "51", "母亲": "52", "公公": "53", "婆婆": "54", "岳父": "55", "岳母": "56",
    "祖父母": "60", "祖父": "61", "祖母": "62", "外祖父": "63", "外祖母": "64",
    "兄弟姐妹": "70", "兄": "71", "哥哥": "71", "嫂": "72", "弟": "73", "弟弟": "73", "弟媳": "74",
    "姐姐": "75", "姐": "75", "姐夫": "76", "妹妹": "77", "妹": "77", "妹夫": "78",
    "其他": "80", "非亲属": "99",
}
LABOUR = {"普通劳动力": "ordinary", "技能劳动力": "skilled", "弱劳动力或半劳动力": "partial",
          "弱劳动力": "partial", "半劳动力": "partial", "丧失劳动力": "lost", "无劳动力": "none"}
HEALTH = {"健康": "healthy", "长期慢性病": "chronic", "慢性病": "chronic", "患有大病": "serious_illness",
          "大病": "serious_illness", "残疾": "disabled"}
CAUSES = {"因病": "illness", "因残": "disability", "因学": "schooling", "因灾": "disaster",
          "因婚": "marriage", "缺土地": "land", "缺水": "water", "缺技术": "skills", "缺资金": "capital",
          "缺劳力": "labour", "交通条件落后": "transport", "交通落后": "transport",
          "自身发展动力不足": "drive", "其他": "other"}
YES = {"是", "有", "yes", "y", "true", "t", "1", "在校", "√"}
NO = {"否", "无", "no", "n", "false", "f", "0", ""}
HELPER_KINDS = {"个人": "person", "干部": "person", "单位": "unit"}
UNIT_KINDS = {"部门": "department", "机关": "department", "企业": "enterprise", "其他": "other"}
PAIRING_KINDS = {"结对帮扶": "household_cadre", "帮扶责任人": "household_cadre",
                 "挂钩帮扶村": "village_unit", "挂钩村": "village_unit", "挂钩帮扶镇": "town_unit",
                 "挂钩镇": "town_unit", "第一书记": "first_secretary"}

_SPLIT = re.compile(r"[;；,，、/|]+")


def label(value: str, table: dict[str, str]) -> str:
    """The code of a Chinese label (traditional or simplified), else the value unchanged."""
    v = value.strip()
    if v.isascii():
        return v  # an English code (or a number): passed on as it is
    return table.get(fold(v), v)


def relation(value: str) -> str:
    v = value.strip()
    if v.isdigit() and len(v) == 1:
        return "0" + v  # a spreadsheet dropped the leading zero of 02
    return label(v, RELATIONS)


def boolean(value: str) -> bool | str:
    v = fold(value)
    if v in YES:
        return True
    if v in NO:
        return False
    return value  # refused by the API's validation (field.bool_parsing)


def many(value: str, table: dict[str, str]) -> list[str]:
    return [label(p, table) for p in _SPLIT.split(value) if p.strip()]


def money(value: str) -> str:
    """'9,000.00' and '9000元' as the API reads them: the number as text (never a float)."""
    return value.strip().replace(",", "").replace("，", "").removesuffix("元").strip()


def day(value: str) -> str:
    """'2016/3/1', '2016.3.1' and '20160301' as ISO dates; anything else unchanged."""
    v = value.strip()
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", v)
    if m:
        return f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}"
    if re.fullmatch(r"\d{8}", v):
        return f"{v[:4]}-{v[4:6]}-{v[6:]}"
    return v
