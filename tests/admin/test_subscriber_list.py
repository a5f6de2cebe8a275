"""The subscribers list: search, status filter, per-topic counts, pages, streamed CSV export."""

from __future__ import annotations

import csv
import io

from tests.factories import make_subscriber, make_topic


def crowd(db):
    world, climate = make_topic(db, "world", name="World"), make_topic(db, "climate", name="Climate")
    make_subscriber(db, "ann@example.com", [world, climate])
    make_subscriber(db, "bob@example.org", [climate])
    make_subscriber(db, "=cmd@example.com", [world], status="pending")
    make_subscriber(db, "dan@example.org", [world], status="unsubscribed")
    db.commit()
    return world, climate


def test_search_by_email_and_filter_by_status(as_editor, db):
    crowd(db)
    html = as_editor.get("/admin/subscribers?q=example.org").get_data(as_text=True)
    assert "bob@example.org" in html and "dan@example.org" in html and "ann@example.com" not in html
    html = as_editor.get("/admin/subscribers?q=example.org&status=active").get_data(as_text=True)
    assert "bob@example.org" in html and "dan@example.org" not in html


def test_search_text_is_not_a_pattern(as_editor, db):
    crowd(db)
    html = as_editor.get("/admin/subscribers?q=%25").get_data(as_text=True)
    assert "0 subscribers match" in html


def test_per_topic_counts_by_status(as_editor, db):
    crowd(db)
    html = as_editor.get("/admin/subscribers").get_data(as_text=True)
    assert '<tr><td>World</td><td class="num">1</td>' in html
    assert '<tr><td>Climate</td><td class="num">2</td>' in html


def test_pages_of_fifty(as_editor, db):
    world = make_topic(db, "world")
    for i in range(55):
        make_subscriber(db, f"r{i:02d}@example.com", [world])
    db.commit()
    first = as_editor.get("/admin/subscribers").get_data(as_text=True)
    second = as_editor.get("/admin/subscribers?page=2").get_data(as_text=True)
    assert "Page 1 of 2" in first and first.count("@example.com</a></td>") == 50
    assert second.count("@example.com</a></td>") == 5
    assert as_editor.get("/admin/subscribers?page=abc").status_code == 200


def test_an_unknown_status_filter_is_a_clear_error(as_editor):
    response = as_editor.get("/admin/subscribers?status=vip")
    assert response.status_code == 422 and "Unknown status" in response.get_data(as_text=True)


def test_the_export_streams_an_importable_csv(as_editor, db):
    crowd(db)
    response = as_editor.get("/admin/subscribers/export.csv")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    by_email = {r["email"]: r for r in rows}
    assert set(by_email) == {"ann@example.com", "bob@example.org", "'=cmd@example.com",
                             "dan@example.org"}  # a formula-looking cell is defused
    assert sorted(by_email["ann@example.com"]["topics"].split(";")) == ["climate", "world"]
    assert by_email["dan@example.org"]["status"] == "unsubscribed"


def test_the_export_follows_the_filters(as_editor, db):
    crowd(db)
    text = as_editor.get("/admin/subscribers/export.csv?status=active").get_data(as_text=True)
    assert "ann@example.com" in text and "dan@example.org" not in text
