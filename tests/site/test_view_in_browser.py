"""Every edition email, text and HTML, links to a web version of that copy (that reader's
topics) through a signed token of its own, which names no reader and carries neither their
unsubscribe nor their preferences token."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from newsletter.subscribers.tokens import Purpose, Tokens
from tests.delivery.test_end_to_end import send_edition
from tests.factories import make_subscriber, make_token, make_topic, make_update

SECRET = "test-secret-key-not-for-production"
WEB = re.compile(r"https://news\.example\.test/web/[\w.-]+")


@pytest.fixture
def sent(db, client, smtp, work):  # type: ignore[no-untyped-def]
    """Ann follows world and tech, Bob climate; one edition with all three goes out."""
    world, climate, tech = (make_topic(db, s) for s in ("world", "climate", "tech"))
    updates = [make_update(db, t, f"{t.name} headline") for t in (world, climate, tech)]
    ann = make_subscriber(db, "ann@example.com", [world, tech])
    bob = make_subscriber(db, "bob@example.com", [climate])
    token = make_token(db)
    db.commit()
    send_edition(client, token, [u.id for u in updates], subject="Tuesday briefing")
    work()
    return {"ann": (ann.id, smtp.inbox("ann@example.com")[0]),
            "bob": (bob.id, smtp.inbox("bob@example.com")[0])}


def web_links(message) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    in_html = re.search(r'<a href="(' + WEB.pattern + r')"[^>]*>View in browser</a>', html)
    in_text = re.search(r"View in browser: (" + WEB.pattern + ")", text)
    assert in_html and in_text
    return in_html.group(1), in_text.group(1)


def test_every_edition_email_has_view_in_browser_in_text_and_html(sent):
    for _sid, message in sent.values():
        html_link, text_link = web_links(message)
        assert html_link == text_link


def test_view_in_browser_shows_that_readers_topics_only(sent, client):
    ann_link, _ = web_links(sent["ann"][1])
    response = client.get(urlsplit(ann_link).path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Tuesday briefing" in html
    assert "World headline" in html and "Tech headline" in html
    assert "Climate headline" not in html
    bob = client.get(urlsplit(web_links(sent["bob"][1])[0]).path).get_data(as_text=True)
    assert "Climate headline" in bob and "World headline" not in bob


def test_view_in_browser_link_reveals_no_reader_token(sent, db):
    from newsletter.models import Edition

    edition_id = db.query(Edition.id).scalar()
    tokens = Tokens(SECRET)
    masks = {"ann": 0b101, "bob": 0b010}  # world + tech; climate
    for name, (subscriber_id, message) in sent.items():
        link, _ = web_links(message)
        token = link.rsplit("/", 1)[1]
        for purpose in (Purpose.PREFERENCES, Purpose.UNSUBSCRIBE):
            assert tokens.make(purpose, subscriber_id) not in link
            with pytest.raises(Exception):  # noqa: B017, PT011 - any refusal will do
                tokens.read(purpose, token)
        # the signed payload is the edition and the copy's topics: nothing about the reader
        assert tokens.read_web_copy(token) == (edition_id, masks[name])


def test_a_forged_or_tampered_web_copy_token_is_refused(sent, client):
    link, _ = web_links(sent["ann"][1])
    token = link.rsplit("/", 1)[1]
    payload, signature = token.rsplit(".", 1)
    tampered = payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    for bad in (tampered, "bm90LWEtdG9rZW4", Tokens("another-secret").make_web_copy(1, 7),
                Tokens(SECRET).make(Purpose.PREFERENCES, sent["ann"][0])):
        response = client.get(f"/web/{bad}")
        assert response.status_code == 404
        assert "World headline" not in response.get_data(as_text=True)


def test_web_copy_is_not_indexed_and_not_shared_by_caches(sent, client):
    link, _ = web_links(sent["ann"][1])
    response = client.get(urlsplit(link).path)
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert "private" in response.headers["Cache-Control"]
    assert '<meta name="robots" content="noindex">' in response.get_data(as_text=True)


def test_web_copy_works_for_an_edition_kept_off_the_archive(sent, client, db):
    from newsletter.models import Edition

    edition = db.query(Edition).one()
    edition.public = False
    db.commit()
    link, _ = web_links(sent["ann"][1])
    assert client.get(urlsplit(link).path).status_code == 200
    assert client.get(f"/archive/{edition.id}").status_code == 404
