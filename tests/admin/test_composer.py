"""The update composer writes the seed format from inbox articles, through the API's functions."""

from __future__ import annotations

from sqlalchemy import func, select

from newsletter.models import Article, TopicUpdate, UpdateSource
from tests.factories import make_inbox, make_topic

SEED_FORM = {
    "headline": "Can Diplomacy Still Avert War in Ukraine?",
    "lede": "As Russian forces prepare for a potential invasion of Ukraine, a diplomatic "
            "resolution looks remote—but talks continue this week.",
    "bullets": "The US and Russia faced off in the United Nations on Monday.\n"
               "Russia’s UN diplomat accused the US of “whipping up hysterics”.\n\n"
               "Diplomatic channels remained open behind the scenes.",
    "background": "The Kremlin wants NATO to cease military activity in Eastern Europe.\n"
                  "The US and NATO have flatly refused.",
}


def count(db, model) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


def inbox_topic(db):
    topic = make_topic(db, "ukraine", name="Russia and Ukraine")
    articles = make_inbox(db, topic)
    db.commit()
    return topic, articles


def test_composing_from_inbox_articles_saves_the_seed_format(as_editor, db, editor):
    topic, articles = inbox_topic(db)
    france24, ft, wapo, nyt = articles[:4]
    form = {**SEED_FORM, "status": "published",
            "articles": [str(a.id) for a in (france24, ft, wapo, nyt)],
            "featured": f"article:{france24.id}"}
    response = as_editor.post("/admin/topics/ukraine/updates/new", form)
    assert response.status_code == 302, response.get_data(as_text=True)

    update = db.scalar(select(TopicUpdate))
    assert update.headline == SEED_FORM["headline"]
    assert update.lede.startswith("As Russian forces")
    assert update.bullets == [
        "The US and Russia faced off in the United Nations on Monday.",
        "Russia’s UN diplomat accused the US of “whipping up hysterics”.",
        "Diplomatic channels remained open behind the scenes.",
    ]
    assert len(update.background) == 2
    assert [s.outlet for s in update.sources] == ["France 24", "Financial Times",
                                                  "The Washington Post", "The New York Times"]
    assert [s.article_id for s in update.sources] == [a.id for a in (france24, ft, wapo, nyt)]
    assert update.featured.title.startswith("Blinken, Lavrov")
    assert update.featured.reading_minutes == 3
    assert update.total_articles == 4
    assert update.status == "published" and update.published_at is not None
    assert update.curator_name == "Erin Editor"


def test_bullets_sent_as_separate_fields_keep_their_order(as_editor, db):
    """What the JS list editor sends: one field per bullet, in the order on screen."""
    inbox_topic(db)
    form = {**SEED_FORM, "bullets": ["Third first", "Then the first", "Last"], "status": "draft"}
    assert as_editor.post("/admin/topics/ukraine/updates/new", form).status_code == 302
    update = db.scalar(select(TopicUpdate))
    assert update.bullets == ["Third first", "Then the first", "Last"]
    assert update.status == "draft" and update.published_at is None


def test_hand_entered_sources_and_a_featured_row_are_kept(as_editor, db):
    inbox_topic(db)
    form = {**SEED_FORM, "status": "published",
            "source_url": ["https://a.example/1", "", "https://b.example/2"],
            "source_title": ["First", "", "Second"],
            "source_outlet": ["Outlet A", "", "Outlet B"],
            "source_image_url": ["", "", "https://img.example/b.jpg"],
            "source_minutes": ["4", "", ""],
            "source_article_id": ["", "", ""],
            "featured": "row:2", "article_count": "9"}
    assert as_editor.post("/admin/topics/ukraine/updates/new", form).status_code == 302
    update = db.scalar(select(TopicUpdate))
    assert [(s.title, s.reading_minutes) for s in update.sources] == [("First", 4), ("Second", 1)]
    assert update.featured.title == "Second"
    assert update.featured.image_url == "https://img.example/b.jpg"
    assert update.total_articles == 9


def test_editing_an_update_replaces_its_content(as_editor, db):
    topic, articles = inbox_topic(db)
    as_editor.post("/admin/topics/ukraine/updates/new",
                   {**SEED_FORM, "status": "draft", "articles": [str(articles[0].id)]})
    update = db.scalar(select(TopicUpdate))
    page = as_editor.get(f"/admin/updates/{update.id}/edit").get_data(as_text=True)
    assert SEED_FORM["headline"] in page and articles[0].url in page

    response = as_editor.post(f"/admin/updates/{update.id}/edit", {
        **SEED_FORM, "headline": "Talks go on", "status": "published",
        "source_url": [articles[0].url], "source_title": [articles[0].title],
        "source_outlet": ["France 24"], "source_image_url": [""], "source_minutes": ["3"],
        "source_article_id": [str(articles[0].id)], "featured": "row:0"})
    assert response.status_code == 302
    db.expire_all()
    update = db.get(TopicUpdate, update.id)
    assert update.headline == "Talks go on" and update.status == "published"
    assert len(update.sources) == 1 and update.featured.outlet == "France 24"


def test_a_missing_headline_is_refused_and_nothing_is_written(as_editor, db):
    inbox_topic(db)
    response = as_editor.post("/admin/topics/ukraine/updates/new",
                              {**SEED_FORM, "headline": " ", "status": "published"})
    assert response.status_code == 422
    assert "Add a headline." in response.get_data(as_text=True)
    assert SEED_FORM["lede"] in response.get_data(as_text=True)  # the editor's text survives
    assert count(db, TopicUpdate) == 0 and count(db, UpdateSource) == 0


