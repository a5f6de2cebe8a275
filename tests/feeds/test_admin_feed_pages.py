"""Editor pages for feeds: health per feed, add form, poll now with progress, OPML, inbox."""

from __future__ import annotations

import io
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from newsletter.feeds.service import poll_feed
from newsletter.models import Article, Feed, Story
from tests.factories import make_editor
from tests.support.admin import csrf_token, log_in

from .helpers import feed_for
from .samples import Item, items, rss2
from .server import Route
from .test_xss_never_reaches_output import PAYLOADS


@pytest.fixture
def editor(client, db, topic):
    make_editor(db, email="feeds-editor@example.com")
    db.commit()
    log_in(client, "feeds-editor@example.com")
    return client


def token(client, path="/admin/topics/climate/feeds") -> str:
    return csrf_token(client, path)


def test_feed_pages_need_login(client, topic):
    for path in ("/admin/feeds", "/admin/topics/climate/feeds", "/admin/topics/climate/articles",
                 "/admin/topics/climate/feeds.opml"):
        response = client.get(path)
        assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_feed_page_shows_health_of_each_feed(editor, db, settings, feed_server):
    feed = feed_for(db, feed_server.add("/down.xml", Route(b"", status=503,
                                                           headers={"Retry-After": "120"})))
    poll_feed(db, feed.id, settings)
    db.expire_all()
    page = editor.get("/admin/topics/climate/feeds").get_data(as_text=True)
    assert "HTTP 503; asked to wait 120 s." in page
    assert "1 failure in a row" in page
    assert 'data-field="next_poll_at"><time' in page and 'data-field="last_fetched_at"><time' in page
    assert "badge-error" in page


def test_add_feed_form_creates_the_feed_and_queues_a_poll(editor, db, runtime, feed_server):
    url = feed_server.add("/new.xml", Route(rss2(items(1))))
    response = editor.post("/admin/topics/climate/feeds", data={
        "url": url, "poll_minutes": "15", "csrf_token": token(editor)})
    assert response.status_code == 302
    feed = db.scalar(select(Feed))
    assert (feed.url, feed.poll_minutes) == (url, 15)
    polls = [job for job in runtime.queue.jobs if job.func_name.endswith("poll_feed_job")]
    assert [job.args[0] for job in polls] == [feed.id]


@pytest.mark.parametrize(("data", "message"), [
    ({"url": "javascript:alert(1)", "poll_minutes": "15"}, "http"),
    ({"url": "https://example.com/feed", "poll_minutes": "0"}, "Poll every"),
    ({"url": "https://example.com/feed", "poll_minutes": "soon"}, "Poll every"),
    ({"url": "", "poll_minutes": "15"}, "Feed URL"),
])
def test_add_feed_form_rejects_bad_input_with_a_4xx(editor, db, data, message):
    response = editor.post("/admin/topics/climate/feeds", data={**data, "csrf_token": token(editor)})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(Feed)) == 0


def test_add_feed_form_needs_csrf(editor, db):
    response = editor.post("/admin/topics/climate/feeds", data={"url": "https://example.com/f"})
    assert response.status_code == 400
    assert db.scalar(select(func.count()).select_from(Feed)) == 0


def test_poll_now_reports_progress_until_done(editor, db, runtime, feed_server, work):
    feed = feed_for(db, feed_server.add("/now.xml", Route(rss2(items(4)))))
    started = editor.post(f"/admin/feeds/{feed.id}/poll", data={"csrf_token": token(editor)},
                          headers={"Accept": "application/json"})
    assert started.status_code == 202 and started.json["state"] == "queued"
    assert editor.get(f"/admin/feeds/{feed.id}/status.json").json["state"] == "queued"
    work()
    status = editor.get(f"/admin/feeds/{feed.id}/status.json").json
    assert status["state"] == "done"
    assert status["result"] == {"feed_id": feed.id, "status": "ok", "new": 4, "updated": 0,
                                "error": None}
    assert status["feed"]["entries_found"] == 4 and status["feed"]["status"] == "ok"


