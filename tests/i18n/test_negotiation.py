"""Accept-Language picks the language of every problem+json answer; English is the default."""

from __future__ import annotations

import pytest

from app.i18n import EN, ZH, negotiate
from tests.conftest import assert_problem
from tests.households.factories import (
    add_assessment,
    head_of,
    household_body,
    member,
    register_household,
    valid_id,
)

V = "321283100201"
TOWN = {"code": "321283100000", "name": "黃橋鎮", "parent_code": "321283000000"}


@pytest.mark.parametrize("header", [
    "zh-CN", "zh", "zh-Hans", "zh-Hans-CN", "ZH-cn", "zh-SG", "zh-CN,zh;q=0.9",
    "zh-CN;q=0.9, en;q=0.8", "en;q=0.5, zh;q=0.6", "fr, zh;q=0.1", "de-DE, zh-CN;q=0.3, en;q=0.2",
    # no traditional catalogue: a traditional reader reads simplified better than English
    "zh-TW", "zh-Hant", "zh-HK;q=0.8",
])
def test_a_chinese_range_selects_simplified_chinese(header):
    assert negotiate(header) == ZH


@pytest.mark.parametrize("header", [
    None, "", "en", "en-US", "en-GB,en;q=0.9", "*", "en, zh;q=0.9", "zh;q=0.5, en;q=0.9",
    "zh;q=0, en", "zh;q=0", "fr", "fr, de", "*;q=0.5, zh;q=0.4",
    # ties keep the header's order
    "en;q=0.7, zh;q=0.7",
    # garbage: ranges that do not parse are skipped; nothing parses -> the default
    "!!!", "zh-CN;q=2", "zh-CN;q=abc", "zh_CN", ";;;", "zh-CN;q=0.9.9", "\u4e2d\u6587",
    "x" * 300,
])
def test_english_otherwise(header):
    assert negotiate(header) == EN


def test_a_malformed_range_does_not_hide_a_good_one():
    assert negotiate("zh-CN;q=abc, zh;q=0.5") == ZH
    assert negotiate("@@, zh") == ZH


async def test_a_404_answers_in_chinese_with_content_language_and_vary(client):
    r = await client.get("/api/v1/nothing-here", headers={"Accept-Language": "zh-CN"})
    body = assert_problem(r, 404, "http.not_found")
    assert body["title"] == "未找到"
    assert body["detail"] == "/api/v1/nothing-here 处没有资源。"
    assert r.headers["Content-Language"] == "zh-CN"
    assert "Accept-Language" in r.headers["Vary"]


async def test_english_stays_the_default(client):
    for headers in ({}, {"Accept-Language": "en-US"}, {"Accept-Language": "garbage;;q=x"}):
        r = await client.get("/api/v1/nothing-here", headers=headers)
        body = assert_problem(r, 404, "http.not_found")
        assert body["title"] == "Not Found"
        assert body["detail"] == "No resource at /api/v1/nothing-here."
        assert r.headers["Content-Language"] == "en"
        assert "Accept-Language" in r.headers["Vary"]


async def test_q_values_choose_between_english_and_chinese(client):
    r = await client.get("/api/v1/nothing-here", headers={"Accept-Language": "en;q=0.4, zh;q=0.8"})
    assert r.headers["Content-Language"] == "zh-CN"
    r = await client.get("/api/v1/nothing-here", headers={"Accept-Language": "en;q=0.8, zh;q=0.4"})
    assert r.headers["Content-Language"] == "en"


async def test_an_unauthenticated_request_is_answered_in_chinese(client):
    r = await client.get("/api/v1/households", headers={"Accept-Language": "zh"})
    body = assert_problem(r, 401, "auth.required")
    assert body["title"] == "未通过身份认证"
    assert body["detail"] == "需要提供访问令牌（Bearer token）。"
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


async def test_pydantic_field_errors_get_chinese_msg_by_type_with_their_facts(client, admin):
    r = await client.post("/api/v1/regions", headers={**admin, "Accept-Language": "zh-Hans"},
                          json={"code": "12", "name": "x" * 500, "population": 5})
    body = assert_problem(r, 422, "request.validation")
    assert body["detail"] == "请求中有字段不合规。"
    msgs = {e["code"]: e["msg"] for e in body["errors"]}
    assert msgs["field.required"] == "必填字段。"
    assert msgs["field.unknown"] == "不允许的额外字段。"
    assert msgs["field.string_pattern_mismatch"].startswith("格式不符合要求（应匹配 ")
    assert all("_params" not in e for e in body["errors"])
    if "field.string_too_long" in msgs:
        assert msgs["field.string_too_long"].startswith("最多 ") and "个字符" in msgs["field.string_too_long"]


