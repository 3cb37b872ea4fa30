"""One payload schema per event type (`app.events.payloads`), whatever the entrance: an event
written by the API and the same event written by an import (which the command line runs too)
validate against the same schema and agree in the JSON type of every field."""

from __future__ import annotations

import re
from pathlib import Path

from app.events.payloads import PAYLOADS
from tests.households.factories import add_assessment, member, register_household
from tests.households.factories import valid_id as api_id
from tests.imports.helpers import csv_bytes, household_rows, import_file, make_village, valid_id
from tests.pairings.factories import make_person, pair
from tests.villages.helpers import put_income

VILLAGE, OTHER_VILLAGE = "321283100201", "321283100202"
CADRE = valid_id("19750101", 501)
BOTH = ("region.created", "household.registered", "household.member.added",
        "household.assessment.added", "helper.created", "pairing.created",
        "village.income.recorded")


def shape(value):
    """The JSON type of a value, recursively (dict keys kept, lists by their elements)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return ["list", sorted({repr(shape(v)) for v in value})]
    return type(value).__name__


def agree(a, b) -> list[str]:
    """Where two payloads disagree in keys or in types (null agrees with anything)."""
    if a is None or b is None:
        return []
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"keys {sorted(a.keys() ^ b.keys())}"]
        return [f"{k}: {d}" for k in a for d in agree(a[k], b[k])]
    if isinstance(a, list) and isinstance(b, list):
        return [d for x in a[:1] for y in b[:1] for d in agree(x, y)]
    return [] if type(a) is type(b) else [f"{type(a).__name__} vs {type(b).__name__}"]


async def _through_the_api(client, admin) -> None:
    await make_village(client, admin, VILLAGE)  # region.created
    h = await register_household(client, admin, VILLAGE, make=False)
    await add_assessment(client, admin, h["id"], 2016, "12000.00", assessed_on="2016-12-20")
    r = await client.post(f"/api/v1/households/{h['id']}/members", headers=admin,
                          json={**member("20", birth="20100101", name="王小明",
                                         labour_capacity="none", id_number=api_id("20100101")),
                                "joined_on": "2017-05-01"})
    assert r.status_code == 201, r.text
    helper = await make_person(client, admin)
    r = await pair(client, admin, helper["id"], "household_cadre", "2016-04-01",
                   household_id=h["id"])
    assert r.status_code == 201, r.text
    assert (await put_income(client, admin, VILLAGE, 2016, "300000.00")).status_code == 200


async def _through_an_import(client, app, db, admin) -> None:
    async def imported(header, rows, kind):
        job = await import_file(client, app, db, admin, csv_bytes(header, rows), kind=kind)
        assert job["state"] == "succeeded", job

    await imported(["村代碼", "村名", "鎮代碼", "鎮名"],
                   [[OTHER_VILLAGE, "新村", VILLAGE[:9] + "000", ""]], "villages")
    rows = household_rows("H1", 10, village=OTHER_VILLAGE)
    await imported(["household_key", "village_code", "group", "registered_on", "cause_main",
                    "assessment_year", "wage_income", "transfer_income", "name", "id_number",
                    "relation", "labour_capacity", "health"], rows, "households")
    head = rows[0][9]
    await imported(["户主身份证号", "姓名", "身份证号", "与户主关系", "劳动能力", "健康状况",
                    "入户日期"],
                   [[head, "王小明", valid_id("20100101", 31), "子", "无劳动力", "健康",
                     "2017-05-01"]], "members")
    await imported(["head_id_number", "year", "wage_income", "transfer_income",
                    "assessed_on"], [[head, "2016", "20000", "1000.5", "2016-12-20"]],
                   "assessments")
    await imported(["類型", "姓名", "單位", "職務", "電話", "身份證號", "單位類型",
                    "統一社會信用代碼"],
                   [["干部", "周明", "泰兴市农业农村局", "科长", "0523-87654321", CADRE, "", ""]],
                   "helpers")
    await imported(["帮扶人身份证号", "帮扶单位信用代码", "帮扶类型", "户主身份证号", "区划代码",
                    "开始日期", "结束日期"],
                   [[CADRE, "", "household_cadre", head, "", "2016-04-01", ""]], "pairings")
    await imported(["village_code", "assessment_year", "collective_income"],
                   [[OTHER_VILLAGE, "2016", "300000"]], "village_incomes")


async def test_each_event_type_has_one_payload_whatever_the_entrance(client, app, db, admin):
    await _through_the_api(client, admin)
    await _through_an_import(client, app, db, admin)
    r = await client.get("/api/v1/events", headers=admin,
                         params={"types": ",".join(BOTH), "limit": 500})
    assert r.status_code == 200, r.text
    by_entrance: dict[tuple[str, bool], dict] = {}
    for e in r.json()["items"]:
        PAYLOADS[e["type"]].model_validate(e["payload"])  # the one schema of the type
        assert "import_job_id" in e["payload"], e
        by_entrance.setdefault((e["type"], e["payload"]["import_job_id"] is not None),
                               e["payload"])
    for type_ in BOTH:
        api, imported = by_entrance.get((type_, False)), by_entrance.get((type_, True))
        assert api is not None and imported is not None, (type_, sorted(by_entrance))
        assert agree(api, imported) == [], (type_, agree(api, imported), api, imported)
    api, imported = (by_entrance[("household.assessment.added", x)] for x in (False, True))
    # The case that was seen: a number from an import, a decimal string from the API.
    assert (api["net_income"], imported["net_income"]) == ("12000.00", "21000.50")
    assert imported["per_capita_income"] == "10500.25"
    assert imported["transfer_income"] == "1000.50"


EMIT = re.compile(r"""(?:emit|emit_selected|copy_events)\(\s*[\w.]+,\s*(f?)"([a-z_.{}]+)\"""")


def test_every_event_type_the_code_emits_has_a_schema():
    root = Path(__file__).resolve().parents[2] / "app"
    found = {m.groups() for p in root.rglob("*.py") for m in EMIT.finditer(p.read_text())}
    found |= {("", t) for p in root.rglob("*.py")
              for t in re.findall(r'wf\.emit\(\s*"([a-z_.]+)"', p.read_text())}
    assert len(found) > 20  # the pattern still finds the emitters
    missing = [t for f, t in found if not f and t not in PAYLOADS]
    missing += [t for f, t in found if f and not any(k.startswith(t.split("{")[0])
                                                     for k in PAYLOADS)]
    assert missing == []


def test_the_readme_signature_example_is_what_the_service_signs():
    from app.webhooks.service import sign

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme[readme.index("### Webhook deliveries and their signature"):]
    body = re.search(r"```\n(\{.*?\})\n```", section, re.S).group(1).encode()
    stated = re.search(r"gives `X-Xiaokang-Signature: (t=\d+,v1=[0-9a-f]{64})`", section).group(1)
    secret = re.search(r"secret `([^`]+)`", section).group(1)
    t = int(re.search(r"`t=(\d+)`", section).group(1))
    assert sign(secret, t, body) == stated
