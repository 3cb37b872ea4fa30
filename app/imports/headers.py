"""The one mapping table of column headers: each field's English name and the Chinese of the
national forms (建檔立卡 registers, village and pairing ledgers), in simplified characters.
Traditional headers (身份證號, 與戶主關係, 家庭年純收入, 村代碼, 組) are folded to simplified
before the lookup, and case, spaces, brackets and underscores are ignored."""

from __future__ import annotations

import re

# Traditional → simplified for the characters that occur in the headers and labels below.
_T2S = str.maketrans(
    "證號與戶關係純碼組齡勞動況殘類別級業務貧檔產經營資轉費區鎮鄉幫責單電話開結對書記終時間體"
    "稱學災婚技術缺勞條齊農發導設網絡環聯繫門現態屬戶會員親孫兒媳婿兄弟姊範圍歲腦護識別實際額員"
    "項計劃後務舊縣縂總鄰隊將職內聯際長樣園醫療養編狀歷記錄數據區劃稅收鄉鎮個統掛鉤",
    "证号与户关系纯码组龄劳动况残类别级业务贫档产经营资转费区镇乡帮责单电话开结对书记终时间体"
    "称学灾婚技术缺劳条齐农发导设网络环联系门现态属户会员亲孙儿媳婿兄弟姊范围岁脑护识别实际额员"
    "项计划后务旧县总总邻队将职内联际长样园医疗养编状历记录数据区划税收乡镇个统挂钩",
)
_NOISE = re.compile(r"[\s_\-()（）【】\[\]:：/、.]+")

# field → aliases (the field's own name is always accepted).
ALIASES: dict[str, tuple[str, ...]] = {
    # household
    "household_key": ("household", "household_no", "户编号", "户码", "家庭编号", "户号", "户主编号"),
    "village_code": ("village", "村代码", "村编码", "行政村代码", "村级代码", "村"),
    "group": ("group_name", "组", "村民小组", "小组", "组别"),
    "address": ("地址", "住址", "家庭住址"),
    "registered_on": ("建档日期", "建档立卡日期", "识别日期", "纳入日期"),
    "cause_main": ("main_cause", "主要致贫原因", "致贫原因"),
    "cause_others": ("other_causes", "其他致贫原因", "次要致贫原因"),
    "assessment_year": ("year", "收入年度", "年度", "核算年度"),
    "wage_income": ("工资性收入", "务工收入"),
    "business_income": ("生产经营性收入", "经营性收入"),
    "property_income": ("财产性收入",),
    "transfer_income": ("转移性收入",),
    "production_costs": ("生产经营性支出", "生产性支出"),
    "net_income": ("家庭年纯收入", "年纯收入", "家庭纯收入"),
    "assessed_on": ("核实日期", "评估日期", "核算日期"),
    "persons": ("家庭人口", "家庭人口数", "人口数"),
    # member
    "name": ("姓名", "名称"),
    "id_number": ("身份证号", "身份证号码", "证件号码", "公民身份号码"),
    "relation": ("与户主关系",),
    "labour_capacity": ("劳动能力", "劳动技能"),
    "health": ("健康状况",),
    "disability_category": ("残疾类别",),
    "disability_grade": ("残疾等级",),
    "in_school": ("在校生状况", "是否在校生", "在校"),
    "stable_nonfarm_employment": ("稳定就业", "是否稳定务工", "稳定务工"),
    "tekun_since": ("特困供养日期", "特困日期"),
    "joined_on": ("入户日期",),
    # which household (members, assessments, pairings)
    "household_id": ("户id",),
    "head_id_number": ("户主身份证号", "户主身份证号码"),
    # villages
    "town_code": ("town", "镇代码", "乡镇代码", "镇街代码"),
    "town_name": ("镇名", "乡镇名称", "乡镇", "镇"),
    "village_name": ("村名", "村名称", "行政村"),
    "collective_income": ("村集体经济收入", "集体经济收入", "集体收入"),
    # helpers and pairings
    "kind": ("类型", "帮扶类型"),
    "unit": ("单位", "工作单位"),
    "post": ("职务",),
    "phone": ("电话", "联系电话", "手机"),
    "unit_kind": ("单位类型",),
    "uscc": ("统一社会信用代码", "信用代码"),
    "region_code": ("区划代码", "所属区划"),
    "helper_id_number": ("帮扶人身份证号", "帮扶责任人身份证号"),
    "helper_uscc": ("帮扶单位信用代码",),
    "helper_id": ("帮扶人id",),
    "start_date": ("开始日期", "帮扶开始日期"),
    "end_date": ("结束日期", "帮扶结束日期"),
    # exports only (an import ignores it)
    "status": ("状态", "户状态"),
}


def fold(text: str) -> str:
    """A header as compared: simplified characters, lower case, no spaces or punctuation."""
    return _NOISE.sub("", text.translate(_T2S).lower().replace("\ufeff", ""))


_LOOKUP: dict[str, str] = {}
for _field, _names in ALIASES.items():
    for _n in (_field, *_names):
        _LOOKUP.setdefault(fold(_n), _field)


def map_headers(headers: list[str], accepted: tuple[str, ...]) -> tuple[dict[str, str], list[str]]:
    """(header as written → field) for the headers this kind accepts, and the headers ignored."""
    mapping: dict[str, str] = {}
    ignored: list[str] = []
    taken: set[str] = set()
    for h in headers:
        field = _LOOKUP.get(fold(h))
        if field in accepted and field not in taken:
            mapping[h] = field
            taken.add(field)
        else:
            ignored.append(h)
    return mapping, ignored


def chinese_header(field: str) -> str:
    """The national forms' header of a field (its first Chinese alias; the field's own name when
    it has none): what an export with `lang=zh` writes, and what the import reads back."""
    return next((a for a in ALIASES.get(field, ()) if not a.isascii()), field)


def header_table(fields: tuple[str, ...]) -> list[tuple[str, str]]:
    """(field, Chinese headers) for the README."""
    return [(f, " / ".join(a for a in ALIASES.get(f, ()) if not a.isascii())) for f in fields]
