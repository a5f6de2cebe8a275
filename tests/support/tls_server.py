"""The app as production runs it: gunicorn with TLS, on a throwaway self-signed certificate.

The certificate is made per test with the `openssl` command (for 127.0.0.1 only, valid one
day); the server shares the test's PostgreSQL database, Redis db and SMTP sink.
"""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from newsletter.config import Settings


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """(certificate, key) in PEM for 127.0.0.1."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return cert, key


class TlsGunicorn:
    """`gunicorn --certfile --keyfile 'newsletter:create_app()'` serving the settings' BASE_URL
    (https://127.0.0.1:PORT), so links in mail sent by the test's worker lead to it."""

    def __init__(self, settings: Settings, folder: Path) -> None:
        self.url = settings.base_url
        assert self.url.startswith("https://127.0.0.1:"), "BASE_URL must be https on 127.0.0.1"
        self.port = int(self.url.rsplit(":", 1)[1])
        self.folder = folder
        self.log = folder / "gunicorn.log"
        self.settings = settings
        self.process: subprocess.Popen[bytes] | None = None

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in {"PORT", "TRUSTED_PROXIES"}}
        env.update(
            BASE_URL=self.url,
            DATABASE_URL=self.settings.database_url,
            REDIS_URL=str(self.settings.redis_url),
            SMTP_URL=str(self.settings.smtp_url),
            SECRET_KEY=self.settings.secret_key,
            MAIL_FROM=self.settings.mail_from,
            NEWSLETTER_INSTANCE=str(self.folder / "instance"),
        )
        return env

    def __enter__(self) -> TlsGunicorn:
        cert, key = self_signed_certificate(self.folder)
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", "4",
                 "--bind", f"127.0.0.1:{self.port}", "--certfile", str(cert),
                 "--keyfile", str(key), "newsletter:create_app()"],
                env=self.environment(), stdout=log, stderr=subprocess.STDOUT,
            )
        self._wait_until_serving(cert)
        return self

    def _wait_until_serving(self, cert: Path, timeout: float = 30.0) -> None:
        context = ssl.create_default_context(cafile=str(cert))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/subscribe", context=context, timeout=2):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer over TLS:\n{self.log.read_text()[-3000:]}")

    def __exit__(self, *exc: object) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown (TERM waits for keep-alives)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
