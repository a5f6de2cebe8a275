"""Pages rendered once per process and stamped, per request, with the few values that differ.

The sign-up page and the check-your-inbox page are the front door during a burst, and
Jinja plus WTForms spent most of their CPU rebuilding the same HTML for every visitor.
They are rendered once with a marker in place of each per-visitor value (the CSRF token,
the address just typed) and served by joining the pieces around the escaped values.

CSRF stays Flask-WTF's: each visitor still gets their own signed token bound to their
session (`generate_csrf`), only the HTML around it is shared.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable, Hashable

from flask import current_app, g
from flask_wtf.csrf import generate_csrf
from markupsafe import escape

_MARK = "stamp" + secrets.token_hex(8)  # letters and digits: autoescape leaves it alone
_SPLIT = re.compile(f"{_MARK}([a-z_]+){_MARK}")


def marker(name: str) -> str:
    """What a template is given in place of the per-request value `name`."""
    return f"{_MARK}{name}{_MARK}"


class Stamped:
    """HTML cut at its markers: text, name, text, name, …, text."""

    def __init__(self, html: str) -> None:
        self.parts = _SPLIT.split(html)

    @property
    def names(self) -> set[str]:
        return set(self.parts[1::2])

    def fill(self, values: dict[str, str]) -> str:
        out = self.parts[:]
        for i in range(1, len(out), 2):
            out[i] = str(escape(values[out[i]]))
        return "".join(out)


def render_stamped(render: Callable[[], str]) -> Stamped:
    """Run `render` with the CSRF token replaced by its marker (pass other markers yourself)."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    saved = g.pop(field, None)
    setattr(g, field, marker("csrf_token"))  # generate_csrf returns g's token if set
    try:
        return Stamped(render())
    finally:
        g.pop(field, None)
        if saved is not None:
            setattr(g, field, saved)


class PageCache:
    """Stamped pages by key, each kept while its `version` is the very same object (the
    sign-up page's topic list, for instance: a new list is a new page)."""

    def __init__(self) -> None:
        self._pages: dict[Hashable, tuple[object, Stamped]] = {}
        self._lock = threading.Lock()

    def page(self, key: Hashable, version: object, render: Callable[[], str]) -> Stamped:
        found = self._pages.get(key)
        if found is not None and found[0] is version:
            return found[1]
        page = render_stamped(render)
        with self._lock:
            self._pages[key] = (version, page)
        return page


def fill(page: Stamped, **values: str) -> str:
    """The page for this request: its own CSRF token (Flask-WTF's, in its session) and
    the values given."""
    if "csrf_token" in page.names:
        values["csrf_token"] = generate_csrf()
    return page.fill(values)
