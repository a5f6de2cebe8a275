"""An edition copy parsed back with the `email` package: every header and part is what it
should be, and the bytes mean the same as what `email` itself builds from the same content."""

from __future__ import annotations

import email
import re
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import select

from newsletter.editorial.editions import create_edition
from newsletter.errors import ValidationError
from newsletter.mail import edition as blocks
from newsletter.mail.copies import Identity, PreparedEdition
from newsletter.mail.message import MessageTemplate
from newsletter.models import Edition, Subscriber, utcnow
from newsletter.subscribers.links import Links
from newsletter.subscribers.tokens import Purpose, Tokens
from tests.factories import make_subscriber, make_token, make_topic, make_update
from tests.mail.realistic import make_realistic_update
from tests.support.delivery import Sender, scheduled_edition, start
from tests.support.smtp import SmtpSink

SMTP_POLICY = policy.SMTP.clone(max_line_length=998)


@pytest.fixture
def sent(db, runtime, smtp):
    """Send one edition to Ann (world + tech) and return a function: subject → raw bytes."""
    world, climate, tech = (make_topic(db, s) for s in ("world", "climate", "tech"))
    make_subscriber(db, "ann@example.com", [world, tech])
    db.commit()

    def send(subject: str = "Today") -> bytes:
        smtp.clear()
        edition_id = scheduled_edition(db, [world, climate, tech], subject)
        start(runtime, edition_id)
        Sender(runtime, smtp.url).drain(edition_id)
        (received,) = smtp.messages
        return received.data

    return send


def parse(data: bytes) -> EmailMessage:
    return email.message_from_bytes(data, policy=policy.default)  # type: ignore[return-value]


def raw_header(data: bytes, name: str) -> bytes:
    head = data.split(b"\r\n\r\n", 1)[0]
    lines = [line for line in head.split(b"\r\n") if line.lower().startswith(name.lower() + b":")]
    assert len(lines) == 1, lines
    return lines[0]


def test_an_edition_copy_has_every_header(sent, settings):
    data = sent()
    message = parse(data)

    assert message["From"] == "The Briefing <briefing@news.example.test>"
    assert message["To"] == "ann@example.com"
    assert raw_header(data, b"Subject") == b"Subject: Today"
    assert message["Subject"] == "Today"
    assert abs(parsedate_to_datetime(message["Date"]) - datetime.now(UTC)) < timedelta(minutes=5)
    assert re.fullmatch(r"<[^<>@\s]+@news\.example\.test>", message["Message-ID"])
    assert message["List-Id"] == "The Briefing <briefing.news.example.test>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Feedback-ID"] and "\n" not in message["Feedback-ID"]
    assert message["MIME-Version"] == "1.0"
    for name in ("From", "To", "Subject", "Date", "Message-ID", "List-Id", "List-Unsubscribe",
                 "List-Unsubscribe-Post", "Feedback-ID"):
        assert len(message.get_all(name)) == 1, name


def test_list_unsubscribe_is_one_unencoded_https_line_with_a_signed_token(sent, db):
    data = sent()

    line = raw_header(data, b"List-Unsubscribe")
    match = re.fullmatch(
        rb"List-Unsubscribe: <https://news\.example\.test/unsubscribe/([\w.-]+)\?e=\d+>", line)
    assert match, line
    assert b"=?" not in line
    ann = db.scalars(select(Subscriber).where(Subscriber.email == "ann@example.com")).one()
    token = match.group(1).decode()
    assert Tokens("test-secret-key-not-for-production").read(Purpose.UNSUBSCRIBE, token) == ann.id


def test_the_body_is_text_then_html_with_a_language(sent):
    data = sent()
    message = parse(data)

    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    html = parts[1].get_content()
    assert re.search(r"<html[^>]*\blang=\"en\"", html)
    assert "World" in parts[0].get_content() and "Climate" not in parts[0].get_content()
    assert "/preferences/" in html and "/unsubscribe/" in html
    assert all(len(line) <= 998 and line.isascii() for line in data.split(b"\r\n"))


def test_a_non_ascii_subject_is_encoded_and_decodes_back(sent):
    subject = "Café, Zürich und 東京 — the week in review"
    data = sent(subject)

    line = raw_header(data, b"Subject")
    assert line.startswith(b"Subject: =?utf-8?") and line.isascii()
    assert parse(data)["Subject"] == subject


def test_the_message_id_is_stable_per_edition_and_subscriber(sent, runtime, db):
    sent()
    edition = db.scalars(select(Edition)).one()
    prepared = PreparedEdition.of(edition, Identity.from_settings(runtime.settings))
    link = Links.from_settings(runtime.settings)

    def message_id(subscriber_id: int) -> str:
        return parse(prepared.message(link, subscriber_id, "x@example.com", 1, "date"))["Message-ID"]

    assert message_id(7) == message_id(7)  # a retry reuses it
    assert len({message_id(7), message_id(8), message_id(9)}) == 3


