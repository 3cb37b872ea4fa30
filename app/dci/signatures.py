"""DCI message signatures: Ed25519 over a BLAKE2b-512 digest of the JCS form of {header, message}.

The specification says only "signature of {header}+{message}" with an example `Signature:` string;
the scheme pinned here is the Beckn protocol's, which that example follows:

- digest = base64(BLAKE2b-512(UTF-8 of RFC 8785 JCS canonical JSON of {"header": …, "message": …}))
- signing string = "(created): {created}\\n(expires): {expires}\\ndigest: BLAKE-512={digest}"
- field = 'Signature: namespace="spdci", kidId="{sender_id}|{kid}|ed25519", algorithm="ed25519",
  created="{created}", expires="{expires}", headers="(created) (expires) digest",
  signature="{base64 Ed25519 signature of the signing string}"'

`kid` is the RFC 7638 thumbprint of the signer's JWK. Nothing here touches the database.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.config import Settings, reveal

ALGORITHM = "ed25519"
NAMESPACE = "spdci"
HEADERS = "(created) (expires) digest"
_FIELD = re.compile(r'([a-zA-Z]+)="([^"]*)"')


class SignatureError(Exception):
    """A signature that cannot be trusted; `code` is err.signature.missing or .invalid."""

    def __init__(self, code: str, detail: str) -> None:
        self.code = code
        self.detail = detail
        super().__init__(detail)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canonical(header: Any, message: Any) -> bytes:
    """RFC 8785 (JCS) bytes of {"header": header, "message": message}."""
    return rfc8785.dumps({"header": header, "message": message})


def digest(header: Any, message: Any) -> str:
    """base64 of BLAKE2b-512 over the canonical bytes."""
    return base64.b64encode(hashlib.blake2b(canonical(header, message), digest_size=64).digest()
                            ).decode()


def signing_string(created: int, expires: int, digest_b64: str) -> str:
    return f"(created): {created}\n(expires): {expires}\ndigest: BLAKE-512={digest_b64}"


def public_jwk(key: Ed25519PublicKey) -> dict[str, str]:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw)}


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638: SHA-256 of the required members (crv, kty, x for OKP) in lexicographic order,
    no whitespace, base64url without padding."""
    required = {k: jwk[k] for k in ("crv", "kty", "x")}
    return _b64url(hashlib.sha256(json.dumps(required, separators=(",", ":"),
                                             sort_keys=True).encode()).digest())


def jwk_public_key(jwk: dict[str, Any]) -> Ed25519PublicKey:
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or not isinstance(jwk.get("x"), str):
        raise ValueError("not an Ed25519 public JWK (kty OKP, crv Ed25519, x)")
    raw = _b64url_decode(jwk["x"])
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def sign(private: Ed25519PrivateKey, signer_id: str, header: Any, message: Any, created: int,
         expires: int) -> str:
    """The `signature` field for {header, message}, signed by `signer_id` with `private`."""
    kid = thumbprint(public_jwk(private.public_key()))
    text = signing_string(created, expires, digest(header, message))
    sig = base64.b64encode(private.sign(text.encode())).decode()
    return (f'Signature: namespace="{NAMESPACE}", kidId="{signer_id}|{kid}|{ALGORITHM}", '
            f'algorithm="{ALGORITHM}", created="{created}", expires="{expires}", '
            f'headers="{HEADERS}", signature="{sig}"')


@dataclass(frozen=True)
class ParsedSignature:
    signer_id: str
    kid: str
    created: int
    expires: int
    signature: bytes


def parse(field: str) -> ParsedSignature:
    """The parts of a `Signature:` field (err.signature.invalid when malformed)."""
    bad = "err.signature.invalid"
    text = field.strip()
    if not text.startswith("Signature:"):
        raise SignatureError(bad, "The signature must start with 'Signature:'.")
    parts = dict(_FIELD.findall(text))
    if parts.get("namespace") != NAMESPACE or parts.get("algorithm") != ALGORITHM:
        raise SignatureError(bad, 'The signature needs namespace="spdci" and algorithm="ed25519".')
    if parts.get("headers") != HEADERS:
        raise SignatureError(bad, f'The signature must cover headers="{HEADERS}".')
    kid_parts = parts.get("kidId", "").split("|")
    if len(kid_parts) != 3 or kid_parts[2] != ALGORITHM or not kid_parts[0] or not kid_parts[1]:
        raise SignatureError(bad, 'kidId must be "{sender_id}|{kid}|ed25519".')
    try:
        created, expires = int(parts["created"]), int(parts["expires"])
        raw = base64.b64decode(parts["signature"], validate=True)
    except (KeyError, ValueError) as e:
        raise SignatureError(bad, "created, expires and signature are required.") from e
    return ParsedSignature(kid_parts[0], kid_parts[1], created, expires, raw)


def verify(field: str | None, header: Any, message: Any, keys: list[dict[str, Any]],
           signer_id: str, now: int, skew: int) -> ParsedSignature:
    """Check the signature field against the signer's registered JWKs at Unix time `now`."""
    if not field:
        raise SignatureError("err.signature.missing", "The message is not signed.")
    parsed = parse(field)
    bad = "err.signature.invalid"
    if parsed.signer_id != signer_id:
        raise SignatureError(bad, "The signature's kidId names another sender.")
    if parsed.created > parsed.expires:
        raise SignatureError(bad, "The signature expires before it was created.")
    if now + skew < parsed.created or now - skew > parsed.expires:
        raise SignatureError(bad, "The signature is outside its created/expires window.")
    matching = [k for k in keys if _safe_thumbprint(k) == parsed.kid]
    if not matching:
        raise SignatureError(bad, "No registered key of the sender has this kid.")
    text = signing_string(parsed.created, parsed.expires, digest(header, message))
    try:
        jwk_public_key(matching[0]).verify(parsed.signature, text.encode())
    except (InvalidSignature, ValueError) as e:
        raise SignatureError(bad, "The signature does not verify.") from e
    return parsed


def _safe_thumbprint(jwk: dict[str, Any]) -> str | None:
    try:
        return thumbprint(jwk)
    except (KeyError, TypeError):
        return None


def load_or_create_key(settings: Settings) -> Ed25519PrivateKey:
    """The registry's signing key: from settings, or `<data_dir>/dci-ed25519.pem` made once (600)."""
    if settings.dci_signing_key:
        pem = (reveal(settings.dci_signing_key) or "").encode()
    else:
        path = Path(settings.data_dir) / "dci-ed25519.pem"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fresh = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption())
            try:  # exclusive: two processes starting together keep one key
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "wb") as f:
                    f.write(fresh)
        pem = path.read_bytes()
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the DCI signing key must be an Ed25519 private key")
    return key


def registry_jwk(key: Ed25519PrivateKey) -> dict[str, str]:
    """The registry's public key as published in /.well-known/jwks.json."""
    jwk = public_jwk(key.public_key())
    return {**jwk, "kid": thumbprint(jwk), "use": "sig", "alg": "EdDSA"}
