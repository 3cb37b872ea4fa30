"""Access tokens: JWTs signed with ES256. The only module that imports python-jose.

Verification pins the algorithm list to ES256 and requires iss, aud, sub, exp, iat and jti, so a
token with `alg: none`, an HS256 token keyed with the public key, or a token missing a claim is
refused; an `iat` more than the allowed clock skew in the future is refused too. The key pair
comes from settings or is generated once into the data directory (mode 600), and is parsed once:
verifying a token never re-reads a PEM.

A token's signature is checked once per process: the claims of a token that passed every check
are kept (a bounded map keyed by the token itself), and a later request with the same token
only has its times checked again (exp, and iat against the clock skew). A token is immutable,
so what its signature proved stays proved; revocation is the account check's business
(app/auth/liveness.py), never the signature's.

The signing key rotates (`xiaokang rotate-keys --signing`): a new file `jwt-es256-<n>.pem` signs
from then on, in every process (each looks at the data directory, one stat() per token issued);
every token names its key (`kid`) and is verified with that key only; the older keys stay in the
JWKS until `--retire` removes them, once no token they signed can still be valid.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jwk, jws, jwt
from jose.exceptions import ExpiredSignatureError, JWSError, JWTError

from app import keyfiles
from app.config import Settings, reveal

ALGORITHM = "ES256"
ALGORITHMS = [ALGORITHM]  # pinned: nothing else is ever accepted
REQUIRED_CLAIMS = ("iss", "aud", "sub", "exp", "iat", "jti")
VERIFIED_CACHE_ENTRIES = 4096


class TokenError(Exception):
    """A token that cannot be trusted; `code` says why (`auth.token_expired`, ...)."""

    def __init__(self, code: str, detail: str) -> None:
        self.code = code
        self.detail = detail
        super().__init__(detail)


@dataclass(frozen=True)
class KeyPair:
    private_pem: str
    public_pem: str
    kid: str


def _kid(public_pem: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(public_pem.encode()).digest()[:12]).decode()


def _from_private_pem(pem: str) -> KeyPair:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError("the JWT signing key must be an EC P-256 private key (ES256)")
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return KeyPair(pem, public_pem, _kid(public_pem))


SIGNING_FILE = re.compile(r"^jwt-es256(?:-(\d+))?\.pem$")


class SigningKeyError(Exception):
    """A signing key rotation that cannot be done (nothing changed)."""


def _signing_file(n: int) -> str:
    return "jwt-es256.pem" if n == 0 else f"jwt-es256-{n}.pem"


def _signing_files(data_dir: Path) -> list[tuple[int, Path]]:
    """The signing key files of the data directory, oldest first."""
    if not data_dir.is_dir():
        return []
    found = [(int(m.group(1) or 0), p) for p in data_dir.iterdir()
             if (m := SIGNING_FILE.match(p.name))]
    return sorted(found)


def load_or_create_keys(settings: Settings) -> KeyPair:
    """The signing key from settings, or the newest `<data_dir>/jwt-es256[-n].pem` (the first
    generated once)."""
    return load_all_keys(settings)[-1]


def load_all_keys(settings: Settings) -> list[KeyPair]:
    """Every key pair tokens may be verified with, the signing one last: the one of settings, or
    the files of the data directory (the first generated once)."""
    if configured := reveal(settings.jwt_private_key):
        return [_from_private_pem(configured)]
    data_dir = Path(settings.data_dir)
    if not _signing_files(data_dir):
        key = ec.generate_private_key(ec.SECP256R1())
        keyfiles.create(data_dir / _signing_file(0), key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ))
    return [_from_private_pem(keyfiles.read(p).decode()) for _, p in _signing_files(data_dir)]


def rotate_signing_key(settings: Settings) -> str:
    """A new signing key file (mode 600): it signs from the next token on, in every process
    (they look at the data directory); the older keys still verify and stay in the JWKS until
    retired. Answers the new key's kid."""
    if reveal(settings.jwt_private_key):
        raise SigningKeyError("The signing key comes from XIAOKANG_JWT_PRIVATE_KEY: rotate it "
                              "there (nothing was changed).")
    load_all_keys(settings)  # the first key exists, and every file is private
    data_dir = Path(settings.data_dir)
    n = _signing_files(data_dir)[-1][0] + 1
    key = ec.generate_private_key(ec.SECP256R1())
    path = data_dir / _signing_file(n)
    keyfiles.create(path, key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return _from_private_pem(keyfiles.read(path).decode()).kid


def token_lifetime(settings: Settings) -> int:
    """Seconds a token signed now may be accepted: its lifetime and the clock skew."""
    return settings.access_token_ttl_seconds + settings.token_clock_skew_seconds


def retire_signing_keys(settings: Settings, now: float | None = None) -> list[Path]:
    """Remove the signing keys older than the newest once the newest has signed for longer than
    a token lives (no token signed by an older key can still be valid); answers those removed."""
    if reveal(settings.jwt_private_key):
        raise SigningKeyError("The signing key comes from XIAOKANG_JWT_PRIVATE_KEY: there are "
                              "no key files to retire.")
    files = _signing_files(Path(settings.data_dir))
    if len(files) < 2:
        return []
    newest = files[-1][1]
    age = (now if now is not None else time.time()) - newest.stat().st_mtime
    if age < token_lifetime(settings):
        raise SigningKeyError(
            f"The newest signing key ({newest.name}) is {int(age)} s old: tokens signed by the "
            f"older keys may be valid for up to {token_lifetime(settings)} s after it came. "
            "Nothing was removed; retire later.")
    for _, path in files[:-1]:
        path.unlink()
    return [p for _, p in files[:-1]]


class TokenService:
    def __init__(self, settings: Settings, keys: KeyPair | None = None) -> None:
        self.settings = settings
        self._fixed = keys is not None
        self._stamp: int | None = None
        self._load([keys] if keys is not None else load_all_keys(settings))

    def _load(self, pairs: list[KeyPair]) -> None:
        # Parsed once: python-jose re-parses a PEM string on every call, a Key object it uses.
        self.keys = pairs[-1]
        self._signing_key = jwk.construct(self.keys.private_pem, ALGORITHM)
        self._verifying = {p.kid: (p, jwk.construct(p.public_pem, ALGORITHM)) for p in pairs}
        # Tokens verified under the keys loaded; a change of keys (one retired) verifies afresh.
        self._verified: dict[str, dict[str, Any]] = {}
        self._stamp = self._dir_stamp()

    def _dir_stamp(self) -> int | None:
        try:
            return Path(self.settings.data_dir).stat().st_mtime_ns
        except OSError:
            return None

    def refresh(self) -> None:
        """Pick up keys added or retired in the data directory (`xiaokang rotate-keys
        --signing`): one stat() when nothing changed."""
        if self._fixed or reveal(self.settings.jwt_private_key):
            return
        if self._dir_stamp() != self._stamp:
            self._load(load_all_keys(self.settings))

    def issue(self, subject: str, claims: dict[str, Any], ttl_seconds: int | None = None,
              now: datetime | None = None) -> tuple[str, int]:
        """Sign an access token for `subject`; answers the token and its lifetime in seconds."""
        ttl = ttl_seconds if ttl_seconds is not None else self.settings.access_token_ttl_seconds
        now = now or datetime.now(UTC)
        self.refresh()
        payload = {
            **claims,
            "iss": self.settings.jwt_issuer,
            "aud": self.settings.jwt_audience,
            "sub": subject,
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(seconds=ttl)).timestamp()),
            "jti": uuid.uuid4().hex,
        }
        token = jwt.encode(payload, self._signing_key, algorithm=ALGORITHM,
                           headers={"kid": self.keys.kid})
        return token, ttl

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a token we signed, or TokenError with a stable code."""
        self.refresh()  # a key retired in the data directory: its tokens are verified afresh
        known = self._verified.get(token)
        if known is not None:
            self._check_times(known)
            return dict(known)
        claims = self._verify_fully(token)
        if len(self._verified) >= VERIFIED_CACHE_ENTRIES:
            now = time.time()
            self._verified = {t: c for t, c in self._verified.items() if c["exp"] > now}
            if len(self._verified) >= VERIFIED_CACHE_ENTRIES:
                self._verified.clear()
        self._verified[token] = claims
        return dict(claims)

    def _check_times(self, claims: dict[str, Any]) -> None:
        """What can change for a token already verified: it expires (exp, no leeway, as
        python-jose checks it), and an iat ahead of the clock is refused."""
        now = time.time()
        if claims["exp"] < int(now):
            raise TokenError("auth.token_expired", "The token has expired.")
        if claims["iat"] > now + self.settings.token_clock_skew_seconds:
            raise TokenError("auth.bad_claims", "The token was issued in the future (iat).")

    def _verify_fully(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except JWTError as e:
            raise TokenError("auth.malformed_token", "The token is not a JWT.") from e
        if header.get("alg") not in ALGORITHMS:
            raise TokenError("auth.bad_algorithm", "The token is not signed with ES256.")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise TokenError("auth.bad_signature", "The token names no signing key (kid).")
        self.refresh()  # a key retired in the data directory no longer verifies
        if kid not in self._verifying:
            raise TokenError("auth.bad_signature", "The token's signing key (kid) is not ours.")
        verifying_key = self._verifying[kid][1]
        try:
            # The signature first, on its own (and only once): whatever fails after it is the
            # claims' fault.
            jws.verify(token, verifying_key, ALGORITHMS)
        except JWSError as e:
            raise TokenError("auth.bad_signature", "The token's signature is not valid.") from e
        try:
            claims = jwt.decode(
                token,
                verifying_key,
                algorithms=ALGORITHMS,
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                options={
                    "require_iss": True, "require_aud": True, "require_sub": True,
                    "require_exp": True, "require_iat": True, "require_jti": True,
                    # verified just above: decoding checks the claims, not the signature again
                    "verify_signature": False, "verify_aud": True, "verify_iss": True,
                    "verify_exp": True, "verify_iat": True, "verify_sub": True,
                    "verify_jti": True, "leeway": 0,
                },
            )
        except ExpiredSignatureError as e:
            raise TokenError("auth.token_expired", "The token has expired.") from e
        except JWTError as e:  # a claim missing, of the wrong type or not acceptable
            raise TokenError("auth.bad_claims", f"The token's claims are not acceptable: {e}.") from e
        missing = [c for c in REQUIRED_CLAIMS if c not in claims]
        if missing:  # belt and braces: python-jose's require_* options are per-claim
            raise TokenError("auth.bad_claims", f"The token lacks {', '.join(missing)}.")
        iat = claims["iat"]
        if not isinstance(iat, int) or isinstance(iat, bool):
            raise TokenError("auth.bad_claims", "The token's iat is not a number of seconds.")
        if not isinstance(claims["exp"], int | float) or isinstance(claims["exp"], bool):
            raise TokenError("auth.bad_claims", "The token's exp is not a number of seconds.")
        self._check_times(claims)
        return claims

    def jwks(self) -> dict[str, Any]:
        """The public key set served at /.well-known/jwks.json: the signing key and the older
        ones not yet retired (tokens they signed may still be valid)."""
        self.refresh()
        out = []
        for pair, _ in reversed(list(self._verifying.values())):
            key = jwk.construct(pair.public_pem, ALGORITHM).to_dict()
            key = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in key.items()}
            key.update({"kid": pair.kid, "use": "sig", "alg": ALGORITHM})
            out.append(key)
        return {"keys": out}


def unverified_subject(token: str) -> str | None:
    """The `sub` of a token without checking it: only for keying rate limits and replays."""
    try:
        part = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        return str(data.get("sub")) if data.get("sub") else None
    except Exception:  # noqa: BLE001 - any garbage simply has no subject
        return None
