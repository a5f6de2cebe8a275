"""SMTP_URL forms against real servers: smtp://, smtp+starttls:// and smtps://, with the
certificate checked (a test CA made with openssl), AUTH from the URL, and the envelope
sender taken from ENVELOPE_FROM."""

from __future__ import annotations

import dataclasses
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import func, select

from newsletter.config import Settings
from newsletter.mail.transport import LoginRefused, SMTPTransport, TemporaryFailure
from newsletter.models import Delivery, Edition
from tests.factories import make_topic
from tests.support.delivery import Sender, bulk_subscribers, scheduled_edition, start, statuses
from tests.support.smtp import SinkHandler, free_port

MESSAGE = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nhello\r\n"


@dataclasses.dataclass
class Certs:
    ca: Path
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca))


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    """A throwaway CA and a server certificate for 127.0.0.1, made with the openssl CLI."""
    d = tmp_path_factory.mktemp("tls")

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=Newsletter Test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1")
    (d / "ext.cnf").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
        "authorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")
    return Certs(d / "ca.pem", d / "server.pem", d / "server.key")


class Server:
    """aiosmtpd with the options under test; `.handler.messages` keeps what it accepted."""

    def __init__(self, hostname: str = "127.0.0.1", **options: object) -> None:
        self.handler = SinkHandler()
        self.port = free_port()
        self.logins: list[tuple[bytes, bytes]] = []
        if options.pop("auth", False):
            options["authenticator"] = self.authenticate
        self.controller = Controller(self.handler, hostname=hostname, port=self.port,
                                     **options)

    def authenticate(self, server, session, envelope, mechanism, auth_data):  # noqa: ANN001, ANN201
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            b"mailer", b"s3cret/pass:word")
        if ok:
            self.logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535


@pytest.fixture
def serve() -> Iterator:
    started: list[Server] = []

    def make(**options: object) -> Server:
        server = Server(**options)
        server.controller.start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.controller.stop()


def send_one(url: str, context: ssl.SSLContext | None = None) -> None:
    with SMTPTransport(url, timeout=10, ssl_context=context) as transport:
        transport.send("bounces@example.com", "reader@example.com", MESSAGE)


def test_plain_smtp_with_auth_from_the_url(serve):
    server = serve(auth=True, auth_require_tls=False)

    send_one(f"smtp://mailer:s3cret%2Fpass%3Aword@127.0.0.1:{server.port}")

    assert server.logins == [(b"mailer", b"s3cret/pass:word")]
    assert [m.rcpt_tos for m in server.handler.messages] == [["reader@example.com"]]


def test_a_wrong_password_is_refused_as_a_login_problem(serve):
    server = serve(auth=True, auth_require_tls=False)

    with pytest.raises(LoginRefused):
        send_one(f"smtp://mailer:wrong@127.0.0.1:{server.port}")
    assert server.handler.messages == []


def test_a_refused_login_pauses_the_edition_and_fails_no_recipient(serve, db, runtime):
    server = serve(auth=True, auth_require_tls=False)
    topics = [make_topic(db, "world")]
    bulk_subscribers(db, 5, topics)
    edition_id = scheduled_edition(db, topics)
    start(runtime, edition_id)

    result = Sender(runtime, f"smtp://mailer:wrong@127.0.0.1:{server.port}").batch(edition_id)

    assert result.stopped and "login" in result.stopped
    with runtime.Session() as s:
        edition = s.get(Edition, edition_id)
        assert edition.status == "paused" and "SMTP_URL" in edition.pause_reason
    assert statuses(runtime, edition_id) == {"pending": 5}
    with runtime.Session() as s:
        assert s.scalar(select(func.sum(Delivery.attempts))) == 0


def test_starttls_with_a_verified_certificate_and_auth(serve, certs):
    server = serve(tls_context=certs.server_context(), require_starttls=True, auth=True,
                   auth_require_tls=True)

    send_one(f"smtp+starttls://mailer:s3cret%2Fpass%3Aword@127.0.0.1:{server.port}",
             certs.client_context())

    assert server.logins and len(server.handler.messages) == 1


def test_smtps_with_a_verified_certificate(serve, certs):
    server = serve(ssl_context=certs.server_context())

    send_one(f"smtps://127.0.0.1:{server.port}", certs.client_context())

    assert len(server.handler.messages) == 1


def test_the_default_context_trusts_ssl_cert_file(serve, certs, monkeypatch):
    """No context passed: the production path (ssl default context, verify on) with the CA
    installed the way an operator would, through SSL_CERT_FILE."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certs.ca))
    server = serve(ssl_context=certs.server_context())

    send_one(f"smtps://127.0.0.1:{server.port}")

    assert len(server.handler.messages) == 1


@pytest.mark.parametrize("scheme", ["smtps", "smtp+starttls"])
def test_an_untrusted_certificate_is_refused(serve, certs, scheme, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    options = ({"ssl_context": certs.server_context()} if scheme == "smtps"
               else {"tls_context": certs.server_context(), "require_starttls": True})
    server = serve(**options)

    with pytest.raises(TemporaryFailure, match="CERTIFICATE_VERIFY_FAILED|certificate verify"):
        send_one(f"{scheme}://127.0.0.1:{server.port}")
    assert server.handler.messages == []


def test_a_certificate_for_another_host_is_refused(serve, certs):
    server = serve(hostname="127.0.0.2", ssl_context=certs.server_context())  # cert: 127.0.0.1

    with pytest.raises(TemporaryFailure, match="mismatch|match"):
        send_one(f"smtps://127.0.0.2:{server.port}", certs.client_context())
    assert server.handler.messages == []


def test_the_envelope_sender_comes_from_envelope_from(db, runtime, smtp, settings, monkeypatch):
    monkeypatch.setenv("ENVELOPE_FROM", "bounces+edition@news.example.test")
    configured = Settings.from_env(**{f.name: getattr(settings, f.name)
                                      for f in dataclasses.fields(settings)
                                      if f.name != "envelope_from"})
    assert configured.envelope_from == "bounces+edition@news.example.test"
    runtime.settings = configured
    topics = [make_topic(db, "world")]
    emails = bulk_subscribers(db, 2, topics)
    edition_id = scheduled_edition(db, topics)
    start(runtime, edition_id)

    Sender(runtime, smtp.url).drain(edition_id)

    assert runtime.postman().envelope_from == "bounces+edition@news.example.test"
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == sorted(emails)
    # VERP: the configured address plus a signed tag per copy
    assert all(m.mail_from.startswith("bounces+edition+") and m.mail_from.endswith(
        "@news.example.test") for m in smtp.messages)
    assert len({m.mail_from for m in smtp.messages}) == 2
    assert {m.message["From"] for m in smtp.messages} == {settings.mail_from}
