"""/docs and /redoc work on an intranet: their pages name no external host, and every asset
they load is served by the application itself."""

from __future__ import annotations

import re

import pytest

ASSET = re.compile(r'(?:src|href)="([^"]+)"')


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_load_only_local_assets(client, page):
    r = await client.get(page)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}", html, re.I), html
    assets = ASSET.findall(html)
    assert any(a.endswith(".js") for a in assets), assets
    for url in assets:
        got = await client.get(url)
        assert got.status_code == 200, url
        assert len(got.content) > 1000, url
    if page == "/docs":
        assert '"validatorUrl": null' in html


async def test_swagger_oauth2_redirect_page_is_served(client):
    r = await client.get("/docs/oauth2-redirect")
    assert r.status_code == 200 and "oauth2" in r.text.lower()
