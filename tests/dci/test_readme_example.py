"""The worked signature example of the README verifies with the registry's code, and its values
are what the scheme gives."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.dci import signatures

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_readme_worked_example_reproduces_and_verifies():
    section = README[README.index("**Worked example**"):README.index("In Python (")]
    d = re.search(r"private `d` = `([A-Za-z0-9_-]+)`", section).group(1)
    canon = re.search(r"```\n(\{.*\})\n```", section).group(1)
    digest = re.search(r"- digest: `([^`]+)`", section).group(1)
    field = re.search(r"- field: `([^`]+)`", section).group(1)
    body = json.loads(canon)
    key = Ed25519PrivateKey.from_private_bytes(base64.urlsafe_b64decode(d + "="))
    assert signatures.canonical(body["header"], body["message"]).decode() == canon
    assert signatures.digest(body["header"], body["message"]) == digest
    assert signatures.sign(key, "mca.taizhou.gov.cn", body["header"], body["message"],
                           1796083200, 1796083500) == field
    jwk = signatures.public_jwk(key.public_key())
    parsed = signatures.verify(field, body["header"], body["message"], [jwk],
                               "mca.taizhou.gov.cn", 1796083300, 60)
    assert parsed.kid == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
