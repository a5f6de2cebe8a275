"""Local state is private: instance/ is 0700 and every file in it 0600 from the start,
whatever the umask; `newsletter run` keeps reader tokens out of its access log."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from newsletter.config import Settings
from newsletter.mail.transport import OutboxTransport
from newsletter.migrate import upgrade
from newsletter.runtime import make_engine
from newsletter.subscribers.tokens import Purpose, Tokens
from tests.support.smtp import free_port


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The common default umask: without care, new files would be world-readable."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_a_new_instance_folder_and_its_files_are_private(tmp_path, monkeypatch, open_umask):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    instance = tmp_path / "instance"
    settings = Settings.from_env(instance=instance, database_url=f"sqlite:///{instance}/n.db",
                                 redis_url=None, smtp_url=None)
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    with engine.connect() as conn:  # an open connection keeps the WAL and shared-memory files
        conn.execute(text("SELECT count(*) FROM subscriber"))
        OutboxTransport(settings.outbox).send("from@example.com", "to@example.com", b"Hi\r\n")
        files = {p.name: mode(p) for p in instance.iterdir() if p.is_file()}
        [eml] = settings.outbox.glob("*.eml")
        assert {"secret_key", "n.db", "n.db-wal", "n.db-shm"} <= set(files)
        assert files == dict.fromkeys(files, 0o600)
        assert mode(eml) == 0o600
    engine.dispose()
    assert mode(instance) == 0o700 and mode(settings.outbox) == 0o700


def test_an_instance_folder_left_open_by_an_older_release_is_closed(tmp_path, monkeypatch,
                                                                     open_umask):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    Settings.from_env(instance=instance, database_url="sqlite://", redis_url=None)
    assert mode(instance) == 0o700


def _get(url: str, **headers: str) -> int:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - local server
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.slow
def test_newsletter_run_writes_no_reader_token_to_its_access_log_or_world_readable_files(
    tmp_path, open_umask
):
    instance = tmp_path / "instance"
    port = free_port()
    env = run_env()
    env.update(NEWSLETTER_INSTANCE=str(instance), PORT=str(port), SECRET_KEY="run-test-secret")
    newsletter = Path(sys.executable).parent / "newsletter"
    proc = subprocess.Popen([str(newsletter), "run"], env=env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    tokens = {p: Tokens("run-test-secret").make(p, 1) for p in Purpose}
    try:
        deadline = time.monotonic() + 60
        while _get(f"{base}/subscribe") != 200 if _up(base) else True:
            assert time.monotonic() < deadline and proc.poll() is None, "server did not start"
            time.sleep(0.3)
        for purpose, value in tokens.items():
            _get(f"{base}/{purpose.value}/{value}",
                 Referer=f"{base}/preferences/{tokens[Purpose.PREFERENCES]}")
        _get(f"{base}/r/some-tracked-link-token")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)

    log = (instance / "access.log").read_text()
    assert "/unsubscribe/[token]" in log and "/confirm/[token]" in log
    assert "/preferences/[token]" in log and "/r/[token]" in log
    for value in [*tokens.values(), "some-tracked-link-token"]:
        assert value not in log
    world_readable = [p for p in instance.rglob("*")
                      if not p.is_symlink() and mode(p) & 0o077]
    assert world_readable == []
    assert mode(instance / "admin-password.txt") == 0o600


def run_env() -> dict[str, str]:
    """The environment of `newsletter run` on the embedded defaults (nothing configured)."""
    return {k: v for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "REDIS_URL", "SMTP_URL", "BASE_URL", "SECRET_KEY", "PORT"}}


def _up(base: str) -> bool:
    try:
        return _get(f"{base}/subscribe") > 0
    except OSError:
        return False


def children_of(pid: int) -> list[int]:
    """Processes whose parent is `pid` (Linux /proc)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(status.parent.name))
    return found


def commands(pids: list[int]) -> set[str]:
    """The program names in these processes' command lines (gunicorn, worker.py, …)."""
    names = set()
    for pid in pids:
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        names |= {Path(a.decode()).name for a in argv if a}
    return names


@pytest.mark.slow
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_newsletter_run_stopped_while_starting_leaves_no_process_behind(tmp_path, stop_signal):
    env = run_env()
    env.update(NEWSLETTER_INSTANCE=str(tmp_path / "instance"), PORT=str(free_port()),
               SECRET_KEY="run-test-secret")
    newsletter = Path(sys.executable).parent / "newsletter"
    proc = subprocess.Popen([str(newsletter), "run"], env=env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    children: list[int] = []
    try:
        # the signal as soon as gunicorn and the worker exist, while `run` is still starting up
        while not {"gunicorn", "worker.py"} <= commands(children := children_of(proc.pid)):
            assert time.monotonic() < deadline and proc.poll() is None, "run did not start"
            time.sleep(0.05)
    finally:
        proc.send_signal(stop_signal)
        proc.wait(timeout=30)
    time.sleep(0.5)
    assert [pid for pid in children if Path(f"/proc/{pid}").exists()] == []


@pytest.mark.slow
def test_newsletter_run_on_another_port_links_mail_to_that_port(tmp_path):
    env = run_env()
    env.update(NEWSLETTER_INSTANCE=str(tmp_path / "instance"), SECRET_KEY="run-test-secret")
    port = free_port()
    newsletter = Path(sys.executable).parent / "newsletter"
    proc = subprocess.Popen([str(newsletter), "run", "--port", str(port)], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        lines = iter(proc.stdout.readline, b"")
        running = next(line for line in lines if b"is running at" in line)
        worker = next(pid for pid in children_of(proc.pid) if "worker.py" in commands([pid]))
        worker_env = Path(f"/proc/{worker}/environ").read_bytes().split(b"\0")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/subscribe".encode() in running
    assert f"BASE_URL=http://127.0.0.1:{port}".encode() in worker_env
