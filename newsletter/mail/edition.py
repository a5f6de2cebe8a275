"""Render an edition once, then cut it into per-item blocks that messages are stamped from.

The rendered edition holds placeholders instead of per-recipient links and lines;
`EncodedEdition.stamp` fills them in and picks the blocks a recipient chose, with plain joins
of pre-encoded bytes only. It is the one stamp: readers' copies, previews and test sends all
go through it (see copies.py). The
subject, top heading and preheader depend on which items a copy holds, so they are
placeholders too, filled from `headings.copy_lines` once per topic combination.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from markupsafe import escape

from ..models import Edition, TopicUpdate
from ..urls import normalize_url
from .headings import CopyLines, copy_lines
from .message import qp_piece, read_piece
from .render import render_mjml, render_text

PREFERENCES = "{{preferences_url}}"
UNSUBSCRIBE = "{{unsubscribe_url}}"
WEB_COPY = "{{web_copy_url}}"  # "View in browser": one per (edition, topics), never per reader
SUBJECT = "{{copy_subject}}"
SUBJECT_RULE = "{{copy_subject_rule}}"  # the '=====' under the subject in the text part
PREHEADER = "{{copy_preheader}}"
CLICK_READER = "{{click_reader}}"  # a tracked link's reader part (engagement.links)
PLACEHOLDERS = (PREFERENCES, UNSUBSCRIBE, WEB_COPY, SUBJECT, SUBJECT_RULE, PREHEADER,
                CLICK_READER)
_HTML_MARK = re.compile(r"<!-- item:(\d+):start -->(.*?)<!-- item:\1:end -->", re.S)
_PLACEHOLDER = re.compile("(" + "|".join(re.escape(p) for p in PLACEHOLDERS) + ")")
_TEXT_MARK = re.compile(r"<<item:(\d+):start>>\n?(.*?)<<item:\1:end>>\n?", re.S)
MAX_ITEMS = 62  # one bit per item in Delivery.topics_mask (a signed 64-bit integer)
MAX_CACHED_COPIES = 4096  # distinct topic combinations kept per edition and process


@dataclass(frozen=True)
class RenderedEdition:
    """The edition's HTML and text, cut into head, items and tail, plus what each copy's
    subject and preheader are built from. `subject` is the editor's fixed subject, or None
    for a subject per copy."""

    subject: str | None
    html_head: str
    html_items: list[str]
    html_tail: str
    text_head: str
    text_items: list[str]
    text_tail: str
    list_name: str = ""
    headlines: list[str] = field(default_factory=list)
    topic_names: list[str] = field(default_factory=list)
    ledes: list[str] = field(default_factory=list)
    # per item: its topic; per tracked link (numbered through the edition): the URL it
    # leads to and the item it is in. Editions rendered before every article link was
    # tracked have one link per item and no `link_items`.
    topic_slugs: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    link_items: list[int] | None = None
    # edition, digest or welcome (models.EditionKind): a briefing's subject names the copy's
    # topics; its "N earlier updates" lines are items without a headline
    kind: str = "edition"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RenderedEdition:
        return cls(**data)

    def picked(self, mask: int) -> list[int]:
        return [i for i in range(len(self.html_items)) if mask >> i & 1]

    def lines(self, mask: int) -> CopyLines:
        """Subject and preheader of the copy holding these items."""
        picked = [i for i in self.picked(mask) if i < len(self.headlines) and self.headlines[i]]
        return copy_lines(
            fixed_subject=self.subject, headlines=[self.headlines[i] for i in picked],
            topic_names=[self.topic_names[i] for i in picked],
            ledes=[self.ledes[i] for i in picked if self.ledes[i]], list_name=self.list_name,
            kind=self.kind,
        )


def _html_lines(lines: CopyLines) -> dict[str, str]:
    return {SUBJECT: str(escape(lines.subject)), PREHEADER: str(escape(lines.preheader)),
            SUBJECT_RULE: ""}


def _text_lines(lines: CopyLines) -> dict[str, str]:
    return {SUBJECT: lines.subject, SUBJECT_RULE: "=" * len(lines.subject),
            PREHEADER: lines.preheader}


Pieces = tuple[bytes | str, ...]  # bytes: encoded once; str: a placeholder


def _encode_pieces(part: str) -> Pieces:
    return tuple(p if p in PLACEHOLDERS else qp_piece(p) for p in _PLACEHOLDER.split(part) if p)


@dataclass(frozen=True)
class CopyParts:
    """One topic combination's subject and its lines, already encoded for each part, and
    its two bodies as plans: the encoded pieces of its blocks with those lines filled in and
    neighbours joined, so only the reader's links are left as placeholders."""

    subject: str
    html: dict[str, bytes]
    text: dict[str, bytes]
    html_plan: Pieces = ()
    text_plan: Pieces = ()

    @classmethod
    def of(cls, lines: CopyLines) -> CopyParts:
        return cls(lines.subject, {k: qp_piece(v) for k, v in _html_lines(lines).items()},
                   {k: qp_piece(v) for k, v in _text_lines(lines).items()})


