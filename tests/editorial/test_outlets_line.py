"""One outlets line everywhere: emails, the public site and the editors' inbox agree."""

from __future__ import annotations

from newsletter.editorial.text import outlets_line
from newsletter.mail.render import email_env


def test_the_inbox_and_the_emails_write_the_same_outlets_line():
    outlets = ["Reuters", "Reuters", "", "AP", "BBC", "France 24"]
    assert outlets_line(outlets) == "Reuters, AP, BBC + 1 more"
    assert email_env().filters["outlets"](outlets) == outlets_line(outlets)


def test_the_site_and_the_inbox_use_the_same_filter(app):
    """One `outlets` filter on the web app (site pages, the editors' inbox); the site's
    expandable list of an update's outlets is `outlets_list`, not a second outlets_line."""
    assert app.jinja_env.filters["outlets"] is outlets_line
    update = app.jinja_env.get_template("site/_update.html").module
    assert hasattr(update, "outlets_list") and not hasattr(update, "outlets_line")
