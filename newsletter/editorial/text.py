"""Input checks shared by every editorial form and API call."""

from __future__ import annotations

import unicodedata

from ..errors import ValidationError
from ..urls import normalize_url

_CONTROL = {"Cc", "Cf"}


def clean_text(value: object, field: str, *, max_len: int, required: bool = True,
               multiline: bool = False) -> str:
    """Trimmed NFC text without control characters; clear errors for missing or too long."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be text.", field=field)
    text = unicodedata.normalize("NFC", value).strip()
    if not multiline and ("\n" in text or "\r" in text):
        raise ValidationError(f"{field} must be a single line.", field=field)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    allowed = {"\n"} if multiline else set()
    text = "".join(
        c for c in text if c in allowed or unicodedata.category(c) not in _CONTROL or c == "\u200d"
    )
    if required and not text:
        raise ValidationError(missing(field), field=field)
    if len(text) > max_len:
        raise ValidationError(f"{field} is longer than {max_len} characters.", field=field)
    return text


def missing(field: str) -> str:
    """What to do about an empty required field, said as an instruction: "Add a headline."."""
    if field[:1].isupper():  # a composed label such as "Source 1 title"
        return f"Add the {field[0].lower()}{field[1:]}."
    article = "an" if field[:1] in "aeiou" else "a"
    return f"Add {article} {field}."


def clean_url(value: object, field: str, *, required: bool = True) -> str | None:
    """An absolute http(s) URL, percent-encoded by the one cleaner every stored link shares."""
    text = clean_text(value, field, max_len=2000, required=required)
    if not text:
        return None
    url = normalize_url(text)
    if url is None:
        raise ValidationError(f"{field} must be an absolute http(s) URL.", field=field)
    return url


def clean_list(value: object, field: str, *, max_items: int, max_len: int) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValidationError(f"{field} must be a list of text.", field=field)
    if len(value) > max_items:
        raise ValidationError(f"{field} has more than {max_items} entries.", field=field)
    items = [clean_text(v, field, max_len=max_len, required=False) for v in value]
    return [i for i in items if i]


def outlets_line(outlets: list[str], shown: int = 3) -> str:
    """'Financial Times, The Washington Post, The New York Times + 1 more': the one line of
    outlets in emails, on the site and in the editors' inbox (repeats and blanks dropped)."""
    unique: list[str] = []
    for outlet in outlets:
        if outlet and outlet not in unique:
            unique.append(outlet)
    line = ", ".join(unique[:shown])
    if len(unique) > shown:
        line += f" + {len(unique) - shown} more"
    return line
