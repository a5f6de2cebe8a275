"""Topic updates in the briefing format of the seed page, written by editors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..errors import NotFound, ValidationError
from ..models import Editor, TopicUpdate, UpdateSource, UpdateStatus, utcnow
from .text import clean_list, clean_text, clean_url
from .topics import get_topic


@dataclass
class SourceInput:
    url: str
    title: str
    outlet: str = ""
    image_url: str | None = None
    reading_minutes: int = 1
    article_id: int | None = None


@dataclass
class UpdateInput:
    headline: str
    lede: str = ""
    bullets: list[str] = field(default_factory=list)
    background: list[str] = field(default_factory=list)
    sources: list[SourceInput] = field(default_factory=list)
    featured: int | None = None
    article_count: int | None = None
    status: str = UpdateStatus.PUBLISHED

    @classmethod
    def from_json(cls, data: Any) -> UpdateInput:
        """Validate an API body; every problem becomes a ValidationError naming the field."""
        if not isinstance(data, dict):
            raise ValidationError("Body must be a JSON object.")
        raw_sources = data.get("articles") or []
        if not isinstance(raw_sources, list) or len(raw_sources) > 50:
            raise ValidationError("articles must be a list of at most 50.", field="articles")
        sources = []
        for i, raw in enumerate(raw_sources):
            if not isinstance(raw, dict):
                raise ValidationError(f"articles[{i}] must be an object.", field="articles")
            minutes = raw.get("reading_minutes", 1)
            if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 600:
                raise ValidationError(
                    f"articles[{i}].reading_minutes must be 1 to 600.", field="articles"
                )
            sources.append(
                SourceInput(
                    url=clean_url(raw.get("url"), f"articles[{i}].url") or "",
                    title=clean_text(raw.get("title"), f"articles[{i}].title", max_len=500),
                    outlet=clean_text(raw.get("outlet"), f"articles[{i}].outlet", max_len=200,
                                      required=False),
                    image_url=clean_url(raw.get("image_url"), f"articles[{i}].image_url",
                                        required=False),
                    reading_minutes=minutes,
                )
            )
        featured = data.get("featured")
        if featured is not None and (
            not isinstance(featured, int) or isinstance(featured, bool)
            or not 0 <= featured < len(sources)
        ):
            raise ValidationError("featured must be the index of one of the articles.",
                                  field="featured")
        count = data.get("article_count")
        if count is not None and (not isinstance(count, int) or isinstance(count, bool)
                                  or not 0 <= count <= 100000):
            raise ValidationError("article_count must be a whole number.", field="article_count")
        status = data.get("status", UpdateStatus.PUBLISHED)
        if not isinstance(status, str) or status not in set(UpdateStatus):
            raise ValidationError("status must be draft or published.", field="status")
        return cls(
            headline=data.get("headline"),  # type: ignore[arg-type]
            lede=data.get("lede", ""),
            bullets=data.get("bullets"),  # type: ignore[arg-type]
            background=data.get("background"),  # type: ignore[arg-type]
            sources=sources,
            featured=featured,
            article_count=count,
            status=status,
        )


def create_update(session: Session, topic_slug: str, data: UpdateInput,
                  editor: Editor | None = None) -> TopicUpdate:
    topic = get_topic(session, topic_slug)
    update = TopicUpdate(topic=topic, editor_id=editor.id if editor else None)
    _apply(update, data, editor)
    session.add(update)
    session.flush()
    return update


def edit_update(session: Session, update_id: int, data: UpdateInput,
                editor: Editor | None = None) -> TopicUpdate:
    update = get_update(session, update_id)
    update.sources.clear()
    session.flush()
    _apply(update, data, editor)
    session.flush()
    return update


def _apply(update: TopicUpdate, data: UpdateInput, editor: Editor | None) -> None:
    update.headline = clean_text(data.headline, "headline", max_len=300)
    update.lede = clean_text(data.lede, "lede", max_len=2000, required=False, multiline=True)
    update.bullets = clean_list(data.bullets, "bullets", max_items=20, max_len=1000)
    update.background = clean_list(data.background, "background", max_items=20, max_len=1000)
    update.featured_index = data.featured
    update.article_count = data.article_count
    update.status = data.status
    if editor is not None:
        update.curator_name = editor.display_name
        update.curator_image_url = editor.avatar_url
    if data.status == UpdateStatus.PUBLISHED and update.published_at is None:
        update.published_at = utcnow()
    update.sources = [
        UpdateSource(
            position=i, url=s.url, title=s.title, outlet=s.outlet, image_url=s.image_url,
            reading_minutes=s.reading_minutes, article_id=s.article_id,
        )
        for i, s in enumerate(data.sources)
    ]


def get_update(session: Session, update_id: int) -> TopicUpdate:
    update = session.get(TopicUpdate, update_id)
    if update is None:
        raise NotFound(f"No topic update {update_id}.")
    return update


def published_per_topic(session: Session) -> dict[int, int]:
    """Published updates per topic id (the topics page's column)."""
    return dict(session.execute(  # type: ignore[arg-type]
        select(TopicUpdate.topic_id, func.count()).where(TopicUpdate.status == UpdateStatus.PUBLISHED)
        .group_by(TopicUpdate.topic_id)
    ).all())


def list_updates(session: Session, topic_slug: str | None = None) -> list[TopicUpdate]:
    query = select(TopicUpdate).order_by(TopicUpdate.created_at.desc())
    if topic_slug:
        query = query.where(TopicUpdate.topic_id == get_topic(session, topic_slug).id)
    return list(session.scalars(query))
