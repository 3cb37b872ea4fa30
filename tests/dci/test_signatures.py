"""The pinned signing scheme, without a database: RFC 7638 thumbprints, JCS digests, the
created/expires window at its edges."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.dci import signatures as s

# RFC 8037 appendix A: the Ed25519 key and its RFC 7638 thumbprint
RFC8037_JWK = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_thumbprint_is_rfc7638_of_the_rfc8037_example():
    assert s.thumbprint({**RFC8037_JWK, "kid": "ignored", "use": "sig"}) == RFC8037_THUMBPRINT


def test_digest_is_blake2b_512_of_the_jcs_form_whatever_the_key_order():
    header, message = {"b": 1, "a": "x"}, {"z": [1, 2.5], "y": "统"}
    canon = b'{"header":{"a":"x","b":1},"message":{"y":"\xe7\xbb\x9f","z":[1,2.5]}}'
    assert s.canonical(header, message) == canon
    assert s.digest(header, message) == base64.b64encode(
        hashlib.blake2b(canon, digest_size=64).digest()).decode()
    assert s.digest(dict(reversed(header.items())), message) == s.digest(header, message)


def _signed(now: int, created: int, expires: int):
    key = Ed25519PrivateKey.generate()
    jwk = s.public_jwk(key.public_key())
    header, message = {"message_id": "1"}, {"q": 1}
    field = s.sign(key, "dept", header, message, created, expires)
    return field, header, message, [jwk]


@pytest.mark.parametrize(("created", "expires", "ok"), [
    (1000, 2000, True), (1060, 2000, True), (1061, 2000, False),  # created ahead by 60 / 61 s
    (0, 940, True), (0, 939, False),  # expired 60 / 61 s ago
])
def test_window_allows_60_seconds_of_skew_exactly(created, expires, ok):
    field, header, message, keys = _signed(1000, created, expires)
    if ok:
        assert s.verify(field, header, message, keys, "dept", 1000, 60).kid == s.thumbprint(keys[0])
    else:
        with pytest.raises(s.SignatureError) as e:
            s.verify(field, header, message, keys, "dept", 1000, 60)
        assert e.value.code == "err.signature.invalid"


def test_field_format_and_refusals():
    field, header, message, keys = _signed(1000, 1000, 1300)
    assert field.startswith('Signature: namespace="spdci", kidId="dept|')
    assert 'algorithm="ed25519", created="1000", expires="1300", headers="(created) (expires) '\
           'digest", signature="' in field
    with pytest.raises(s.SignatureError) as e:
        s.verify(None, header, message, keys, "dept", 1000, 60)
    assert e.value.code == "err.signature.missing"
    for bad in (field.replace("Signature:", "Sig:"), field.replace("dept|", "other|"),
                field.replace('algorithm="ed25519"', 'algorithm="rsa"')):
        with pytest.raises(s.SignatureError):
            s.verify(bad, header, message, keys, "dept", 1000, 60)
    with pytest.raises(s.SignatureError):
        s.verify(field, {"message_id": "2"}, message, keys, "dept", 1000, 60)


def test_registry_key_file_is_made_once_with_mode_600(tmp_path):
    from app.config import Settings
    settings = Settings(data_dir=tmp_path)
    first = s.load_or_create_key(settings)
    again = s.load_or_create_key(settings)
    assert s.registry_jwk(first) == s.registry_jwk(again)
    assert (tmp_path / "dci-ed25519.pem").stat().st_mode & 0o777 == 0o600
