"""An editor previewing an edition "as a reader" sees that reader's topics, never the links
that act for them (preferences, unsubscribe); test sends carry none either."""

from __future__ import annotations

import html as html_lib
import re

from tests.admin.test_edition_page import headlines, scheduled_edition

PERSONAL_LINK = re.compile(r"https?://[^\s\"'<>]*/(?:preferences|unsubscribe)/[^\s\"'<>]+")
TRACKED_READER = re.compile(r"(/r/\d+\.\d+\.[A-Za-z0-9_-]+)\.\d+\.[A-Za-z0-9_-]+")


def links_in(body: str) -> set[str]:
    return set(PERSONAL_LINK.findall(body))


def test_a_preview_as_a_reader_shows_no_link_that_opens_their_pages(as_editor, app, db, runtime):
    edition = scheduled_edition(db, runtime)
    base = f"/admin/editions/{edition.id}/preview?email=bob@example.com"
    html = as_editor.get(base).get_data(as_text=True)
    text = as_editor.get(base + "&format=text").get_data(as_text=True)

    assert headlines(html) == ["World headline", "Climate headline"]
    shown = links_in(html) | links_in(text)
    assert shown, "the preview keeps the footer's links, masked"
    visitor = app.test_client()  # whoever gets hold of a link from the preview
    for url in shown:
        path = url.split("news.example.test", 1)[1]
        response = visitor.get(path)
        assert response.status_code >= 400, url
        assert "bob@example.com" not in response.get_data(as_text=True)


def test_a_preview_of_the_copy_sent_hides_the_links_that_copy_carried(as_editor, db, runtime,
                                                                      work, smtp):
    edition = scheduled_edition(db, runtime, minutes=0)
    work()
    (copy,) = smtp.inbox("bob@example.com")
    sent_html = copy.get_body(("html",)).get_content()
    real = links_in(sent_html) | links_in(copy.get_body(("plain",)).get_content())
    assert any("/unsubscribe/" in u for u in real) and any("/preferences/" in u for u in real)

    base = f"/admin/editions/{edition.id}/preview?email=bob@example.com"
    html = as_editor.get(base).get_data(as_text=True)
    text = as_editor.get(base + "&format=text").get_data(as_text=True)

    for url in real:
        token = url.rsplit("/", 1)[1]
        assert token not in html and token not in text
    # everything else is the copy that went out
    def unify(body: str) -> str:  # tracked links lose their reader part in the preview
        body = TRACKED_READER.sub(r"\1", body.replace("\r\n", "\n"))
        return PERSONAL_LINK.sub("LINK", body).strip()

    assert unify(html) == unify(sent_html)
    shown_text = html_lib.unescape(text.removeprefix("<pre>").removesuffix("</pre>"))
    assert unify(shown_text) == unify(copy.get_body(("plain",)).get_content())  # one stamp


def test_a_test_send_of_an_edition_carries_no_reader_link(as_editor, db, runtime, smtp):
    edition = scheduled_edition(db, runtime)
    response = as_editor.post(f"/admin/editions/{edition.id}/test",
                              data={"test_email": "desk@newsroom.example"})
    assert response.status_code == 302
    (received,) = smtp.messages
    body = received.data.decode()

    assert "[Test]" in received.message["Subject"]
    assert links_in(body) == set()
    assert received.message["List-Unsubscribe"] is None
