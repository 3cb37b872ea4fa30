"""Key files in the data directory: written mode 600, refused when others can read them.

The JWT signing key and the two PII keys are generated once into `<data_dir>` when settings do
not give them. A key that group or others can read is as good as published, so the server
refuses to start (and no key is read) until the file is `chmod 600` again.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from app.config import Settings

KEY_FILES = ("jwt-es256.pem", "pii-aes.key", "pii-hmac.key")


class KeyFileError(RuntimeError):
    """A key file whose permissions let someone else read it."""


def check(path: Path) -> None:
    """Raise KeyFileError when group or others may read, write or run the key file."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyFileError(
            f"The key file {path} has mode {mode:o}: group or others can read it. "
            f"Restrict it with `chmod 600 {path}` (and consider the key exposed).")


def read(path: Path) -> bytes:
    """The content of a key file, after checking its permissions."""
    check(path)
    return path.read_bytes()


def create(path: Path, content: bytes) -> None:
    """Write a new key file, mode 600, unless it exists (two processes starting together keep
    the first one's key)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(content)


def check_all(settings: Settings) -> None:
    """At start: every key file present in the data directory (rotated keys too:
    `pii-aes-2.key`, `jwt-es256-2.pem`, ...) is private to its owner."""
    data_dir = Path(settings.data_dir)
    names = set(KEY_FILES)
    if data_dir.is_dir():
        names |= {p.name for p in data_dir.iterdir()
                  if p.name.startswith(("pii-", "jwt-es256")) and p.suffix in (".key", ".pem")}
    for name in sorted(names):
        path = data_dir / name
        if path.exists():
            check(path)
