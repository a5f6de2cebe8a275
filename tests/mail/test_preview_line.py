"""The inbox preview line (preheader) is built per copy: the reader's own topics and
headlines, never another topic's, in words that read right for any list name."""

from __future__ import annotations

import re

from newsletter.mail.edition import read_copy, render_items


def item(name: str, headline: str, lede: str = "") -> dict:
    return {"topic_slug": name.lower(), "topic_name": name, "headline": headline, "lede": lede,
            "bullets": [], "background": [], "outlets": [], "article_count": 1,
            "curator_name": "", "curator_image_url": None, "featured": None}


def preheader(html: str) -> str:
    """The hidden preview text MJML puts first in <body>."""
    match = re.search(r"<body[^>]*>\s*<div[^>]*display:none[^>]*>\s*(.*?)\s*</div>", html, re.S)
    assert match, html[:2000]
    return match.group(1)


ITEMS = [item("Climate", "Record heat strains the grid", "Power cuts in three states."),
         item("World", "Talks resume in Geneva"),
         item("Markets", "Stocks slide on rate fears")]


def test_the_preheader_names_only_the_topics_and_headlines_of_this_copy():
    rendered = render_items(None, ITEMS, list_name="The Briefing",
                            base_url="https://news.example.test")
    _, html = read_copy(rendered, 0b101, "https://p.example", "https://u.example")

    assert preheader(html) == ("Your Climate and Markets briefing from The Briefing: "
                               "Stocks slide on rate fears")
    assert "Talks resume in Geneva" not in html and "World" not in preheader(html)


def test_a_one_topic_copy_previews_its_lede():
    rendered = render_items(None, ITEMS, list_name="The Briefing",
                            base_url="https://news.example.test")
    _, html = read_copy(rendered, 0b001, "https://p.example", "https://u.example")

    assert preheader(html) == ("Your Climate briefing from The Briefing: "
                               "Power cuts in three states.")


def test_with_a_fixed_subject_the_preheader_lists_every_headline_of_the_copy():
    rendered = render_items("Monday briefing", ITEMS, list_name="The Briefing",
                            base_url="https://news.example.test")
    _, html = read_copy(rendered, 0b011, "https://p.example", "https://u.example")

    assert preheader(html) == ("Your Climate and World briefing from The Briefing: "
                               "Record heat strains the grid; Talks resume in Geneva")


def test_the_preheader_never_reads_your_the_list_name_briefing():
    rendered = render_items(None, ITEMS, list_name="The Briefing",
                            base_url="https://news.example.test")
    for mask in range(1, 8):
        text, html = read_copy(rendered, mask, "https://p.example", "https://u.example")
        assert "Your The Briefing" not in html and "Your The Briefing" not in text
