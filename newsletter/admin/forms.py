"""Reading plain HTML forms: text fields, id lists and one-item-per-line textareas.

Views parse with these and hand plain values to domain functions; every problem is a
ValidationError naming the field, which the view shows next to the form with a 4xx.
"""

from __future__ import annotations

from flask import request

from ..errors import ValidationError
from ..lookup import is_db_id


def text(name: str) -> str:
    return request.form.get(name, "")


def lines(name: str) -> list[str]:
    """Several inputs with the same name (JS editor) or one textarea, one item per line."""
    values = request.form.getlist(name)
    items: list[str] = []
    for value in values:
        items.extend(part.strip() for part in value.splitlines())
    return [i for i in items if i]


def is_id(raw: str) -> bool:
    raw = raw.strip()
    return raw.isdigit() and is_db_id(int(raw))


def int_list(name: str) -> list[int]:
    out = []
    for raw in request.form.getlist(name):
        if not is_id(raw):
            raise ValidationError(f"{name} must be a list of ids.", field=name)
        out.append(int(raw))
    return out


def optional_int(name: str, *, low: int, high: int, label: str | None = None) -> int | None:
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    if not raw.lstrip("-").isdigit() or not low <= int(raw) <= high:
        raise ValidationError(f"{label or name} must be a whole number from {low} to {high}.",
                              field=name)
    return int(raw)


def page_arg(name: str = "page") -> int:
    raw = request.args.get(name, "1")
    return max(1, min(int(raw), 100000)) if raw.isdigit() else 1
