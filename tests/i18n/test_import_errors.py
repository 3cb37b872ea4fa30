"""An import's error report answers its messages in the language Accept-Language asks for."""

from __future__ import annotations

from tests.imports.helpers import (
    HEADER_EN,
    bad_check_digit,
    csv_bytes,
    household_rows,
    import_file,
    make_village,
)


async def _failed_job(client, app, db, admin) -> dict:
    await make_village(client, admin)
    rows = household_rows("H1", 10) + household_rows("H2", 20, wage="11000.02")
    rows[0][9] = bad_check_digit(rows[0][9])
    job = await import_file(client, app, db, admin, csv_bytes(HEADER_EN, rows))
    assert job["state"] == "failed"
    return job


async def test_row_error_messages_are_chinese_with_their_facts(client, app, db, admin):
    job = await _failed_job(client, app, db, admin)
    url = f"/api/v1/imports/{job['id']}/errors"
    en = (await client.get(url, headers=admin)).json()["items"]
    r = await client.get(url, headers={**admin, "Accept-Language": "zh-CN"})
    assert r.headers["Content-Language"] == "zh-CN" and "Accept-Language" in r.headers["Vary"]
    zh = r.json()["items"]
    assert [(e["line"], e["field"], e["code"]) for e in zh] == \
        [(e["line"], e["field"], e["code"]) for e in en]
    by_code = {e["code"]: e["message"] for e in zh}
    assert by_code["id_number.check_digit"].startswith("校验码为 ")
    assert "GB 11643" in by_code["id_number.check_digit"]
    assert by_code["import.unit_rejected"] == "同一农户的其他行有错误，该行一并不予导入。"
    above = by_code["household.register.income_above_line"]
    assert above.startswith("R1（二）：人均年收入 7,000.01 元 > 扶贫标准 7,000.00 元"), above
    assert "14,000.02" in above


async def test_the_csv_report_is_chinese_too_and_english_by_default(client, app, db, admin):
    job = await _failed_job(client, app, db, admin)
    url = f"/api/v1/imports/{job['id']}/errors"
    zh = await client.get(url, headers={**admin, "Accept": "text/csv", "Accept-Language": "zh"})
    assert zh.headers["Content-Language"] == "zh-CN"
    assert "校验码为 " in zh.text
    en = await client.get(url, headers={**admin, "Accept": "text/csv"})
    assert en.headers["Content-Language"] == "en"
    assert "check digit is " in en.text and "校验码" not in en.text


async def test_a_failed_jobs_error_is_chinese(client, app, db, admin):
    await make_village(client, admin)
    content = b"household_key,village_code\nH1,321283100201\n"
    job = await import_file(client, app, db, admin, content)
    assert job["state"] == "failed" and job["error"]["code"] == "import.file.missing_columns"
    url = f"/api/v1/imports/{job['id']}"
    zh = await client.get(url, headers={**admin, "Accept-Language": "zh-CN"})
    assert zh.headers["Content-Language"] == "zh-CN"
    assert zh.json()["error"]["detail"].startswith("低收入农户文件缺少列：")
    listed = await client.get("/api/v1/imports", headers={**admin, "Accept-Language": "zh"})
    (item,) = [j for j in listed.json()["items"] if j["id"] == job["id"]]
    assert item["error"] == zh.json()["error"]
    en = await client.get(url, headers=admin)
    assert en.json()["error"]["detail"].startswith("the households file lacks the column(s)")