def _plan(head: Pieces, items: tuple[Pieces, ...], tail: Pieces, picked: list[int],
          fixed: dict[str, bytes]) -> Pieces:
    """One body of a copy holding the `picked` items, with the placeholders in `fixed`
    filled and adjacent bytes joined."""
    plan: list[bytes | str] = []
    for piece in (*head, *(p for i in picked for p in items[i]), *tail):
        value = fixed.get(piece, piece) if isinstance(piece, str) else piece
        if isinstance(value, bytes) and plan and isinstance(plan[-1], bytes):
            plan[-1] += value
        else:
            plan.append(value)
    return tuple(plan)


@dataclass(frozen=True)
class EncodedEdition:
    """The edition's blocks already quoted-printable encoded: what each copy is joined from.

    Built once per edition and process; a copy costs two small encodes (its links) and
    two joins, never a render or a whole-body encode. Subject and preheader are encoded
    once per topic combination and kept (`copy`).
    """

    html_head: Pieces
    html_items: tuple[Pieces, ...]
    html_tail: Pieces
    text_head: Pieces
    text_items: tuple[Pieces, ...]
    text_tail: Pieces
    source: RenderedEdition | None = None
    copies: dict[int, CopyParts] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, rendered: RenderedEdition) -> EncodedEdition:
        def tail(part: str) -> Pieces:  # bodies end with a line break, as `email` builds them
            return _encode_pieces(part if part.endswith("\n") else part + "\n")

        return cls(
            _encode_pieces(rendered.html_head),
            tuple(_encode_pieces(i) for i in rendered.html_items),
            tail(rendered.html_tail),
            _encode_pieces(rendered.text_head),
            tuple(_encode_pieces(i) for i in rendered.text_items),
            tail(rendered.text_tail),
            rendered,
        )

    def copy(self, mask: int) -> CopyParts:
        """Subject and lines for this topic combination, built on first use."""
        parts = self.copies.get(mask)
        if parts is None:
            if len(self.copies) >= MAX_CACHED_COPIES:
                self.copies.clear()
            assert self.source is not None
            parts = CopyParts.of(self.source.lines(mask))
            picked = self.source.picked(mask)
            parts = self.copies[mask] = replace(
                parts,
                html_plan=_plan(self.html_head, self.html_items, self.html_tail, picked,
                                parts.html),
                text_plan=_plan(self.text_head, self.text_items, self.text_tail, picked,
                                parts.text))
        return parts

    def stamp(self, mask: int, preferences_url: str, unsubscribe_url: str,
              web_copy_url: str = "#", click_reader: str = "") -> tuple[bytes, bytes]:
        """(text, html) bodies for one recipient, encoded, their items in editorial order:
        the topic combination's plans (`copy`) with this reader's links put in."""
        parts = self.copy(mask)
        links = {PREFERENCES: qp_piece(preferences_url), UNSUBSCRIBE: qp_piece(unsubscribe_url),
                 WEB_COPY: qp_piece(web_copy_url), CLICK_READER: qp_piece(click_reader)}
        return (b"".join([links[p] if isinstance(p, str) else p for p in parts.text_plan]),
                b"".join([links[p] if isinstance(p, str) else p for p in parts.html_plan]))


def read_copy(rendered: RenderedEdition, mask: int, preferences_url: str, unsubscribe_url: str,
              web_copy_url: str = "#") -> tuple[str, str]:
    """(text, html) of one copy as text, for a page that shows a single block (the update
    editor's preview) and for tests: stamped by `EncodedEdition.stamp`, like every copy
    sent, then decoded. Tracked links carry no reader."""
    text, html = EncodedEdition.of(rendered).stamp(mask, preferences_url, unsubscribe_url,
                                                   web_copy_url)
    return read_piece(text), read_piece(html)


def update_context(update: TopicUpdate) -> dict[str, Any]:
    """Plain data for one topic block, so the templates never touch the ORM."""
    featured = update.featured
    return {
        "topic_slug": update.topic.slug,
        "topic_name": update.topic.name,
        "headline": update.headline,
        "lede": update.lede,
        "bullets": list(update.bullets or []),
        "background": list(update.background or []),
        "outlets": update.outlets,
        "article_count": update.total_articles,
        "curator_name": update.curator_name,
        "curator_image_url": update.curator_image_url,
        # every cited article, the featured one included (its card links to it)
        "sources": [{"outlet": s.outlet, "title": s.title, "url": s.url}
                    for s in update.sources],
        "featured": None
        if featured is None
        else {
            "outlet": featured.outlet,
            "title": featured.title,
            "url": featured.url,
            "image_url": featured.image_url,
            "reading_minutes": featured.reading_minutes,
        },
    }


