"""A department system as a test writes it: its own Ed25519 key, its own signing code (the
scheme of the README, written again here from the text, not imported), a callback server."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import rfc8785
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

REGISTRY = "xiaokang.taizhou.gov.cn"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def digest_of(header: dict, message: dict) -> str:
    canon = rfc8785.dumps({"header": header, "message": message})
    return base64.b64encode(hashlib.blake2b(canon, digest_size=64).digest()).decode()


def signing_text(created: int, expires: int, digest: str) -> bytes:
    return f"(created): {created}\n(expires): {expires}\ndigest: BLAKE-512={digest}".encode()


class Department:
    def __init__(self, sender_id: str = "mca.taizhou.gov.cn") -> None:
        self.sender_id = sender_id
        self.key = Ed25519PrivateKey.generate()
        raw = self.key.public_key().public_bytes(serialization.Encoding.Raw,
                                                 serialization.PublicFormat.Raw)
        self.jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}
        canon = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": self.jwk["x"]},
                           separators=(",", ":")).encode()
        self.kid = b64url(hashlib.sha256(canon).digest())  # RFC 7638
        self.token: str | None = None

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def signature(self, header: dict, message: dict, created: int | None = None,
                  expires: int | None = None, key: Ed25519PrivateKey | None = None) -> str:
        created = int(time.time()) if created is None else created
        expires = created + 300 if expires is None else expires
        sig = (key or self.key).sign(signing_text(created, expires, digest_of(header, message)))
        return (f'Signature: namespace="spdci", kidId="{self.sender_id}|{self.kid}|ed25519", '
                f'algorithm="ed25519", created="{created}", expires="{expires}", '
                f'headers="(created) (expires) digest", '
                f'signature="{base64.b64encode(sig).decode()}"')

    def envelope(self, action: str, message: dict, total: int = 1, *, sign: bool = True,
                 **header: Any) -> dict:
        """`header` overrides the defaults (`action_` the action, for a wrong one)."""
        if "action_" in header:
            header["action"] = header.pop("action_")
        h = {"version": "1.0.0", "message_id": uuid.uuid4().hex,
             "message_ts": datetime.now(UTC).isoformat(), "action": action,
             "sender_id": self.sender_id, "receiver_id": REGISTRY, "total_count": total,
             "is_msg_encrypted": False, **header}
        body: dict[str, Any] = {"header": h, "message": message}
        if sign:
            body["signature"] = self.signature(h, message)
        return body

    def search(self, *criteria: dict, sign: bool = True, **header: Any) -> dict:
        ts = datetime.now(UTC).isoformat()
        items = [{"reference_id": f"ref-{i}", "timestamp": ts,
                  "search_criteria": {"consent": {"purpose": {"code": "dibao-review"}},
                                      **copy.deepcopy(c)}}
                 for i, c in enumerate(criteria)]
        return self.envelope("search", {"transaction_id": uuid.uuid4().hex,
                                        "search_request": items}, len(items), sign=sign,
                             **header)


def verify_registry(body: dict, jwks: dict) -> None:
    """Check a message of the registry with its published key; raise if it does not verify."""
    parts = dict(re.findall(r'([a-zA-Z]+)="([^"]*)"', body["signature"]))
    signer, kid, alg = parts["kidId"].split("|")
    assert signer == REGISTRY and alg == "ed25519"
    jwk = next(k for k in jwks["keys"] if k.get("kid") == kid and k.get("kty") == "OKP")
    raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
    text = signing_text(int(parts["created"]), int(parts["expires"]),
                        digest_of(body["header"], body["message"]))
    Ed25519PublicKey.from_public_bytes(raw).verify(base64.b64decode(parts["signature"]), text)
    assert int(parts["created"]) <= time.time() + 60 <= int(parts["expires"]) + 60


class CallbackServer:
    """A department's callback endpoint on 127.0.0.1: records what it receives; can fail the
    next `fail` requests with 500."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict]] = []
        self.fail = 0
        self.jwks: dict = {"keys": []}
        self.gets = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                if outer.fail > 0:
                    outer.fail -= 1
                    self.send_response(500)
                else:
                    outer.received.append((self.path, body))
                    self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"message": {"ack_status": "ACK"}}')

            def do_GET(self):  # a JWKS URI
                outer.gets += 1
                data = json.dumps(outer.jwks).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/spmis"

    def __enter__(self) -> CallbackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def at(self, path: str) -> list[dict]:
        return [b for p, b in self.received if p.endswith(path)]
