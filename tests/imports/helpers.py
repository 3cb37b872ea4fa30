"""Building import files in every format, uploading them and running their jobs."""

from __future__ import annotations

import csv
import io
import json
import uuid

from stdnum.cn import ric

from app.imports.pipeline import run_job

VILLAGE = "321283100201"
HEADER_EN = ["household_key", "village_code", "group", "registered_on", "cause_main",
             "assessment_year", "wage_income", "transfer_income", "name", "id_number", "relation",
             "labour_capacity", "health"]
# The same columns as the national forms head them (traditional characters, as some districts).
HEADER_ZH = ["戶編號", "村代碼", "組", "建檔日期", "主要致貧原因", "收入年度", "工資性收入",
             "轉移性收入", "姓名", "身份證號", "與戶主關係", "勞動能力", "健康狀況"]


def valid_id(birth: str, seq: int, county: str = "321283") -> str:
    body = f"{county}{birth}{seq % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def bad_check_digit(number: str) -> str:
    return number[:-1] + next(c for c in "0123456789X" if c != number[-1])


def household_rows(key: str, seq: int, village: str = VILLAGE, wage: str = "9000.00",
                   chinese: bool = False) -> list[list[str]]:
    """A head and a spouse: 9000 + 3000 for two persons, well under the 7000 line (R1)."""
    head = valid_id("19660512", seq)
    wife = valid_id("19680301", seq + 1)
    if chinese:
        return [[key, village, "3組", "2016-03-01", "因病", "2015", wage, "3000", "王建國", head,
                 "戶主", "普通勞動力", "健康"],
                [key, village, "3組", "2016-03-01", "因病", "2015", wage, "3000", "李秀英", wife,
                 "配偶", "弱勞動力或半勞動力", "長期慢性病"]]
    return [[key, village, "3", "2016-03-01", "illness", "2015", wage, "3000", "Wang Jianguo",
             head, "02", "ordinary", "healthy"],
            [key, village, "3", "2016-03-01", "illness", "2015", wage, "3000", "Li Xiuying",
             wife, "10", "partial", "chronic"]]


def csv_bytes(header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


def jsonl_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    return "".join(json.dumps(dict(zip(header, r, strict=True)), ensure_ascii=False) + "\n"
                   for r in rows).encode()


def xlsx_bytes(header: list[str], rows: list[list[object]]) -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet()
    ws.write_row(0, 0, header)
    for i, r in enumerate(rows, start=1):
        ws.write_row(i, 0, r)
    wb.close()
    return buf.getvalue()


async def make_village(client, headers, code: str = VILLAGE) -> None:
    town = code[:9] + "000"
    for region, parent in ((town, code[:6] + "000000"), (code, town)):
        r = await client.post("/api/v1/regions", headers=headers,
                              json={"code": region, "name": f"r{region}", "parent_code": parent})
        assert r.status_code in (201, 409), r.text


async def upload(client, headers, content: bytes, kind: str = "households",
                 name: str = "register.csv", **form) -> dict:
    data = {"kind": kind, **{k: str(v).lower() if isinstance(v, bool) else v for k, v in form.items()}}
    r = await client.post("/api/v1/imports", headers=headers, data=data,
                          files={"file": (name, content, "application/octet-stream")})
    return r


async def run(app, db, job: dict) -> dict:
    """Run the job as the worker does, then answer the job."""
    await run_job(db, app.state.settings, uuid.UUID(job["id"]))
    return job


async def import_file(client, app, db, headers, content: bytes, **kw) -> dict:
    r = await upload(client, headers, content, **kw)
    assert r.status_code == 202, r.text
    await run(app, db, r.json())
    got = await client.get(f"/api/v1/imports/{r.json()['id']}", headers=headers)
    assert got.status_code == 200, got.text
    return got.json()


async def errors_of(client, headers, job_id: str) -> list[tuple]:
    r = await client.get(f"/api/v1/imports/{job_id}/errors?limit=500", headers=headers)
    assert r.status_code == 200, r.text
    return [(e["line"], e["field"], e["code"]) for e in r.json()["items"]]
