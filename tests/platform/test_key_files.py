"""Keys stay private: key files are written mode 600, a key file others can read stops the
server from starting, and secret settings never show in a repr or a log."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import SecretStr

from app import pii
from app.auth.tokens import TokenService
from app.config import Settings
from app.keyfiles import KEY_FILES, KeyFileError

SECRETS = ("database_url", "jwt_private_key", "pii_key", "pii_hash_key", "admin_password")


def _make_keys(tmp_path) -> Settings:
    settings = Settings(data_dir=tmp_path)
    TokenService(settings)
    pii.keys(settings)
    return settings


def test_key_files_are_written_mode_600_even_with_a_permissive_umask(tmp_path):
    old = os.umask(0)
    try:
        _make_keys(tmp_path)
    finally:
        os.umask(old)
    for name in KEY_FILES:
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o600, name


@pytest.mark.parametrize("name", KEY_FILES)
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_the_app_refuses_to_start_with_a_key_file_others_can_read(tmp_path, name, mode):
    from app.main import create_app

    settings = _make_keys(tmp_path)
    (tmp_path / name).chmod(mode)
    with pytest.raises(KeyFileError, match="chmod 600"):
        create_app(settings)


def test_a_readable_pii_key_is_not_used(tmp_path):
    settings = _make_keys(tmp_path)
    (tmp_path / "pii-hmac.key").chmod(0o644)
    pii.forget_keys()
    with pytest.raises(KeyFileError):
        pii.keys(settings)


def test_serve_exits_non_zero_with_a_clear_message_when_a_key_is_readable(tmp_path):
    _make_keys(tmp_path)
    (tmp_path / "jwt-es256.pem").chmod(0o644)
    env = {**os.environ, "XIAOKANG_DATA_DIR": str(tmp_path),
           "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    done = subprocess.run([sys.executable, "-m", "app.cli", "serve", "--no-worker"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    out = " ".join(done.stdout.split())
    # the message is wrapped to the terminal's width, a long path anywhere inside it
    assert "Refusing to start" in out and "chmod 600" in out
    assert "jwt-es256.pem" in "".join(done.stdout.split())


def test_secret_settings_are_secret_strings_and_never_shown(monkeypatch, tmp_path):
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    values = {
        "DATABASE_URL": "postgresql://xk:hunter2-db@db.internal/xiaokang",
        "XIAOKANG_JWT_PRIVATE_KEY": pem,
        "XIAOKANG_PII_KEY": base64.b64encode(b"k" * 32).decode(),
        "XIAOKANG_PII_HASH_KEY": base64.b64encode(b"h" * 32).decode(),
        "XIAOKANG_ADMIN_PASSWORD": "hunter2-admin",
    }
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    settings = Settings(data_dir=tmp_path)
    for name in SECRETS:
        assert isinstance(getattr(settings, name), SecretStr), name
    shown = repr(settings) + str(settings.model_dump())
    for v in values.values():
        assert v not in shown
    # and every use reads the secret itself
    assert TokenService(settings).keys.private_pem == pem
    pii.forget_keys()
    assert pii.keys(settings) == (b"k" * 32, b"h" * 32)
    from app.db import database_url

    assert database_url(settings).password == "hunter2-db"
    assert not any((tmp_path / name).exists() for name in KEY_FILES)
