"""Small SVG charts drawn here (no third-party script): editors look at bars, not tables."""

from __future__ import annotations

from markupsafe import Markup, escape

ROW = 26
LABEL = 220
BAR = 300


def bar_chart(title: str, rows: list[tuple[str, int, float]], rate: bool = True) -> Markup:
    """Horizontal bars, one per (label, count, rate), longest = largest count."""
    if not rows:
        return Markup("")
    top = max(clicks for _, clicks, _ in rows) or 1
    height = ROW * len(rows) + 8
    parts = [f'<svg class="chart" role="img" width="{LABEL + BAR + 120}" height="{height}" '
             f'viewBox="0 0 {LABEL + BAR + 120} {height}" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>"]
    for n, (label, clicks, share) in enumerate(rows):
        y = 4 + n * ROW
        width = max(1, round(BAR * clicks / top))
        short = label if len(label) <= 34 else label[:33] + "…"
        parts.append(
            f'<text x="{LABEL - 8}" y="{y + 16}" text-anchor="end" font-size="12">'
            f"{escape(short)}</text>"
            f'<rect x="{LABEL}" y="{y + 3}" width="{width}" height="{ROW - 8}" fill="#2f6fdf">'
            f"<title>{escape(label)}: {clicks}</title></rect>"
            f'<text x="{LABEL + width + 6}" y="{y + 16}" font-size="12">{clicks}'
            + (f" · {100 * share:.1f}%" if rate else "") + "</text>")
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()
