"""A real IMAPS + POP3S server for a test: Debian's dovecot on a temp maildir, 127.0.0.1 only.

`make test` installs dovecot-imapd and dovecot-pop3d (like chromium); the server runs in the
foreground under the test, with its own config, ports, certificate and one user.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.tls_server import self_signed_certificate

DOVECOT = "/usr/sbin/dovecot"
USER, PASSWORD = "bounces", "mailbox-secret"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dovecot:
    def __init__(self) -> None:
        # dovecot's auth and mail processes never run as root: everything they read lives in
        # a folder they can reach (pytest's tmp_path is private to root)
        self.folder = Path(tempfile.mkdtemp(prefix="nl-dovecot-"))
        self.folder.chmod(0o755)
        self.imaps, self.pop3s = _free_port(), _free_port()
        self.cert, self.key = self_signed_certificate(self.folder)
        self.maildir = self.folder / "maildir"
        self.maildir.mkdir()
        if os.getuid() == 0:
            nobody = pwd.getpwnam("nobody")
            self.uid, self.gid = nobody.pw_uid, nobody.pw_gid
            os.chown(self.maildir, self.uid, self.gid)
        else:
            self.uid, self.gid = os.getuid(), os.getgid()
        self.process: subprocess.Popen[bytes] | None = None

    def config(self) -> str:
        d = self.folder
        listeners = "".join(
            f"service {name}-login {{\n  chroot =\n  inet_listener {name} {{\n    port = 0\n  }}\n"
            f"  inet_listener {name}s {{\n    port = {port}\n    ssl = yes\n  }}\n}}\n"
            for name, port in (("imap", self.imaps), ("pop3", self.pop3s)))
        return (
            f"base_dir = {d}/run\nstate_dir = {d}/state\ninstance_name = nltest-{self.imaps}\n"
            f"log_path = {d}/dovecot.log\nprotocols = imap pop3\nlisten = 127.0.0.1\n"
            f"ssl = required\nssl_cert = <{self.cert}\nssl_key = <{self.key}\n"
            "auth_mechanisms = plain login\n"
            f"mail_location = maildir:{self.maildir}/mail/%u\n"
            "default_internal_user = dovecot\ndefault_login_user = dovenull\n"
            f"passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {d}/users\n}}\n"
            f"userdb {{\n  driver = static\n  args = uid={self.uid} gid={self.gid} "
            f"home={self.maildir}/home/%u\n}}\n"
            "service anvil {\n  chroot =\n}\n" + listeners
        )

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))

    def url(self, scheme: str, suffix: str = "") -> str:
        port = self.imaps if scheme == "imaps" else self.pop3s
        return f"{scheme}://{USER}:{PASSWORD}@127.0.0.1:{port}{suffix}"

    def __enter__(self) -> Dovecot:
        if not os.path.exists(DOVECOT):
            raise RuntimeError("dovecot is not installed: run `make test` (it installs it)")
        (self.folder / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        (self.folder / "users").chmod(0o644)
        (self.folder / "dovecot.conf").write_text(self.config())
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(self.folder / "dovecot.conf")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.imaps), timeout=1), \
                        socket.create_connection(("127.0.0.1", self.pop3s), timeout=1):
                    return self
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError("dovecot did not start: " + self.log())

    def log(self) -> str:
        path = self.folder / "dovecot.log"
        return path.read_text()[-2000:] if path.exists() else ""

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        shutil.rmtree(self.folder, ignore_errors=True)

    def imap(self) -> imaplib.IMAP4_SSL:
        conn = imaplib.IMAP4_SSL("127.0.0.1", self.imaps, ssl_context=self.client_context())
        try:
            conn.login(USER, PASSWORD)
        except imaplib.IMAP4.error:
            conn.shutdown()
            raise
        return conn

    def deliver(self, *messages: bytes, folder: str = "INBOX") -> None:
        conn = self.imap()
        try:
            for message in messages:
                conn.append(folder, None, None, message.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
        finally:
            conn.logout()

    def count(self, folder: str = "INBOX") -> int:
        conn = self.imap()
        try:
            status, data = conn.select(folder)
            return int(data[0]) if status == "OK" else -1
        finally:
            conn.logout()
