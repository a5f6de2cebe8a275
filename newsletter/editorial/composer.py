"""What the update composer needs besides create/edit: inbox articles, sources, the preview.

The preview renders the block through the very pipeline an edition uses
(`render_items` + `read_copy`, the one stamp), so what the editor sees is what subscribers get.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..errors import ValidationError
from ..mail.edition import read_copy, render_items, update_context
from ..models import Article, Editor, Topic, TopicUpdate
from .text import clean_text, clean_url
from .updates import SourceInput, UpdateInput, _apply

INBOX_LIMIT = 60
MAX_SOURCES = 50


@dataclass(frozen=True)
class SourceRow:
    """One hand-entered (or previously saved) source as the form sends it."""

    url: str
    title: str
    outlet: str = ""
    image_url: str = ""
    minutes: str = ""
    article_id: str = ""

    @property
    def blank(self) -> bool:
        return not (self.url.strip() or self.title.strip() or self.outlet.strip())


def inbox(session: Session, topic: Topic, limit: int = INBOX_LIMIT) -> list[Article]:
    """The topic's articles that feeds brought in, newest first, with their story group."""
    return list(session.scalars(
        select(Article).where(Article.topic_id == topic.id)
        .options(selectinload(Article.story))
        .order_by(Article.published_at.desc(), Article.id.desc()).limit(limit)
    ))


def _minutes(raw: str, field: str) -> int:
    raw = (raw or "").strip()
    if not raw:
        return 1
    if not raw.isdigit() or not 1 <= int(raw) <= 600:
        raise ValidationError(f"{field}: reading time must be 1 to 600 minutes.", field="sources")
    return int(raw)


def build_sources(session: Session, topic: Topic, rows: list[SourceRow], picked: list[int],
                  featured: str) -> tuple[list[SourceInput], int | None]:
    """Hand-entered rows first, then picked inbox articles; `featured` is 'row:N' or 'article:ID'.

    Sources are copied (not linked) so a sent email never changes when an article does.
    """
    sources: list[SourceInput] = []
    featured_index: int | None = None
    seen: set[str] = set()
    for n, row in enumerate(rows, start=1):
        if row.blank:
            continue
        label = f"Source {n}"
        source = SourceInput(
            url=clean_url(row.url, f"{label} URL") or "",
            title=clean_text(row.title, f"{label} title", max_len=500),
            outlet=clean_text(row.outlet, f"{label} outlet", max_len=200, required=False),
            image_url=clean_url(row.image_url, f"{label} image URL", required=False),
            reading_minutes=_minutes(row.minutes, label),
            article_id=int(row.article_id) if row.article_id.isdigit()
            and int(row.article_id) <= 2_147_483_647 else None,
        )
        if source.url in seen:
            continue
        seen.add(source.url)
        if featured == f"row:{n - 1}":
            featured_index = len(sources)
        sources.append(source)
    linked = {s.article_id for s in sources if s.article_id is not None}
    if linked:  # a hand row may only keep a link to an article of this topic that exists
        known = set(session.scalars(select(Article.id).where(
            Article.id.in_(linked), Article.topic_id == topic.id)))
        for source in sources:
            if source.article_id not in known:
                source.article_id = None
    if picked:
        articles = {a.id: a for a in session.scalars(
            select(Article).where(Article.id.in_(picked), Article.topic_id == topic.id))}
        unknown = [i for i in picked if i not in articles]
        if unknown:
            raise ValidationError(f"Articles {unknown[:5]} are not in the inbox of this topic.",
                                  field="articles")
        for article_id in dict.fromkeys(picked):
            article = articles[article_id]
            if article.url in seen:
                if featured == f"article:{article_id}":
                    featured_index = next(i for i, s in enumerate(sources) if s.url == article.url)
                continue
            seen.add(article.url)
            if featured == f"article:{article_id}":
                featured_index = len(sources)
            sources.append(SourceInput(
                url=article.url, title=article.title[:500], outlet=article.outlet[:200],
                image_url=article.image_url, reading_minutes=max(1, min(article.reading_minutes, 600)),
                article_id=article.id,
            ))
    if len(sources) > MAX_SOURCES:
        raise ValidationError(f"An update cites at most {MAX_SOURCES} articles.", field="sources")
    if featured and featured_index is None:
        raise ValidationError("The featured article must be one of the sources.", field="featured")
    return sources, featured_index


def preview_html(session: Session, topic: Topic, data: UpdateInput, editor: Editor | None, *,
                 list_name: str, base_url: str) -> str:
    """The topic block as it will look in the email, rendered by the edition pipeline.

    A transient update is built and validated like a saved one, then thrown away: the
    caller rolls the session back, nothing is written.
    """
    update = TopicUpdate()
    update.topic = topic
    _apply(update, data, editor)
    rendered = render_items(update.headline, [update_context(update)], list_name=list_name,
                            base_url=base_url, kicker="Preview")
    _text, html = read_copy(rendered, 1, "#preferences", "#unsubscribe")
    return html
