"""Editor pages work under the strict CSP: no inline style, script or event handler in them.

The browser tests would show a CSP violation as a console error; this catches it for every
admin template at once, including pages the browser tests do not visit.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from newsletter.mail.render import TEMPLATE_ROOT

ADMIN_TEMPLATES = sorted((TEMPLATE_ROOT / "web" / "admin").glob("*.html"))
INLINE = [
    (re.compile(r"\sstyle\s*=", re.I), "inline style attribute"),
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "inline event handler"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


@pytest.mark.parametrize("template", ADMIN_TEMPLATES, ids=lambda p: p.name)
def test_admin_templates_have_no_inline_code_or_style(template: Path):
    source = template.read_text()
    for pattern, what in INLINE:
        assert not pattern.search(source), f"{template.name}: {what}"


def test_admin_pages_load_their_script_from_static(as_editor):
    response = as_editor.get("/admin/")
    html = response.get_data(as_text=True)
    assert '<script src="/static/admin.js" defer></script>' in html
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    script = as_editor.get("/static/admin.js")
    try:
        assert script.status_code == 200 and "use strict" in script.get_data(as_text=True)
    finally:
        script.close()
