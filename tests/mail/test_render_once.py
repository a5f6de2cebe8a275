"""MJML and premailer run once per edition, never per recipient; rendering reads no files
outside the email templates, escapes user text and touches no network."""

from __future__ import annotations

import re
import socket

import mjml
import premailer
import pytest

from newsletter.errors import ValidationError
from newsletter.mail import render
from newsletter.mail.edition import read_copy, render_items
from tests.factories import make_topic
from tests.mail.realistic import item_context
from tests.support.delivery import Sender, bulk_subscribers, scheduled_edition, start


class Counter:
    """A spy: calls through to the real function and counts the calls."""

    def __init__(self, real) -> None:  # noqa: ANN001
        self.real, self.calls = real, 0

    def __call__(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN204
        self.calls += 1
        return self.real(*args, **kwargs)


def test_mjml_and_premailer_run_once_for_a_50_recipient_edition(db, runtime, smtp, monkeypatch):
    topics = [make_topic(db, s) for s in ("world", "climate", "tech")]
    bulk_subscribers(db, 50, topics)
    edition_id = scheduled_edition(db, topics)
    pipeline = Counter(render.mjml_to_inlined_html)
    compile_ = Counter(mjml.mjml_to_html)
    inline = Counter(premailer.transform)
    monkeypatch.setattr(render, "mjml_to_inlined_html", pipeline)
    monkeypatch.setattr(mjml, "mjml_to_html", compile_)
    monkeypatch.setattr(premailer, "transform", inline)

    start(runtime, edition_id)
    Sender(runtime, smtp.url).configure(batch_size=20).drain(edition_id)

    assert len(smtp.messages) == 50
    assert (pipeline.calls, compile_.calls, inline.calls) == (1, 1, 1)


@pytest.mark.parametrize("path", ["../../pyproject.toml", "/etc/passwd", "../base.html",
                                  "./../../newsletter/config.py"])
def test_mj_include_outside_the_email_templates_is_refused(path):
    source = f'<mjml><mj-body><mj-include path="{path}" /></mj-body></mjml>'
    with pytest.raises(ValidationError, match="mj-include"):
        render.mjml_to_inlined_html(source)


def test_user_text_with_markup_is_escaped():
    item = item_context("World")
    item["headline"] = '<mj-include path="/etc/passwd" /> <b>bold</b>'
    item["bullets"] = ["<script>alert(1)</script>", "<mj-raw><a href='x'>y</a></mj-raw>"]

    rendered = render_items("Today <i>now</i>", [item], list_name="The <Briefing>",
                            base_url="https://news.example.test")
    text, html = read_copy(rendered, 1, "https://p", "https://u")

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html and "<b>bold</b>" not in html and "<i>now</i>" not in html
    assert "&lt;mj-include" in html and "root:" not in html
    assert "&lt;mj-raw&gt;" in html
    assert "<script>alert(1)</script>" in text  # plain text stays as written


def test_rendering_makes_no_network_request(monkeypatch):
    def refuse(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("rendering tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)

    rendered = render_items("Today", [item_context(n) for n in ("World", "Tech")],
                            list_name="The Briefing", base_url="https://news.example.test")
    _, html = read_copy(rendered, 0b11, "https://p", "https://u")

    assert not re.search(r"<link[^>]+href=\"https?:", html)
    assert "@import" not in html and "fonts.googleapis" not in html
    assert html.count("<h2") == 2