def render_items(
    subject: str | None, items: list[dict[str, Any]], *, list_name: str, base_url: str,
    kicker: str = "", track: Callable[[int], str] | None = None, open_pixel: str = "",
    kind: str = "edition",
) -> RenderedEdition:
    """MJML + premailer run here, once; the result is cut at the item markers.

    `subject` None means each copy's subject is built from its own items. With `track`
    (link number -> site path of its tracked link) every article link of every item (its
    sources, the featured card's included) goes through the redirect, with a placeholder for
    the reader part that each copy fills in; `open_pixel` (a site path) adds a 1x1 image at
    the end that carries the same reader part.
    `kind` "digest" or "welcome" renders templates/email/briefing.* instead, where an item
    with `earlier` is the line "N earlier updates on this topic" under its topic's block.
    """
    links: list[str] = []  # per link number: the URL it leads to
    link_items: list[int] = []  # per link number: the item it is in (its topic)
    if track:
        items = [_tracked(item, n, track, base_url, links, link_items)
                 for n, item in enumerate(items)]
    # pictures the service stores are site paths; an email needs them absolute
    items = [{**i, "curator_image_url": base_url.rstrip("/") + i["curator_image_url"]}
             if (i.get("curator_image_url") or "").startswith("/") else i for i in items]
    context = {
        "subject": SUBJECT,
        "subject_rule": SUBJECT_RULE,
        "title": SUBJECT,
        "preview": PREHEADER,
        "items": items,
        "list_name": list_name,
        "kicker": kicker,
        "base_url": base_url,
        "preferences_url": PREFERENCES,
        "unsubscribe_url": UNSUBSCRIBE,
        "web_copy_url": WEB_COPY,
        "open_pixel": f"{base_url.rstrip('/')}{open_pixel}{CLICK_READER}" if open_pixel else "",
    }
    template = "edition" if kind == "edition" else "briefing"
    html = render_mjml(f"{template}.mjml", **context)
    text = render_text(f"{template}.txt", **context)
    html_head, html_items, html_tail = split_blocks(html, _HTML_MARK, len(items))
    text_head, text_items, text_tail = split_blocks(text, _TEXT_MARK, len(items))
    return RenderedEdition(
        subject or None, html_head, html_items, html_tail, text_head, text_items, text_tail,
        list_name=list_name, headlines=[i["headline"] for i in items],
        topic_names=[i["topic_name"] for i in items], ledes=[i.get("lede") or "" for i in items],
        topic_slugs=[i.get("topic_slug") or "" for i in items], links=links,
        link_items=link_items, kind=kind,
    )


def _tracked(item: dict[str, Any], n: int, track: Callable[[int], str], base_url: str,
             links: list[str], link_items: list[int]) -> dict[str, Any]:
    """The item with a tracked href for each of its article URLs (`tracked`: URL -> href,
    `tracked_href`: the featured card's), numbering them on from `links`. A URL cited twice
    in one item is one link; anything but an http(s) URL is not linked at all."""
    featured = (item.get("featured") or {}).get("url")
    hrefs: dict[str, str] = {}
    for url in (featured, *(s.get("url") for s in item.get("sources") or [])):
        clean = normalize_url(url) if url else None
        if clean and url not in hrefs:
            hrefs[url] = f"{base_url.rstrip('/')}{track(len(links))}{CLICK_READER}"
            links.append(clean)
            link_items.append(n)
    return {**item, "tracked": hrefs, "tracked_href": hrefs.get(featured or "")}


def render_edition(edition: Edition, *, list_name: str, base_url: str,
                   track: Callable[[int, int], str] | None = None,
                   pixel: Callable[[int], str] | None = None) -> RenderedEdition:
    """`track` (edition id, link number -> tracked link path) turns click tracking on,
    `pixel` (edition id -> open pixel path) open tracking."""
    items = [update_context(item.update) for item in edition.items]
    kicker = edition.send_at.strftime("%A, %-d %B %Y")
    subject = None if edition.auto_subject else edition.subject
    per_item = (lambda n: track(edition.id, n)) if track else None
    return render_items(subject, items, list_name=list_name, base_url=base_url, kicker=kicker,
                        track=per_item, open_pixel=pixel(edition.id) if pixel else "")


def split_blocks(rendered: str, marker: re.Pattern[str], count: int) -> tuple[str, list[str], str]:
    matches = list(marker.finditer(rendered))
    if [int(m.group(1)) for m in matches] != list(range(count)):
        raise RuntimeError("rendered edition lost its item markers; check the email template")
    if not matches:
        return rendered, [], ""
    head = rendered[: matches[0].start()]
    tail = rendered[matches[-1].end() :]
    items = []
    for i, m in enumerate(matches):
        gap_end = matches[i + 1].start() if i + 1 < len(matches) else m.end()
        items.append(m.group(2) + rendered[m.end() : gap_end])  # markers are dropped
    return head, items, tail
