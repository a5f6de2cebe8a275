"""The composer preview writes nothing; a test send that the mail server refuses is a 502."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select

from newsletter.editorial.composer import preview_html
from newsletter.editorial.edition_preview import TrialSendFailed, send_test
from newsletter.editorial.updates import SourceInput, UpdateInput
from newsletter.mail.postman import Postman
from newsletter.models import TopicUpdate, UpdateSource
from tests.factories import make_editor, make_topic, make_update
from tests.support.smtp import free_port


def test_the_preview_is_rendered_and_nothing_is_saved(db):
    topic = make_topic(db, "world", name="World")
    editor = make_editor(db, name="Erin")
    db.commit()
    data = UpdateInput(headline="A headline", lede="What changed.", bullets=["One", "Two"],
                       background=["Before"], featured=0, sources=[
                           SourceInput("https://a.example/1", "Story", "Outlet A", None, 4)])
    html = preview_html(db, topic, data, editor, list_name="The Briefing",
                        base_url="https://x.example")
    db.rollback()
    assert "A headline" in html and "Curated by Erin" in html and "4 min read" in html
    assert db.scalar(select(func.count()).select_from(TopicUpdate)) == 0
    assert db.scalar(select(func.count()).select_from(UpdateSource)) == 0


def test_a_refused_test_send_is_reported_as_the_mail_servers_fault(db, settings):
    topic = make_topic(db, "world")
    update = make_update(db, topic)
    db.commit()
    nowhere = dataclasses.replace(settings, smtp_url=f"smtp://127.0.0.1:{free_port()}",
                                  smtp_timeout=2)
    with pytest.raises(TrialSendFailed) as caught:
        send_test(nowhere, Postman.from_settings(nowhere), "Subject", [update], "desk@example.org")
    assert caught.value.status_code == 502


def test_a_test_send_needs_at_least_one_update(settings):
    from newsletter.errors import ValidationError

    with pytest.raises(ValidationError):
        send_test(settings, Postman.from_settings(settings), "Subject", [], "desk@example.org")
