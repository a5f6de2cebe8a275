"""Subscriber status badges: pending and paused, unsubscribed and bounced look different,
and every badge's text meets WCAG AA contrast (4.5:1) on its own background."""

from __future__ import annotations

import re
from pathlib import Path

CSS = re.sub(r"/\*.*?\*/", "", (Path(__file__).resolve().parents[2] / "newsletter" / "static"
                                  / "site.css").read_text(), flags=re.S)
VARS = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", CSS))


def _colours(status: str) -> tuple[str, str]:
    """(background, text) of .badge-STATUS from the rules that name it (last one wins)."""
    background = text = None
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", CSS):
        if f".badge-{status}" not in [s.strip() for s in selectors.split(",")]:
            continue
        for prop, value in re.findall(r"(background|color):\s*([^;]+);", body):
            value = value.strip()
            value = VARS.get(value[6:-1], value) if value.startswith("var(") else value
            if prop == "background":
                background = value
            else:
                text = value
    assert background and text, status
    return background, text


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_statuses_people_confuse_have_different_colours():
    assert _colours("pending") != _colours("paused")
    assert _colours("unsubscribed") != _colours("bounced")


def test_every_subscriber_status_badge_has_enough_contrast():
    for status in ("active", "pending", "paused", "unsubscribed", "bounced", "complained"):
        background, text = _colours(status)
        assert _contrast(background, text) >= 4.5, (status, background, text)