def test_an_article_from_another_topic_is_refused(as_editor, db):
    inbox_topic(db)
    other = make_topic(db, "climate")
    foreign = make_inbox(db, other, [("Outlet", "Elsewhere", 2)])[0]
    db.commit()
    response = as_editor.post("/admin/topics/ukraine/updates/new",
                              {**SEED_FORM, "status": "published", "articles": [str(foreign.id)]})
    assert response.status_code == 422
    assert "not in the inbox of this topic" in response.get_data(as_text=True)
    assert count(db, TopicUpdate) == 0


def test_bad_source_rows_are_refused_with_the_row_named(as_editor, db):
    inbox_topic(db)
    for row, message in [
        ({"source_url": ["javascript:alert(1)"], "source_title": ["x"]}, "Source 1 URL"),
        ({"source_url": ["https://a.example"], "source_title": [""]}, "Add the source 1 title."),
        ({"source_url": ["https://a.example"], "source_title": ["x"], "source_minutes": ["0"]},
         "1 to 600 minutes"),
    ]:
        response = as_editor.post("/admin/topics/ukraine/updates/new",
                                  {**SEED_FORM, "status": "published", **row})
        assert response.status_code == 422, row
        assert message in response.get_data(as_text=True)
    assert count(db, TopicUpdate) == 0


def test_an_unknown_status_or_featured_is_refused(as_editor, db):
    inbox_topic(db)
    assert as_editor.post("/admin/topics/ukraine/updates/new",
                          {**SEED_FORM, "status": "sent"}).status_code == 422
    assert as_editor.post("/admin/topics/ukraine/updates/new",
                          {**SEED_FORM, "status": "draft", "featured": "row:5"}).status_code == 422
    assert count(db, TopicUpdate) == 0


def test_the_preview_renders_the_topic_block_as_in_the_email(as_editor, db):
    topic, articles = inbox_topic(db)
    response = as_editor.post("/admin/topics/ukraine/updates/preview", {
        **SEED_FORM, "status": "draft", "articles": [str(a.id) for a in articles[:5]],
        "featured": f"article:{articles[0].id}"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Can Diplomacy Still Avert War in Ukraine?" in html
    assert "UPDATE:" in html and "BACKGROUND:" in html
    # the seed lists the featured article's outlet (France 24, on its card) among the "more"
    assert "Financial Times, The Washington Post, The New York Times + 2 more" in html
    assert "5 articles on this topic" in html
    assert "3 min read" in html and "Curated by Erin Editor" in html
    csp = response.headers["Content-Security-Policy"]
    assert "script-src" not in csp and "default-src 'none'" in csp and "sandbox" in csp
    assert count(db, TopicUpdate) == 0 and count(db, Article) == 5


def test_the_preview_explains_what_is_missing(as_editor, db):
    inbox_topic(db)
    response = as_editor.post("/admin/topics/ukraine/updates/preview", {"headline": ""})
    assert response.status_code == 422
    assert "Add a headline." in response.get_data(as_text=True)


def test_a_link_from_the_inbox_prechecks_a_storys_articles(as_editor, db):
    from newsletter.models import Story

    topic, articles = inbox_topic(db)
    story = Story(topic_id=topic.id, headline="Talks")
    db.add(story)
    db.flush()
    for a in articles[:2]:
        a.story_id = story.id
    db.commit()
    html = as_editor.get(f"/admin/topics/ukraine/updates/new?story={story.id}"
                         f"&articles={articles[4].id}").get_data(as_text=True)
    for a in (articles[0], articles[1], articles[4]):
        assert f'name="articles" value="{a.id}" checked' in html
    assert f'name="articles" value="{articles[2].id}" checked' not in html


def test_a_source_row_keeps_only_links_to_this_topics_articles(as_editor, db):
    topic, articles = inbox_topic(db)
    other = make_topic(db, "climate")
    foreign = make_inbox(db, other, [("Outlet", "Elsewhere", 2)])[0]
    db.commit()
    response = as_editor.post("/admin/topics/ukraine/updates/new", {
        **SEED_FORM, "status": "draft",
        "source_url": ["https://a.example/1", "https://a.example/2", "https://a.example/3"],
        "source_title": ["Mine", "Foreign", "Gone"],
        "source_article_id": [str(articles[0].id), str(foreign.id), "424242"]})
    assert response.status_code == 302
    update = db.scalar(select(TopicUpdate))
    assert [s.article_id for s in update.sources] == [articles[0].id, None, None]


def test_hand_entered_image_url_is_stored_percent_encoded(as_editor, db):
    inbox_topic(db)
    form = {**SEED_FORM, "status": "published", "source_url": ["https://a.example/1"],
            "source_title": ["First"], "source_outlet": [""],
            "source_image_url": ['https://img.example/a.jpg" onerror="alert(1)'],
            "source_minutes": [""], "source_article_id": [""], "featured": "row:0"}
    assert as_editor.post("/admin/topics/ukraine/updates/new", form).status_code == 302
    update = db.scalar(select(TopicUpdate))
    assert update.featured.image_url == "https://img.example/a.jpg%22%20onerror=%22alert(1)"
