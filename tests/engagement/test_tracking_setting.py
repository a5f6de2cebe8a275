"""Click and open tracking are the list's choice, made by an admin on the settings page and
stored in the database over the environment's default; the sign-up page says what is
recorded, new editions carry links to match, and the redirect records only while on."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select

from newsletter import keys
from newsletter.delivery.jobs import start_edition_job
from newsletter.models import Topic
from tests.factories import make_editor
from tests.support.admin import csrf_token, log_in
from tests.support.delivery import scheduled_edition
from tests.support.engagement import BROWSER, send_edition, tracked_links


def _choose(client, **boxes: bool) -> None:
    data = {"csrf_token": csrf_token(client, "/admin/settings")}
    data.update({name: "on" for name, on in boxes.items() if on})
    response = client.post("/admin/settings/tracking", data=data)
    assert response.status_code == 302


def _next_edition(runtime, db, work) -> None:
    edition_id = scheduled_edition(db, list(db.scalars(select(Topic))), subject="Next")
    runtime.queue.enqueue(start_edition_job, edition_id)
    work()


def test_an_admin_turns_click_tracking_off_for_the_list(runtime, db, work, smtp, client):
    admin = make_editor(db, role="admin")
    db.commit()
    send_edition(runtime, db, work, readers=("ana@example.com",))
    sent_before = tracked_links(smtp, "ana@example.com")[0][0]
    log_in(client, admin.email)
    assert "default from <code>CLICK_TRACKING</code>" in client.get("/admin/settings").get_data(
        as_text=True)
    _choose(client, clicks=False, opens=False)
    assert "chosen here" in client.get("/admin/settings").get_data(as_text=True)
    assert "We do not record which links you open" in client.get("/subscribe").get_data(
        as_text=True)
    response = client.get(sent_before, headers={"User-Agent": BROWSER})
    assert response.status_code == 302  # a link already sent still leads to its article
    assert runtime.redis.exists(keys.CLICK_EVENTS) == 0 or \
        runtime.redis.xlen(keys.CLICK_EVENTS) == 0  # but nothing is recorded
    _next_edition(runtime, db, work)
    latest = smtp.inbox("ana@example.com")[-1].get_body(("html",)).get_content()
    assert "/r/" not in latest and "https://news.example/world/1" in latest


def test_an_admin_turns_tracking_on_over_an_environment_that_has_it_off(runtime, db, work, smtp,
                                                                       client):
    runtime.settings = dataclasses.replace(runtime.settings, click_tracking=False,
                                           open_tracking=False)
    admin = make_editor(db, role="admin")
    db.commit()
    send_edition(runtime, db, work, readers=("ana@example.com",))
    assert tracked_links(smtp, "ana@example.com") == ([], [])
    log_in(client, admin.email)
    _choose(client, clicks=True, opens=True)
    page = client.get("/subscribe").get_data(as_text=True)
    assert "we record which edition, topic and link" in page
    assert "tiny image that tells us when it is opened" in page
    _next_edition(runtime, db, work)
    latest = smtp.inbox("ana@example.com")[-1].get_body(("html",)).get_content()
    assert "/r/" in latest and "/o/" in latest


def test_a_plain_editor_cannot_change_tracking(client, db):
    editor = make_editor(db)
    db.commit()
    log_in(client, editor.email)
    response = client.post("/admin/settings/tracking",
                           data={"csrf_token": csrf_token(client, "/admin/tokens")})
    assert response.status_code == 403
