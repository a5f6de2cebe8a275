"""The confirmation email names the topics the reader chose, in both parts."""

from __future__ import annotations

from tests.factories import make_topic
from tests.subscribers.pages import sign_up


def test_the_confirmation_email_lists_the_chosen_topics(client, db, smtp, work):
    make_topic(db, "world", name="World news")
    make_topic(db, "climate", name="Climate & energy")
    make_topic(db, "tech", name="Technology")
    db.commit()
    sign_up(client, "reader@example.com", ["world", "climate"])
    work()

    (message,) = smtp.inbox("reader@example.com")
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = message.get_body(("html",)).get_content()
    assert "  - World news\n" in text and "  - Climate & energy\n" in text
    assert "Technology" not in text
    assert "<strong>World news</strong>" in html
    assert "Climate &amp; energy" in html and "Technology" not in html
