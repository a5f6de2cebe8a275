"""MJML → HTML → inlined CSS, done once per template or edition, never per recipient.

User text reaches MJML only through Jinja autoescaping, and `mj-include` may only read
files under templates/email, so an update cannot make the renderer read local files.
"""

from __future__ import annotations

import logging
import re
import textwrap
from functools import lru_cache
from pathlib import Path

import jinja2
import mjml
import premailer
from markupsafe import Markup, escape

from ..editorial.text import outlets_line
from ..errors import ValidationError
from ..urls import normalize_url

TEMPLATE_ROOT = Path(__file__).resolve().parents[2] / "templates"
EMAIL_TEMPLATES = TEMPLATE_ROOT / "email"
_INDENT = re.compile(r"\n[ \t]+")
_BLANK_LINES = re.compile(r"\n{2,}")
_INCLUDE = re.compile(r"<mj-include\b[^>]*\bpath\s*=\s*[\"']([^\"']*)[\"']", re.I)

# cssutils (under premailer) logs a warning for every vendor property MJML emits.
logging.getLogger("CSSUTILS").setLevel(logging.ERROR)


@lru_cache(maxsize=1)
def email_env() -> jinja2.Environment:
    """Jinja for email sources: autoescape everything, including .mjml and .txt."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(EMAIL_TEMPLATES)),
        autoescape=jinja2.select_autoescape(["mjml", "html"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["outlets"] = outlets_line
    env.filters["url"] = url_attribute
    env.filters["mj_url"] = mj_url_attribute
    env.filters["mj_attr"] = mj_attribute
    return env


def url_attribute(value: object) -> str:
    """A link as it may go into an attribute: cleaned again at render time, so a row stored
    before URLs were cleaned cannot break out of its quotes; "" when it is no http(s) URL."""
    return normalize_url(value) or ""


def mj_attribute(value: object) -> Markup:
    """For attributes of MJML components (mj-image src and alt, mj-button href): MJML decodes
    their entities once and writes the value back raw, so escape twice to keep one level."""
    return escape(str(escape(value)))


def mj_url_attribute(value: object) -> Markup:
    return mj_attribute(url_attribute(value))


def text_env() -> jinja2.Environment:
    return _text_env()


@lru_cache(maxsize=1)
def _text_env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(EMAIL_TEMPLATES)),
        autoescape=False,  # noqa: S701 - plain-text mail part, never HTML
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["outlets"] = outlets_line
    return env


def check_includes(source: str, template_dir: Path = EMAIL_TEMPLATES) -> None:
    """Refuse mj-include paths that resolve outside the email templates folder."""
    root = template_dir.resolve()
    for raw in _INCLUDE.findall(source):
        target = (root / raw).resolve()
        if not target.is_relative_to(root):
            raise ValidationError(f"mj-include outside templates/email is not allowed: {raw}")


def mjml_to_inlined_html(source: str) -> str:
    """Compile MJML and inline its CSS, with no network access (no remote fonts or sheets)."""
    check_includes(source)
    result = mjml.mjml_to_html(source, template_dir=EMAIL_TEMPLATES)
    if getattr(result, "errors", None):
        raise ValidationError(f"MJML errors: {result.errors}")
    html = premailer.transform(
        result.html,
        allow_network=False,
        keep_style_tags=True,  # media queries for phones must stay in <style>
        remove_classes=False,
        disable_validation=True,
        cssutils_logging_level=logging.CRITICAL,
    )
    if not html.lstrip().lower().startswith("<!doctype"):
        html = "<!doctype html>\n" + html.lstrip()
    return compact_html(with_dark_mode(html))


@lru_cache(maxsize=1)
def _dark_head() -> str:
    css = (EMAIL_TEMPLATES / "dark-mode.css").read_text()
    return ('<meta name="color-scheme" content="light dark">\n'
            '<meta name="supported-color-schemes" content="light dark">\n'
            f'<style type="text/css">\n{css}</style>\n')


def with_dark_mode(html: str) -> str:
    """Declare light and dark support and add the dark colours, after premailer has run
    (premailer would strip the !important that lets them beat inline styles)."""
    at = html.lower().rfind("</head>")
    return html if at < 0 else html[:at] + _dark_head() + html[at:]


def compact_html(html: str) -> str:
    """Drop MJML's indentation and blank lines (a third of its output): whitespace at a line
    start means nothing in HTML outside <pre>, which the email templates never use."""
    return _BLANK_LINES.sub("\n", _INDENT.sub("\n", html))


def render_mjml(template: str, **context: object) -> str:
    return mjml_to_inlined_html(email_env().get_template(template).render(**context))


def render_text(template: str, **context: object) -> str:
    return wrap_text(text_env().get_template(template).render(**context))


TEXT_WIDTH = 78  # RFC 5322's recommended line length for the plain-text part
_LIST_PREFIX = re.compile(r"^(\s*(?:[*-] )?)")


def wrap_text(text: str, width: int = TEXT_WIDTH) -> str:
    """Wrap long lines at `width`, keeping bullet indents; a URL (or any word longer than a
    line) is never broken, so it stays clickable."""
    out = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        prefix = _LIST_PREFIX.match(line).group(1)  # type: ignore[union-attr]
        out.append(textwrap.fill(
            line[len(prefix):], width=width, initial_indent=prefix,
            subsequent_indent=" " * len(prefix), break_long_words=False, break_on_hyphens=False,
        ))
    return "\n".join(out)
