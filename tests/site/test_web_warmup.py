"""A new web process is warmed before its first request, without reading any data."""

from __future__ import annotations

import re
from dataclasses import replace
from types import SimpleNamespace

from newsletter import create_app, heap
from newsletter.web import serving, warmup
from tests.factories import make_topic


def compiled(app) -> set[str]:  # noqa: ANN001
    return {name for _loader, name in app.jinja_env.cache}


def test_warming_compiles_every_page_template(app) -> None:
    pages = set(app.jinja_env.list_templates(
        filter_func=lambda name: name.endswith(warmup.TEMPLATE_SUFFIXES)))
    assert {"subscribe.html", "check_inbox.html", "site/topic.html"} <= pages
    assert not compiled(app) & pages

    assert warmup.warm(app) == len(pages)

    assert pages <= compiled(app)


def test_warming_opens_one_database_connection_per_thread(app) -> None:
    pool = app.extensions["newsletter"].engine.pool
    assert pool.checkedin() == 0

    warmup.warm(app)

    size = app.extensions["newsletter"].settings.database_pool_size
    assert size > 1 and pool.checkedin() == size


def test_a_database_down_at_start_up_does_not_stop_the_warm_up(settings, caplog) -> None:
    down = replace(settings, database_url="postgresql+psycopg://nobody@127.0.0.1:9/none")
    app = create_app(down, {"TESTING": True})
    try:
        assert warmup.warm(app) > 0
    finally:
        app.extensions["newsletter"].engine.dispose()
    assert "could not open the connections ahead" in caplog.text
    assert "subscribe.html" in compiled(app)


def test_a_topic_added_after_warming_shows_on_the_sign_up_page(app, client, db) -> None:
    warmup.warm(app)
    make_topic(db, "late", name="Late topic")
    db.commit()
    html = client.get("/subscribe").get_data(as_text=True)
    assert re.findall(r'name="topics" value="([^"]+)"', html) == ["late"]


def test_the_gunicorn_hook_warms_the_app_before_freezing_its_heap(app, monkeypatch) -> None:
    seen: list[set[str]] = []
    monkeypatch.setattr(heap, "settle", lambda: seen.append(compiled(app)) or 0)

    serving.post_worker_init(SimpleNamespace(wsgi=app))

    assert len(seen) == 1 and "subscribe.html" in seen[0]