def filled(rendered: blocks.RenderedEdition, mask: int, links: dict[str, str]
           ) -> tuple[str, str]:
    """The copy's (text, html) filled in as plain strings, no quoted-printable involved:
    what the encoded stamp (EncodedEdition.stamp) must mean once decoded."""
    lines = rendered.lines(mask)
    picked = rendered.picked(mask)

    def fill(parts: list[str], values: dict[str, str]) -> str:
        body = "".join(parts)
        for placeholder, value in {**links, **values}.items():
            body = body.replace(placeholder, value)
        return body

    html = fill([rendered.html_head, *(rendered.html_items[i] for i in picked),
                 rendered.html_tail], blocks._html_lines(lines))
    text = fill([rendered.text_head, *(rendered.text_items[i] for i in picked),
                 rendered.text_tail], blocks._text_lines(lines))
    return text, html


def test_the_assembled_bytes_mean_what_email_would_build(sent, db, runtime):
    ours = parse(sent("Café — today"))
    edition = db.scalars(select(Edition)).one()
    rendered = PreparedEdition.of(edition, Identity.from_settings(runtime.settings)).rendered
    ann = db.scalars(select(Subscriber).where(Subscriber.email == "ann@example.com")).one()
    link = Links.from_settings(runtime.settings)
    text, html = filled(rendered, 0b101, {
        blocks.PREFERENCES: link.preferences(ann.id),
        blocks.UNSUBSCRIBE: link.unsubscribe(ann.id) + f"?e={edition.id}",
        blocks.WEB_COPY: link.web_copy(edition.id, 0b101), blocks.CLICK_READER: ""})

    reference = EmailMessage(policy=SMTP_POLICY)
    for name in ("Date", "Message-ID", "To", "List-Unsubscribe", "List-Unsubscribe-Post", "From",
                 "Subject", "List-Id", "Feedback-ID"):
        reference[name] = ours[name]
    reference.set_content(text)
    reference.add_alternative(html, subtype="html")
    theirs = parse(reference.as_bytes())

    def headers(message: EmailMessage) -> dict[str, str]:
        return {k: str(v) for k, v in message.items() if k.lower() != "content-type"}

    def body(message: EmailMessage) -> list[tuple[str, str | None, str]]:
        return [(p.get_content_type(), p.get_content_charset(),
                 p.get_content().replace("\r\n", "\n")) for p in message.iter_parts()]

    assert headers(ours) == headers(theirs)
    assert ours.get_content_type() == theirs.get_content_type() == "multipart/alternative"
    assert body(ours) == body(theirs)
    assert body(ours)[1][2].rstrip("\n") == html.rstrip("\n")


def test_a_subject_with_a_line_break_is_refused_at_creation(client, db):
    token = make_token(db)
    topic = make_topic(db, "world")
    update = make_update(db, topic)
    db.commit()

    response = client.post("/api/v1/editions", json={
        "subject": "Hello\r\nBcc: everyone@example.com", "update_ids": [update.id],
        "send_at": None}, headers={"Authorization": f"Bearer {token}"})

    assert 400 <= response.status_code < 500 and response.json["error"]
    assert db.scalars(select(Edition)).all() == []
    with pytest.raises(ValidationError):
        MessageTemplate.build(subject="Hi\nBcc: x@example.com", mail_from="a@example.com",
                              list_id="L <l.example.com>")


def test_a_five_topic_edition_stays_under_90_kb_of_html(db, runtime, smtp):
    topics = [make_topic(db, s) for s in ("world", "climate", "tech", "business", "science")]
    updates = [make_realistic_update(db, t) for t in topics]
    make_subscriber(db, "all@example.com", topics)
    db.commit()
    edition = create_edition(db, "Your briefing", [u.id for u in updates], utcnow())
    db.commit()
    start(runtime, edition.id)
    Sender(runtime, smtp.url).drain(edition.id)

    (message,) = smtp.inbox("all@example.com")
    html = message.get_body(("html",)).get_content()
    assert len(re.findall(r"<h2[^>]*>", html)) == 5
    # seed-sized: four bullets, five background points, three sources besides the featured one
    assert html.count("<li") == 5 * (9 + 3)
    assert len(html.encode("utf-8")) < 90 * 1024


def test_no_line_of_a_copy_starts_with_a_dot_so_it_goes_without_dot_stuffing(db, runtime):
    # the engine submits copies as dot_safe (no search for a line-start dot, no stuffing):
    # text full of dots, where a line or a quoted-printable soft break would start with one,
    # must still reach a pipelining server whole
    topic = make_topic(db, "world")
    dots = "." * 300
    update = make_update(db, topic, headline=".NET 9 ships", lede=f".lede {dots}",
                         bullets=[f".first {dots}", "...and then", f"a{dots}b"],
                         background=[dots])
    make_subscriber(db, "ann@example.com", [topic])
    edition_id = create_edition(db, ".Subject with a dot", [update.id], utcnow()).id
    db.commit()
    start(runtime, edition_id)
    relay = SmtpSink(pipelining=True).start()
    try:
        Sender(runtime, relay.url).drain(edition_id)
        (received,) = relay.messages
    finally:
        relay.stop()

    assert not received.data.startswith(b".") and b"\n." not in received.data
    text = parse(received.data).get_body(("plain",)).get_content()
    assert "\n.NET 9 ships" in text  # a line of the decoded text does start with a dot
    unwrapped = "".join(text.split())  # the text part wraps long lines
    for piece in (".NET 9 ships", f".lede {dots}", f".first {dots}", "...and then", f"a{dots}b"):
        assert "".join(piece.split()) in unwrapped