async def test_a_bad_date_in_a_body_is_explained_in_chinese(client, admin):
    hh = await register_household(client, admin, V)
    r = await client.post(f"/api/v1/households/{hh['id']}/exit",
                          headers={**admin, "Accept-Language": "zh-CN"},
                          json={"exit_date": "2017-13-40", "signed_by_member_id": head_of(hh)["id"],
                                "signed_on": "2017-06-25"})
    body = assert_problem(r, 422, "request.validation")
    (err,) = [e for e in body["errors"] if e["loc"][-1] == "exit_date"]
    assert err["code"] in ("date.invalid", "date.format")  # the one date type (app.kit.schemas)
    assert err["msg"].startswith("应为 YYYY-MM-DD 格式的有效日期")


async def test_a_domain_error_keeps_its_facts_in_chinese(client, admin):
    assert (await client.post("/api/v1/regions", headers=admin, json=TOWN)).status_code == 201
    r = await client.post("/api/v1/regions", headers={**admin, "Accept-Language": "zh-CN"},
                          json=TOWN)
    body = assert_problem(r, 409, "region.exists")
    assert body["title"] == "与当前数据冲突"
    assert body["detail"] == "区划 321283100000 已存在。"


async def test_a_field_error_of_the_project_is_chinese_in_detail_and_msg(client, admin):
    r = await client.post("/api/v1/regions", headers={**admin, "Accept-Language": "zh-CN"},
                          json={**TOWN, "code": "321281100000"})
    body = assert_problem(r, 422, "region.code_not_under_parent")
    assert body["detail"] == "321281100000 不是 321283000000 下辖的镇代码。"
    assert body["errors"][0]["msg"] == body["detail"]
    assert body["errors"][0]["loc"] == ["body", "code"]


async def test_a_rule_refusal_keeps_rule_clause_and_facts_in_chinese(client, admin):
    hh = await register_household(client, admin, V)
    await add_assessment(client, admin, hh["id"], 2016, "30000.00", assessed_on="2017-06-01")
    payload = {"exit_date": "2017-06-30", "signed_by_member_id": head_of(hh)["id"],
               "signed_on": "2017-06-25", "publicity_start": "2017-06-20",
               "publicity_end": "2017-06-25"}
    en = await client.post(f"/api/v1/households/{hh['id']}/exit", headers=admin, json=payload)
    zh = await client.post(f"/api/v1/households/{hh['id']}/exit",
                           headers={**admin, "Accept-Language": "zh-CN,en;q=0.5"}, json=payload)
    en_body, zh_body = en.json(), zh.json()
    assert zh_body["code"] == en_body["code"]
    assert en_body["detail"].startswith(en_body["reasons"][0]["rule"] + " (")
    rule, clause = en_body["reasons"][0]["rule"], en_body["reasons"][0]["clause"]
    assert zh_body["detail"].startswith(f"{rule}（{clause}）：")
    by_code = {r["code"]: r for r in zh_body["reasons"]}
    assert by_code["household.exit.publicity_too_short"]["detail"] == \
        "公示期 2017-06-20 至 2017-06-25 共 6 天，少于 7 天"
    assert by_code["household.exit.target_unmet"]["detail"].startswith("开发式扶贫目标未达到")
    assert [(r["rule"], r["clause"]) for r in zh_body["reasons"]] == \
        [(r["rule"], r["clause"]) for r in en_body["reasons"]]
    assert "publicity 2017-06-20..2017-06-25 is 6 days" in " ".join(
        r["detail"] for r in en_body["reasons"])


async def test_a_masked_id_number_stays_in_the_chinese_sentence(client, admin):
    number = valid_id("19660512", seq=411)
    first = await register_household(client, admin, V, members=[member("02", id_number=number)])
    r = await client.post("/api/v1/households", headers={**admin, "Accept-Language": "zh-CN"},
                          json=household_body(V, members=[
                              member("02", id_number=valid_id("19700101", seq=413)),
                              member("10", id_number=number)]))
    body = assert_problem(r, 409, "member.id_number_taken")
    masked = body["id_number"]
    assert number not in r.text
    assert body["detail"] == f"身份证号码 {masked} 已是农户 {first['id']} 的在册成员。"
    assert body["errors"][0]["msg"] == "已是在册成员"
