"""A4 evidence: typed by content, size-limited, encrypted at rest, readable within scope, audited."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from tests.conftest import assert_problem
from tests.households.factories import register_household

V = "321283100201"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + os.urandom(64)
PDF = b"%PDF-1.4\n" + os.urandom(64)


async def a_visit(client, admin) -> tuple[dict, dict]:
    hh = await register_household(client, admin, V)
    r = await client.post(f"/api/v1/households/{hh['id']}/visits", headers=admin,
                          json={"date": "2019-03-01", "notes": "入戶"})
    assert r.status_code == 201, r.text
    return hh, r.json()


async def upload(client, headers, owner_type: str, owner_id: str, content: bytes,
                 filename: str = "photo.png", kind: str = "visit_photo", **form):
    return await client.post("/api/v1/attachments", headers=headers,
                             data={"owner_type": owner_type, "owner_id": owner_id, "kind": kind,
                                   **form},
                             files={"file": (filename, content, "application/octet-stream")})


async def test_a_visit_photo_is_kept_encrypted_under_its_sha256_and_read_back(
        client, admin, app, test_settings):
    _, visit = await a_visit(client, admin)
    r = await upload(client, admin, "visit", visit["id"], PNG)
    assert r.status_code == 201, r.text
    a = r.json()
    sha = hashlib.sha256(PNG).hexdigest()
    assert (a["sha256"], a["content_type"], a["size"]) == (sha, "image/png", len(PNG))
    stored = Path(test_settings.data_dir) / "attachments" / sha
    assert PNG not in stored.read_bytes() and PNG[8:40] not in stored.read_bytes()
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    key = Path(test_settings.data_dir) / "attachments-aes.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    got = await client.get(f"/api/v1/attachments/{a['id']}/content", headers=admin)
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["content-type"] == "image/png"
    audit = (await client.get(f"/api/v1/audit?action=attachment.read&entity_id={a['id']}",
                              headers=admin)).json()["items"]
    assert len(audit) == 1 and audit[0]["after"]["sha256"] == sha
    listed = await client.get(f"/api/v1/attachments?owner_type=visit&owner_id={visit['id']}",
                              headers=admin)
    assert [x["id"] for x in listed.json()] == [a["id"]]


async def test_the_type_is_checked_by_content_not_by_name(client, admin):
    _, visit = await a_visit(client, admin)
    r = await upload(client, admin, "visit", visit["id"], b"MZ\x90\x00 not an image",
                     filename="photo.jpg")
    assert_problem(r, 415, "attachment.unsupported_type")
    r = await upload(client, admin, "visit", visit["id"], PDF, filename="x.exe",
                     kind="scanned_form")
    assert r.status_code == 201 and r.json()["content_type"] == "application/pdf"


async def test_a_file_over_the_limit_is_413_and_at_the_limit_accepted(client, admin, app):
    _, visit = await a_visit(client, admin)
    app.state.settings = app.state.settings.model_copy(update={"attachment_max_bytes": len(PNG)})
    assert (await upload(client, admin, "visit", visit["id"], PNG)).status_code == 201
    r = await upload(client, admin, "visit", visit["id"], PNG + b"\x00")
    assert_problem(r, 413, "attachment.too_large")


async def test_an_attachment_is_readable_only_within_scope(client, admin, make_user):
    _, visit = await a_visit(client, admin)
    a = (await upload(client, admin, "visit", visit["id"], PNG)).json()
    other = await make_user("district_officer", "321281000000")
    for path in (f"/api/v1/attachments/{a['id']}", f"/api/v1/attachments/{a['id']}/content"):
        assert_problem(await client.get(path, headers=other), 404, "attachment.not_found")
    assert_problem(await upload(client, other, "visit", visit["id"], PNG), 404, "visit.not_found")
    mine = await make_user("district_officer", "321283000000")
    assert (await client.get(f"/api/v1/attachments/{a['id']}/content",
                             headers=mine)).status_code == 200


async def test_an_exit_attachment_needs_an_exit_event(client, admin):
    hh, _ = await a_visit(client, admin)
    events = (await client.get(f"/api/v1/households/{hh['id']}/events", headers=admin)).json()
    register_event = events["items"][0]["id"]
    r = await upload(client, admin, "exit", register_event, PDF, kind="signed_confirmation")
    assert_problem(r, 404, "exit.not_found")
