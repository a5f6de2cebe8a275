"""One outlets line everywhere: emails, the public site and the editors' inbox agree."""

from __future__ import annotations

from newsletter.editorial.text import outlets_line
from newsletter.feeds import inbox
from newsletter.mail.render import email_env


def test_the_inbox_and_the_emails_write_the_same_outlets_line():
    outlets = ["Reuters", "Reuters", "", "AP", "BBC", "France 24"]
    assert outlets_line(outlets) == "Reuters, AP, BBC + 1 more"
    assert inbox.outlets_line(outlets) == outlets_line(outlets)
    assert email_env().filters["outlets"](outlets) == outlets_line(outlets)
