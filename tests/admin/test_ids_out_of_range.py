"""Ids beyond the database's integer range are a 404, not a database error."""

from __future__ import annotations

import pytest

HUGE = "99999999999999999999"


@pytest.mark.parametrize("method, path", [
    ("GET", f"/admin/editions/{HUGE}"),
    ("GET", f"/admin/editions/{HUGE}/status.json"),
    ("GET", f"/admin/editions/{HUGE}/preview"),
    ("POST", f"/admin/editions/{HUGE}/pause"),
    ("GET", f"/admin/updates/{HUGE}/edit"),
    ("POST", f"/admin/editors/{HUGE}/active"),
    ("POST", f"/admin/tokens/{HUGE}/revoke"),
])
def test_a_huge_id_is_not_found(as_admin, method, path):
    response = as_admin.get(path) if method == "GET" else as_admin.post(path)
    assert response.status_code == 404


def test_huge_ids_in_forms_are_bad_input(as_admin, db):
    from tests.factories import make_topic

    make_topic(db, "world")
    db.commit()
    assert as_admin.post("/admin/editions/new", {"updates": [HUGE], "send_now": "1",
                                                 "timezone": "UTC"}).status_code == 422
    assert as_admin.post("/admin/topics/world/updates/new", {
        "headline": "x", "status": "draft", "articles": [HUGE]}).status_code == 422
    assert as_admin.get(f"/admin/editions/estimate.json?updates={HUGE}").json == {"recipients": 0}
    assert as_admin.get(f"/admin/topics/world/updates/new?story={HUGE}&articles={HUGE}") \
        .status_code == 200
    assert as_admin.post("/admin/topics/world/updates/new", {
        "headline": "x", "status": "draft", "source_url": ["https://a.example"],
        "source_title": ["t"], "source_article_id": [HUGE]}).status_code == 302


@pytest.mark.parametrize("target, source", [(HUGE, "1"), ("2147483648", "1"), ("1", HUGE)])
def test_a_merge_with_a_story_beyond_the_id_range_is_bad_input(as_admin, db, target, source):
    from tests.factories import make_topic

    make_topic(db, "world")
    db.commit()
    response = as_admin.post("/admin/topics/world/stories/merge",
                             {"target": target, "source": source})
    assert response.status_code == 422
