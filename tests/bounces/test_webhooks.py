"""Provider webhooks, each checked as its provider documents, fed with documented samples."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import func, select

from newsletter.bounces import sns
from newsletter.bounces.sns import canonical
from newsletter.models import BounceRecord, Subscriber
from newsletter.subscribers.service import is_suppressed

from .samples import FIXTURES

CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000.pem"
MAILGUN_KEY = "key-mailgun-test"
POSTMARK_AUTH = "hooks:s3cret"


def sample(name: str) -> dict:
    return json.loads((FIXTURES / "providers" / name).read_text())


@pytest.fixture(scope="module")
def sns_key(tmp_path_factory):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    path = tmp_path_factory.mktemp("sns") / "cert.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, str(path)


@pytest.fixture(scope="module")
def sendgrid_key():
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return key, base64.b64encode(public).decode()


@pytest.fixture
def hooks(verp_runtime, sns_key, sendgrid_key):
    verp_runtime.settings = dataclasses.replace(
        verp_runtime.settings, ses_sns_cert_file=sns_key[1], postmark_webhook_auth=POSTMARK_AUTH,
        mailgun_signing_key=MAILGUN_KEY, sendgrid_public_key=sendgrid_key[1])
    return verp_runtime


def sns_envelope(key, message: dict | str, kind: str = "Notification", version: str = "2",
                 **extra) -> dict:
    envelope = {"Type": kind, "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
                "TopicArn": "arn:aws:sns:us-east-1:123456789012:ses-bounces",
                "Message": message if isinstance(message, str) else json.dumps(message),
                "Timestamp": "2024-01-27T15:00:00.000Z", "SignatureVersion": version,
                "SigningCertURL": CERT_URL, **extra}
    algorithm = hashes.SHA256() if version == "2" else hashes.SHA1()  # noqa: S303
    signature = key.sign(canonical(envelope), padding.PKCS1v15(), algorithm)
    envelope["Signature"] = base64.b64encode(signature).decode()
    return envelope


def ses_bounce_for(email: str, source: str) -> dict:
    data = sample("ses_bounce.json")
    data["bounce"]["bouncedRecipients"][0]["emailAddress"] = email
    data["bounce"]["bouncedRecipients"][0]["diagnosticCode"] = f"smtp; 550 5.1.1 <{email}>... User"
    data["mail"]["source"] = source
    return data


def records(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(BounceRecord))


def status(db, sid: int) -> str:
    db.expire_all()
    return db.get(Subscriber, sid).status


@pytest.mark.parametrize("version", ["1", "2"])
def test_ses_signed_bounce_marks_the_reader_bounced(client, db, hooks, sns_key, verp, send_edition,
                                                    version):
    sent = send_edition(1)
    email, sid = sent.emails[0], sent.subscriber_ids[sent.emails[0]]
    body = sns_envelope(sns_key[0], ses_bounce_for(email, verp.sender(sid, sent.edition_id)),
                        version=version)
    response = client.post("/webhooks/ses", data=json.dumps(body),
                           headers={"Content-Type": "text/plain; charset=UTF-8"})
    assert response.status_code == 200, response.json
    assert response.json == {"received": 1, "matched": 1, "duplicates": 0}
    assert status(db, sid) == "bounced"


def test_ses_signed_complaint_unsubscribes(client, db, hooks, sns_key, verp, send_edition):
    sent = send_edition(1)
    email, sid = sent.emails[0], sent.subscriber_ids[sent.emails[0]]
    data = sample("ses_complaint.json")
    data["complaint"]["complainedRecipients"][0]["emailAddress"] = email
    data["mail"]["source"] = verp.sender(sid, sent.edition_id)
    response = client.post("/webhooks/ses", data=json.dumps(sns_envelope(sns_key[0], data)))
    assert response.status_code == 200
    assert status(db, sid) == "unsubscribed" and is_suppressed(db, email)


def test_ses_tampered_message_is_refused(client, db, hooks, sns_key, verp, send_edition):
    sent = send_edition(1)
    email, sid = sent.emails[0], sent.subscriber_ids[sent.emails[0]]
    body = sns_envelope(sns_key[0], ses_bounce_for("someone@else.example", "x@example.com"))
    body["Message"] = json.dumps(ses_bounce_for(email, verp.sender(sid, sent.edition_id)))
    response = client.post("/webhooks/ses", data=json.dumps(body))
    assert response.status_code == 403 and "signature" in response.json["error"]
    assert records(db) == 0 and status(db, sid) == "active"


@pytest.mark.parametrize("url", [
    "https://sns.us-east-1.amazonaws.com.evil.example/cert.pem",
    "http://sns.us-east-1.amazonaws.com/cert.pem",
    "https://evil.example/sns.us-east-1.amazonaws.com/cert.pem",
    "https://sns.us-east-1.amazonaws.com:8443/cert.pem",
])
def test_ses_certificate_url_off_amazon_is_refused(client, db, hooks, sns_key, url):
    body = sns_envelope(sns_key[0], sample("ses_bounce.json"))
    body["SigningCertURL"] = url
    response = client.post("/webhooks/ses", data=json.dumps(body))
    assert response.status_code == 403 and "certificate" in response.json["error"]
    assert records(db) == 0


def test_ses_subscription_confirmation_visits_the_subscribe_url(client, hooks, sns_key, monkeypatch):
    visited = []
    monkeypatch.setattr(sns.httpx, "get", lambda url, **kw: visited.append(url) or _Ok())
    url = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=abc"
    body = sns_envelope(sns_key[0], "You have chosen to subscribe", kind="SubscriptionConfirmation",
                        SubscribeURL=url, Token="abc")
    response = client.post("/webhooks/ses", data=json.dumps(body))
    assert response.status_code == 200
    assert visited == [url]


def test_ses_subscription_confirmation_elsewhere_is_refused(client, hooks, sns_key, monkeypatch):
    visited = []
    monkeypatch.setattr(sns.httpx, "get", lambda url, **kw: visited.append(url) or _Ok())
    body = sns_envelope(sns_key[0], "x", kind="SubscriptionConfirmation",
                        SubscribeURL="https://evil.example/confirm", Token="abc")
    assert client.post("/webhooks/ses", data=json.dumps(body)).status_code == 403
    assert visited == []


class _Ok:
    def raise_for_status(self) -> None:
        return None


def basic(credentials: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}


def test_postmark_documented_bounce_marks_the_reader(client, db, hooks, send_edition):
    sent = send_edition(1)
    email, sid = sent.emails[0], sent.subscriber_ids[sent.emails[0]]
    body = {**sample("postmark_bounce.json"), "Email": email}
    response = client.post("/webhooks/postmark", json=body, headers=basic(POSTMARK_AUTH))
    assert response.status_code == 200 and response.json["matched"] == 1
    assert status(db, sid) == "bounced"
    again = client.post("/webhooks/postmark", json=body, headers=basic(POSTMARK_AUTH))
    assert again.json["duplicates"] == 1 and records(db) == 1


def test_postmark_documented_spam_complaint_unsubscribes(client, db, hooks, send_edition):
    sent = send_edition(1)
    email, sid = sent.emails[0], sent.subscriber_ids[sent.emails[0]]
    body = {**sample("postmark_spam_complaint.json"), "Email": email}
    assert client.post("/webhooks/postmark", json=body, headers=basic(POSTMARK_AUTH)).status_code == 200
    assert status(db, sid) == "unsubscribed"


@pytest.mark.parametrize("headers", [{}, basic("hooks:wrong"), {"Authorization": "Bearer x"}])
def test_postmark_without_the_right_credentials_is_refused(client, db, hooks, headers):
    response = client.post("/webhooks/postmark", json=sample("postmark_bounce.json"), headers=headers)
    assert response.status_code == 403
    assert records(db) == 0


def mailgun_signed(data: dict, key: str = MAILGUN_KEY, timestamp: int | None = None) -> dict:
    ts, token = str(timestamp or int(time.time())), data["signature"]["token"]
    data["signature"] = {"timestamp": ts, "token": token,
                         "signature": hmac.new(key.encode(), (ts + token).encode(),
                                               hashlib.sha256).hexdigest()}
    return data


def test_mailgun_signed_permanent_failure_marks_the_reader(client, db, hooks, verp, send_edition):
    sent = send_edition(1)
    email, sid = sent.emails[0], sent.subscriber_ids[sent.emails[0]]
    data = sample("mailgun_failed_permanent.json")
    data["event-data"]["recipient"] = email
    data["event-data"]["envelope"]["sender"] = verp.sender(sid, sent.edition_id)
    response = client.post("/webhooks/mailgun", json=mailgun_signed(data))
    assert response.status_code == 200 and response.json["matched"] == 1
    assert status(db, sid) == "bounced"
    row = db.scalar(select(BounceRecord))
    assert (row.reason, row.hard, row.matched_by) == ("userunknown", True, "verp")


def test_mailgun_signed_complaint_unsubscribes(client, db, hooks, send_edition):
    sent = send_edition(1)
    email, sid = sent.emails[0], sent.subscriber_ids[sent.emails[0]]
    data = sample("mailgun_complained.json")
    data["event-data"]["recipient"] = email
    assert client.post("/webhooks/mailgun", json=mailgun_signed(data)).status_code == 200
    assert status(db, sid) == "unsubscribed"


def test_mailgun_documented_sample_signature_is_refused_as_stale_or_wrong(client, db, hooks):
    response = client.post("/webhooks/mailgun", json=sample("mailgun_failed_permanent.json"))
    assert response.status_code == 403
    assert records(db) == 0


def test_mailgun_old_signed_event_is_refused(client, db, hooks):
    data = mailgun_signed(sample("mailgun_failed_permanent.json"), timestamp=int(time.time()) - 3600)
    assert client.post("/webhooks/mailgun", json=data).status_code == 403
    assert records(db) == 0


def sendgrid_post(client, key, body: bytes, timestamp: str | None = None):
    ts = timestamp or str(int(time.time()))
    signature = key.sign(ts.encode() + body, ec.ECDSA(hashes.SHA256()))
    return client.post("/webhooks/sendgrid", data=body, headers={
        "Content-Type": "application/json",
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": ts})


def test_sendgrid_signed_events_bounce_and_complain(client, db, hooks, sendgrid_key, send_edition):
    sent = send_edition(3)
    events = sample("sendgrid_events.json")
    for event, email in zip(events, sent.emails, strict=True):
        event["email"] = email
    response = sendgrid_post(client, sendgrid_key[0], json.dumps(events).encode())
    assert response.status_code == 200 and response.json["received"] == 3
    bounced, complained, delivered = (sent.subscriber_ids[e] for e in sent.emails)
    assert status(db, bounced) == "bounced"
    assert status(db, complained) == "unsubscribed"
    assert status(db, delivered) == "active"


def test_sendgrid_tampered_body_is_refused(client, db, hooks, sendgrid_key):
    ts = str(int(time.time()))
    body = json.dumps(sample("sendgrid_events.json")).encode()
    signature = sendgrid_key[0].sign(ts.encode() + body, ec.ECDSA(hashes.SHA256()))
    response = client.post("/webhooks/sendgrid", data=body.replace(b"example@test.com", b"x@test.com"),
                           headers={"X-Twilio-Email-Event-Webhook-Signature":
                                    base64.b64encode(signature).decode(),
                                    "X-Twilio-Email-Event-Webhook-Timestamp": ts})
    assert response.status_code == 403
    assert records(db) == 0
