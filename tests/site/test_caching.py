"""Public pages answer with ETag, Last-Modified and Cache-Control, and honour conditional
requests; the topic page costs the same few queries however many updates it shows."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from tests.site.helpers import seed_topic


@contextmanager
def count_queries(engine):  # type: ignore[no-untyped-def]
    statements: list[str] = []

    def record(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_topic_page_has_etag_last_modified_and_cache_control(client, db):
    seed_topic(db)
    db.commit()
    response = client.get("/topics/ukraine")
    assert response.headers["ETag"]
    assert response.headers["Last-Modified"]
    assert "public" in response.headers["Cache-Control"]
    assert "max-age=60" in response.headers["Cache-Control"]
    assert "Set-Cookie" not in response.headers


def test_a_matching_etag_gets_304_without_a_body(client, db):
    seed_topic(db)
    db.commit()
    etag = client.get("/topics/ukraine").headers["ETag"]
    again = client.get("/topics/ukraine", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""


def test_if_modified_since_gets_304_when_nothing_changed(client, db):
    seed_topic(db)
    db.commit()
    modified = client.get("/topics/ukraine").headers["Last-Modified"]
    again = client.get("/topics/ukraine", headers={"If-Modified-Since": modified})
    assert again.status_code == 304


def test_a_new_update_changes_the_etag(client, db):
    topic, _ = seed_topic(db)
    db.commit()
    etag = client.get("/topics/ukraine").headers["ETag"]
    from tests.factories import make_update

    make_update(db, topic, "A newer development")
    db.commit()
    response = client.get("/topics/ukraine", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "A newer development" in response.get_data(as_text=True)


def test_topic_page_runs_a_fixed_number_of_queries(client, db, runtime):
    seed_topic(db, older=1)
    db.commit()
    with count_queries(runtime.engine) as few:
        assert client.get("/topics/ukraine").status_code == 200
    seed_topic(db, slug="second", older=15)
    db.commit()
    with count_queries(runtime.engine) as many:
        assert client.get("/topics/second").status_code == 200
    assert len(few) == len(many) == 3


def test_a_repeated_topic_page_is_served_without_a_query(client, db, runtime):
    seed_topic(db)
    db.commit()
    first = client.get("/topics/ukraine")
    with count_queries(runtime.engine) as statements:
        again = client.get("/topics/ukraine")
    assert statements == []
    assert again.get_data() == first.get_data()


def test_an_edited_update_shows_at_once_despite_the_page_cache(client, db):
    _, latest = seed_topic(db)
    db.commit()
    assert "Can Diplomacy" in client.get("/topics/ukraine").get_data(as_text=True)
    latest.headline = "Talks collapse in Geneva"
    db.commit()
    html = client.get("/topics/ukraine").get_data(as_text=True)
    assert "Talks collapse in Geneva" in html and "Can Diplomacy" not in html


def test_archiving_a_topic_takes_its_cached_page_down_at_once(client, db):
    topic, _ = seed_topic(db)
    db.commit()
    assert client.get("/topics/ukraine").status_code == 200
    from newsletter.models import utcnow

    topic.archived_at = utcnow()
    db.commit()
    assert client.get("/topics/ukraine").status_code == 404


def test_a_visitor_with_a_session_gets_public_pages_without_a_cookie(client, db):
    """A sign-up form open in another tab (a session with its CSRF token) must not turn a
    shared, cacheable page into one carrying that visitor's cookie: rendering a public page
    never loads the login user (which, with "strong" protection, rewrote the session)."""
    seed_topic(db)
    db.commit()
    client.get("/subscribe")
    assert client.get_cookie("session") is not None
    for path in ("/topics/ukraine", "/archive", "/", "/topics/nowhere"):
        response = client.get(path)  # the topic page rendered for this visitor: not cached yet
        assert "Set-Cookie" not in response.headers, path


def test_a_cached_topic_page_costs_one_redis_read_a_second_and_nothing_else(client, db,
                                                                             monkeypatch):
    """Per process: the page is rendered once per content version; other requests make no
    round trip at all, except one GET of the version a second (freshness.CHECK_EVERY)."""
    from newsletter.site import freshness
    from tests.support.round_trips import counting

    now = [5000.0]
    monkeypatch.setattr(freshness.time, "monotonic", lambda: now[0])
    seed_topic(db)
    db.commit()
    first = client.get("/topics/ukraine")
    with counting() as trips:
        for _ in range(3):
            assert client.get("/topics/ukraine").get_data() == first.get_data()
    assert (trips.database, trips.redis) == (0, [])
    now[0] += freshness.CHECK_EVERY
    with counting() as trips:
        assert client.get("/topics/ukraine").get_data() == first.get_data()
    assert (trips.database, trips.redis) == (0, ["GET"])
