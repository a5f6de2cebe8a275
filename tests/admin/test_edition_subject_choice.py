"""The edition form offers an automatic subject (each reader's own, the default) or one
fixed subject for everyone; the choice survives the review page into the edition."""

from __future__ import annotations

import re

from tests.admin.test_edition_form import editions, form, newsroom, nonce_of


def create(as_editor, data):  # type: ignore[no-untyped-def]
    review = as_editor.post("/admin/editions/new", data)
    assert review.status_code == 200, review.get_data(as_text=True)[:2000]
    html = review.get_data(as_text=True)
    return html, as_editor.post("/admin/editions", {**data, "nonce": nonce_of(html)})


def test_the_form_offers_both_with_automatic_chosen(as_editor, db):
    newsroom(db)
    html = as_editor.get("/admin/editions/new").get_data(as_text=True)
    assert 'name="subject_mode" value="auto" checked' in html
    assert re.search(r'name="subject_mode" value="fixed"\s*>', html)  # offered, not chosen
    assert "World headline + 1 more" in html  # what a reader of every topic would get


def test_automatic_subject_creates_an_edition_with_a_subject_per_copy(as_editor, db):
    updates = newsroom(db)
    html, response = create(as_editor, form(updates, subject="", subject_mode="auto"))
    assert "Automatic" in html and "World headline + 1 more" in html
    assert response.status_code == 302
    [edition] = editions(db)
    assert edition.auto_subject is True
    assert edition.subject == "World headline + 1 more"


def test_a_typed_subject_with_automatic_chosen_is_ignored(as_editor, db):
    updates = newsroom(db)
    create(as_editor, form(updates, subject="Left over", subject_mode="auto"))
    [edition] = editions(db)
    assert edition.auto_subject is True and edition.subject == "World headline + 1 more"


def test_a_fixed_subject_is_kept_for_everyone(as_editor, db):
    updates = newsroom(db)
    html, response = create(as_editor, form(updates, subject="Morning briefing",
                                            subject_mode="fixed"))
    assert "the same for everyone" in html
    [edition] = editions(db)
    assert edition.auto_subject is False and edition.subject == "Morning briefing"


def test_fixed_without_a_subject_is_a_clear_error(as_editor, db):
    updates = newsroom(db)
    response = as_editor.post("/admin/editions/new", form(updates, subject=" ",
                                                          subject_mode="fixed"))
    assert response.status_code == 422
    assert "Add a subject." in response.get_data(as_text=True)
    assert editions(db) == []
