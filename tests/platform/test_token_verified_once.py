"""A token's signature is checked once per process; what can still change is checked on every
use: it expires, and a token that differs by one character is another token, verified afresh."""

from __future__ import annotations

import time
import uuid
from types import SimpleNamespace

import pytest

from app.auth import tokens
from app.auth.tokens import TokenError, TokenService

SUBJECT = f"user:{uuid.uuid4()}"


def test_a_verified_token_expires_all_the_same(test_settings, monkeypatch):
    service = TokenService(test_settings)
    token, _ = service.issue(SUBJECT, {"ver": 1}, ttl_seconds=60)
    assert service.verify(token)["sub"] == SUBJECT
    assert service.verify(token)["sub"] == SUBJECT  # the kept claims
    later = time.time() + 61
    monkeypatch.setattr(tokens, "time", SimpleNamespace(time=lambda: later))
    with pytest.raises(TokenError) as e:
        service.verify(token)
    assert e.value.code == "auth.token_expired"


def test_kept_claims_are_a_copy(test_settings):
    service = TokenService(test_settings)
    token, _ = service.issue(SUBJECT, {"ver": 1})
    service.verify(token)["sub"] = "user:someone-else"
    assert service.verify(token)["sub"] == SUBJECT


def test_a_changed_signature_of_a_verified_token_is_refused(test_settings):
    service = TokenService(test_settings)
    token, _ = service.issue(SUBJECT, {"ver": 1})
    service.verify(token)
    head, payload, signature = token.split(".")
    flipped = ("A" if signature[5] != "A" else "B")
    forged = f"{head}.{payload}.{signature[:5]}{flipped}{signature[6:]}"
    with pytest.raises(TokenError) as e:
        service.verify(forged)
    assert e.value.code == "auth.bad_signature"


def test_another_key_pair_does_not_share_what_was_verified(test_settings, tmp_path):
    service = TokenService(test_settings)
    token, _ = service.issue(SUBJECT, {"ver": 1})
    service.verify(token)
    other = TokenService(test_settings.model_copy(update={"data_dir": tmp_path}))
    with pytest.raises(TokenError) as e:
        other.verify(token)
    assert e.value.code == "auth.bad_signature"
