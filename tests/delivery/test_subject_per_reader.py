"""Each copy's subject, top heading and preheader come from what that copy holds: the
reader's own first headline and "+ N more" with their own N, unless the editor fixed the
subject. Asserted on the bytes the SMTP sink received for each reader; built once per
topic combination, with MJML and premailer still run once per edition."""

from __future__ import annotations

import re

import pytest

from newsletter.editorial.editions import create_edition
from newsletter.mail import edition as edition_module
from newsletter.mail import headings
from newsletter.models import utcnow
from tests.factories import make_subscriber, make_token, make_topic, make_update
from tests.support.delivery import Sender, bulk_subscribers, start

HEADLINES = {"world": "Can Diplomacy Still Avert War in Ukraine?",
             "climate": "Record heat strains the grid",
             "markets": "Stocks slide on rate fears"}


@pytest.fixture
def newsroom(db):  # type: ignore[no-untyped-def]
    """Three topics with one update each, in editorial order world, climate, markets."""
    topics = {slug: make_topic(db, slug, name=slug.title()) for slug in HEADLINES}
    updates = [make_update(db, topics[slug], headline, lede=f"The {slug} lede.")
               for slug, headline in HEADLINES.items()]
    make_subscriber(db, "ann@example.com", [topics["climate"], topics["markets"]])
    make_subscriber(db, "bob@example.com", [topics["world"]])
    make_subscriber(db, "cat@example.com", list(topics.values()))
    db.commit()
    return topics, [u.id for u in updates]


def send(db, runtime, smtp, update_ids, subject=None) -> dict:  # type: ignore[no-untyped-def]
    edition = create_edition(db, subject, update_ids, utcnow())
    db.commit()
    start(runtime, edition.id)
    Sender(runtime, smtp.url).drain(edition.id)
    return {m.rcpt_tos[0]: m for m in smtp.messages}


def lines_of(received) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Subject, HTML <title>, <h1>, preheader and the text part's first line, as received."""
    message = received.message
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    preview = re.search(r"<body[^>]*>\s*<div[^>]*display:none[^>]*>\s*(.*?)\s*</div>", html, re.S)
    return {
        "subject": str(message["Subject"]),
        "title": re.search(r"<title>\s*(.*?)\s*</title>", html, re.S).group(1),  # type: ignore[union-attr]
        "h1": re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1),  # type: ignore[union-attr]
        "preheader": preview.group(1) if preview else "",
        "text_heading": text.splitlines()[0],
    }


def test_each_reader_gets_a_subject_heading_and_preheader_from_their_own_topics(
    db, runtime, smtp, newsroom
):
    _, update_ids = newsroom
    received = send(db, runtime, smtp, update_ids)

    expected = {
        "ann@example.com": ("Record heat strains the grid + 1 more",
                            "Your Climate and Markets briefing from The Briefing: "
                            "Stocks slide on rate fears"),
        "bob@example.com": ("Can Diplomacy Still Avert War in Ukraine?",
                            "Your World briefing from The Briefing: The world lede."),
        "cat@example.com": ("Can Diplomacy Still Avert War in Ukraine? + 2 more",
                            "Your World, Climate and Markets briefing from The Briefing: "
                            "Record heat strains the grid; Stocks slide on rate fears"),
    }
    assert set(received) == set(expected)
    for address, (subject, preheader) in expected.items():
        lines = lines_of(received[address])
        assert lines == {"subject": subject, "title": subject, "h1": subject,
                         "preheader": preheader, "text_heading": subject}, address
    ann = received["ann@example.com"].data.decode()
    assert "Ukraine" not in ann and "World" not in lines_of(received["ann@example.com"])["preheader"]


def test_a_fixed_subject_is_everyones_but_the_preheader_is_their_own(db, runtime, smtp, newsroom):
    _, update_ids = newsroom
    received = send(db, runtime, smtp, update_ids, subject="Your Monday briefing")

    ann, bob = lines_of(received["ann@example.com"]), lines_of(received["bob@example.com"])
    assert ann["subject"] == ann["h1"] == bob["subject"] == bob["h1"] == "Your Monday briefing"
    assert ann["preheader"] == ("Your Climate and Markets briefing from The Briefing: "
                                "Record heat strains the grid; Stocks slide on rate fears")
    assert bob["preheader"] == ("Your World briefing from The Briefing: "
                                "Can Diplomacy Still Avert War in Ukraine?")


def test_an_accented_headline_is_an_encoded_subject_and_an_escaped_heading(db, runtime, smtp):
    topic = make_topic(db, "europe", name="Europe")
    update = make_update(db, topic, "Zürich & Genève <vote> \"today\"")
    make_subscriber(db, "dan@example.com", [topic])
    db.commit()
    received = send(db, runtime, smtp, [update.id])["dan@example.com"]

    head = received.data.split(b"\r\n\r\n", 1)[0]
    assert head.isascii() and b"=?utf-8?" in head
    lines = lines_of(received)
    assert lines["subject"] == "Zürich & Genève <vote> \"today\""
    assert lines["h1"] == "Zürich &amp; Genève &lt;vote&gt; &#34;today&#34;"
    assert lines["text_heading"] == "Zürich & Genève <vote> \"today\""


def test_subjects_are_built_once_per_topic_combination(db, runtime, smtp, monkeypatch):
    topics = [make_topic(db, s) for s in ("world", "climate", "tech")]
    bulk_subscribers(db, 30, topics)  # three combinations, ten readers each
    updates = [make_update(db, t) for t in topics]
    edition = create_edition(db, None, [u.id for u in updates], utcnow())
    db.commit()
    built = []
    real = headings.copy_lines

    def spy(**kwargs):  # type: ignore[no-untyped-def]
        built.append(tuple(kwargs["headlines"]))
        return real(**kwargs)

    monkeypatch.setattr(edition_module, "copy_lines", spy)
    start(runtime, edition.id)
    Sender(runtime, smtp.url).configure(batch_size=7).drain(edition.id)

    assert len(smtp.messages) == 30
    assert sorted(built) == sorted((u.headline,) for u in updates)
    assert {str(m.message["Subject"]) for m in smtp.messages} == {u.headline for u in updates}


def test_the_api_takes_null_or_no_subject_as_automatic_and_a_string_as_fixed(
    client, db, newsroom
):
    _, update_ids = newsroom
    auth = {"Authorization": f"Bearer {make_token(db)}"}
    db.commit()
    made = {}
    for label, body in (("null", {"subject": None}), ("absent", {}),
                        ("blank", {"subject": "  "}), ("fixed", {"subject": "Monday"})):
        response = client.post("/api/v1/editions", headers=auth,
                               json={**body, "update_ids": update_ids, "send_at": None})
        assert response.status_code == 201, response.json
        made[label] = client.get(f"/api/v1/editions/{response.json['id']}", headers=auth).json

    assert [made[k]["subject"] for k in ("null", "absent", "blank")] == [None, None, None]
    assert made["fixed"]["subject"] == "Monday"
    response = client.post("/api/v1/editions", headers=auth,
                           json={"subject": 5, "update_ids": update_ids, "send_at": None})
    assert response.status_code == 422 and "subject" in response.json["error"]