def test_opml_import_and_export(editor, db):
    opml = (b'<?xml version="1.0"?><opml version="2.0"><body>'
            b'<outline text="A" xmlUrl="https://a.example/feed"/>'
            b'<outline text="B" xmlUrl="https://b.example/feed"/></body></opml>')
    response = editor.post("/admin/topics/climate/feeds/import", data={
        "opml": (io.BytesIO(opml), "feeds.opml"), "csrf_token": token(editor)},
        content_type="multipart/form-data")
    assert response.status_code == 302
    assert db.scalar(select(func.count()).select_from(Feed)) == 2
    exported = editor.get("/admin/topics/climate/feeds.opml")
    assert exported.mimetype == "text/x-opml"
    assert b'xmlUrl="https://a.example/feed"' in exported.data


def test_opml_import_of_a_bad_file_is_a_4xx(editor, db):
    response = editor.post("/admin/topics/climate/feeds/import", data={
        "opml": (io.BytesIO(b"<not-opml/>"), "x.opml"), "csrf_token": token(editor)},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert db.scalar(select(func.count()).select_from(Feed)) == 0


def _two_story_feed(db, settings, feed_server) -> None:
    feed_items = [
        Item("Glacier collapse in the Alps", "https://a.example/1", guid="1",
             summary="A glacier collapse in the Alps buried a village."),
        Item("Alps glacier collapse buries village", "https://a.example/2", guid="2",
             summary="Village buried by Alps glacier collapse."),
        Item("Carbon tax vote delayed in parliament", "https://a.example/3", guid="3",
             summary="Parliament delays the carbon tax vote."),
    ]
    poll_feed(db, feed_for(db, feed_server.add("/two.xml", Route(rss2(feed_items)))).id, settings)
    db.expire_all()


def test_inbox_shows_stories_and_split_and_merge_work(editor, db, settings, feed_server):
    _two_story_feed(db, settings, feed_server)
    page = editor.get("/admin/topics/climate/articles").get_data(as_text=True)
    assert "2 articles" in page and "1 article" in page
    glacier = db.scalar(select(Article).where(Article.url == "https://a.example/2"))
    csrf = token(editor, "/admin/topics/climate/articles")
    assert editor.post(f"/admin/articles/{glacier.id}/split",
                       data={"csrf_token": csrf}).status_code == 302
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Story)) == 3
    ids = sorted(db.scalars(select(Story.id)))
    assert editor.post("/admin/topics/climate/stories/merge", data={
        "target": ids[0], "source": ids[1], "csrf_token": csrf}).status_code == 302
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Story)) == 2


def test_merge_with_bad_input_is_a_4xx(editor, db, settings, feed_server):
    _two_story_feed(db, settings, feed_server)
    csrf = token(editor, "/admin/topics/climate/articles")
    story = db.scalar(select(Story.id))
    for data in ({"target": "x", "source": story}, {"target": story, "source": story},
                 {"target": story, "source": 99999}):
        response = editor.post("/admin/topics/climate/stories/merge", data={**data, "csrf_token": csrf})
        assert 400 <= response.status_code < 500


class _PageAudit(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and not (values.get("src") or "").startswith("/static/"):
            self.problems.append("inline or foreign script")
        if tag in {"iframe", "object", "embed", "svg", "math", "base"}:
            self.problems.append(tag)
        if tag == "form" and not (values.get("action") or "").startswith("/admin/"):
            self.problems.append(f"form to {values.get('action')}")
        for name, value in attrs:
            if name.startswith("on") or name == "srcset":
                self.problems.append(f"{tag} {name}")
            if name in {"href", "src", "action"} and (value or "").strip().lower().startswith(
                    ("javascript:", "data:", "vbscript:")):
                self.problems.append(f"{tag} {name}={value}")


def test_xss_payloads_never_reach_the_admin_inbox(editor, db, settings, feed_server):
    feed_items = [Item(title=f"T {p}", link=f"https://x.example/{k}", guid=f"x{k}",
                       summary=f"S {p}") for k, p in enumerate(PAYLOADS)]
    poll_feed(db, feed_for(db, feed_server.add("/xss.xml", Route(rss2(feed_items)))).id, settings)
    page = editor.get("/admin/topics/climate/articles").get_data(as_text=True)
    audit = _PageAudit()
    audit.feed(page)
    assert audit.problems == []
    assert page.count('href="https://x.example/') == len(PAYLOADS)
