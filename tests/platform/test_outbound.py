"""Outbound calls never reach loopback, private or link-local addresses unless allowed, checked
at registration and again on the address actually connected to."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from app.config import Settings
from app.errors import DomainError
from app.kit import outbound
from tests.conftest import assert_problem


def _settings(*allowed: str) -> Settings:
    return Settings(data_dir="/nonexistent", outbound_allowed_hosts=list(allowed))


class LocalReceiver:
    """A one-line HTTP server on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self) -> None:
        self.connections = 0
        self.requests: list[bytes] = []

    async def _serve(self, reader, writer):
        self.connections += 1
        head = await reader.readuntil(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        body = await reader.readexactly(length) if length else b""
        self.requests.append(head + body)
        writer.write(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    async def __aenter__(self):
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc):
        self.server.close()
        await self.server.wait_closed()


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/hook",
    "http://127.1.2.3/hook",
    "http://[::1]:8080/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://10.20.30.40/hook",
    "http://172.16.0.1/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://[fe80::1]/hook",
    "http://[fd12:3456::1]/hook",
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",
    "http://100.64.0.1/hook",
    "http://localhost:9000/hook",  # a name that resolves to loopback
])
async def test_private_and_local_addresses_are_refused_at_registration(url):
    with pytest.raises(DomainError) as e:
        await outbound.check_url(url, _settings())
    assert e.value.code == "outbound.address_refused" and e.value.status == 422


@pytest.mark.parametrize("url", ["https://8.8.8.8/hook", "http://[2606:4700:4700::1111]/hook"])
async def test_public_addresses_are_accepted(url):
    await outbound.check_url(url, _settings())


async def test_a_listed_host_or_network_is_accepted():
    await outbound.check_url("http://localhost:9000/hook", _settings("localhost"))
    await outbound.check_url("http://127.0.0.1:9000/hook", _settings("127.0.0.1"))
    await outbound.check_url("http://[::1]:9000/hook", _settings("[::1]"))
    cidr = _settings("10.0.0.0/8", "127.0.0.0/8")
    await outbound.check_url("http://10.20.30.40/hook", cidr)
    await outbound.check_url("http://127.0.0.1/hook", cidr)
    with pytest.raises(DomainError):
        await outbound.check_url("http://192.168.1.1/hook", cidr)


def test_the_allow_list_is_read_comma_separated_from_the_environment(monkeypatch):
    monkeypatch.setenv("XIAOKANG_OUTBOUND_ALLOWED_HOSTS", "localhost, 10.0.0.0/8,,hooks.internal")
    assert Settings().outbound_allowed_hosts == ["localhost", "10.0.0.0/8", "hooks.internal"]


async def test_the_client_refuses_to_connect_to_loopback():
    async with LocalReceiver() as rx, outbound.client(_settings()) as http:
        with pytest.raises(outbound.AddressRefused, match=r"outbound\.address_refused"):
            await http.post(f"http://127.0.0.1:{rx.port}/hook", content=b"{}")
        with pytest.raises(outbound.AddressRefused):
            await http.post(f"http://localhost:{rx.port}/hook", content=b"{}")
    assert rx.connections == 0


async def test_the_client_reaches_an_allowed_receiver_on_loopback():
    async with LocalReceiver() as rx, outbound.client(_settings("127.0.0.1")) as http:
        r = await http.post(f"http://127.0.0.1:{rx.port}/hook", content=b'{"a":1}')
    assert r.status_code == 204 and rx.requests[0].endswith(b'{"a":1}')


async def test_a_name_rebound_to_loopback_after_registration_is_refused(monkeypatch):
    """DNS rebinding: public when registered, loopback when called. The client resolves the
    name itself and checks the address it connects to."""
    answers = iter([["8.8.8.8"], ["127.0.0.1"]])

    async def rebinding(host, port):
        return next(answers)

    monkeypatch.setattr(outbound, "_resolve", rebinding)
    await outbound.check_url("http://hooks.example.test/hook", _settings())
    async with LocalReceiver() as rx, outbound.client(_settings()) as http:
        with pytest.raises(outbound.AddressRefused):
            await http.post(f"http://hooks.example.test:{rx.port}/hook", content=b"{}")
    assert rx.connections == 0


async def test_the_client_connects_to_the_address_it_checked(monkeypatch):
    """A name only our resolver knows is reached at the address it answered (allowed by CIDR),
    so what was checked is what is connected to."""
    async def resolver(host, port):
        return ["127.0.0.1"]

    monkeypatch.setattr(outbound, "_resolve", resolver)
    async with LocalReceiver() as rx, outbound.client(_settings("127.0.0.0/8")) as http:
        r = await http.get(f"http://receiver.invalid:{rx.port}/")
    assert r.status_code == 204 and rx.connections == 1
    assert b"Host: receiver.invalid" in rx.requests[0]


async def test_a_webhook_to_a_private_address_is_refused_on_create_and_update(client, admin):
    r = await client.post("/api/v1/webhooks", headers=admin, json={"url": "http://127.0.0.1:9/x"})
    assert_problem(r, 422, "outbound.address_refused")
    r = await client.post("/api/v1/webhooks", headers=admin,
                          json={"url": "https://hooks.example.gov.cn/x"})
    assert r.status_code == 201, r.text
    patched = await client.patch(f"/api/v1/webhooks/{r.json()['id']}",
                                 headers={**admin, "If-Match": '"1"'},
                                 json={"url": "http://169.254.169.254/latest"})
    assert_problem(patched, 422, "outbound.address_refused")


async def test_a_delivery_to_a_refused_address_is_a_failed_attempt(db, test_settings, make_user):
    """Registered while the receiver was allowed, delivered after it no longer is."""
    from app.main import create_app
    from app.webhooks.service import deliver_due

    async with LocalReceiver() as rx:
        allowing = test_settings.model_copy(update={"outbound_allowed_hosts": ["127.0.0.1"]})
        app = create_app(allowing, db=db)
        admin = await make_user("admin")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://test") as c:
            hook = (await c.post("/api/v1/webhooks", headers=admin, json={
                "url": f"http://127.0.0.1:{rx.port}/hook", "types": ["region.*"]})).json()
            await c.post("/api/v1/regions", headers=admin, json={
                "code": "321283100000", "name": "黃橋鎮", "parent_code": "321283000000"})
            async with outbound.client(test_settings) as http:
                assert await deliver_due(db, http, test_settings) == 0
            attempts = (await c.get(f"/api/v1/webhooks/{hook['id']}/deliveries",
                                    headers=admin)).json()["items"]
            assert [(a["delivered"], a["status_code"]) for a in attempts] == [(False, None)]
            assert attempts[0]["error"].startswith("outbound.address_refused")
            assert rx.connections == 0
            # allowed again: the same event goes out
            async with outbound.client(allowing) as http:
                from datetime import UTC, datetime, timedelta

                later = datetime.now(UTC) + timedelta(minutes=5)
                assert await deliver_due(db, http, allowing, now=later) == 1
            assert rx.connections == 1


async def test_proxies_from_the_environment_are_not_used(monkeypatch):
    """A proxy would connect on our behalf to an address nobody checked."""
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:1")
    async with LocalReceiver() as rx, outbound.client(_settings("127.0.0.1")) as http:
        r = await http.get(f"http://127.0.0.1:{rx.port}/")
    assert r.status_code == 204 and rx.connections == 1
