"""The public site: topic pages in the seed format, archive, web copies, Atom feeds, SEO."""

from __future__ import annotations

from datetime import datetime

from flask import Flask


def longdate(value: datetime) -> str:
    return f"{value.day} {value:%B %Y}"


def init_app(app: Flask) -> None:
    from ..editorial.text import outlets_line
    from . import freshness
    from .views import bp

    freshness.listen()
    app.add_template_filter(longdate, "longdate")
    app.add_template_filter(outlets_line, "outlets")
    app.register_blueprint(bp)
