"""Local state under instance/ is private: folders 0700, files 0600 from their first byte.

The folder holds the SECRET_KEY, the admin password, the SQLite database and every email
written to the outbox. Modes are given when a file is created (os.open with a mode), never
fixed with chmod afterwards, so there is no moment when another local user can read one.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create the folder 0700 (and tighten one an older release left 0755)."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    info = path.stat()
    if stat.S_IMODE(info.st_mode) & 0o077 and info.st_uid == os.getuid():
        path.chmod(stat.S_IMODE(info.st_mode) & ~0o077)
    return path


def write_new(path: Path, data: bytes) -> None:
    """Create `path` with mode 0600 and write `data`; an existing file is an error."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def sqlite_file(url: str) -> None:
    """Create an SQLite database file 0600 before SQLite does (with the umask's 0644).

    SQLite gives its -wal, -shm and journal files the database file's mode, so they
    are private too.
    """
    if not url.startswith("sqlite"):
        return
    if ":///" not in url:
        return  # sqlite:// is an in-memory database
    path = url.split(":///", 1)[1].split("?", 1)[0]
    if not path or path == ":memory:":
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))

