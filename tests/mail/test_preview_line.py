"""The inbox preview line is the same for every copy, so it names no topic's headline."""

from __future__ import annotations

from newsletter.mail.edition import render_items


def item(name: str, headline: str) -> dict:
    return {"topic_slug": name.lower(), "topic_name": name, "headline": headline, "lede": "",
            "bullets": [], "background": [], "outlets": [], "article_count": 1,
            "curator_name": "", "curator_image_url": None, "featured": None}


def test_preview_line_does_not_leak_other_topics_headlines():
    rendered = render_items("Today", [item("Climate", "Secret climate headline"),
                                      item("World", "Secret world headline")],
                            list_name="The Briefing", base_url="https://news.example.test")
    _, html = rendered.stamp(0b01, "https://p.example", "https://u.example")
    head = html.split("<body", 1)[0] + html.split("<body", 1)[1].split("Secret climate", 1)[0]
    assert "Secret world headline" not in html
    assert "Secret climate headline" not in head
    assert "the latest on the topics you follow" in head
