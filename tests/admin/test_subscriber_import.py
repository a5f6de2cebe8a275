"""CSV import: every row checked, bad rows by line number, suppression honoured, bulk writes."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from newsletter.errors import ValidationError
from newsletter.models import Subscriber, Subscription
from newsletter.subscribers.addresses import normalize_email
from newsletter.subscribers.importer import fast_normalize
from newsletter.subscribers.service import suppress
from tests.factories import make_subscriber, make_topic


def upload(browser, text: str, status: str = "active", consent: bool = True):  # type: ignore[no-untyped-def]
    data = {"status": status, "file": (io.BytesIO(text.encode()), "people.csv")}
    if consent:
        data["consent"] = "1"
    return browser.post("/admin/subscribers/import", data, content_type="multipart/form-data")


def people(db) -> dict[str, tuple[str, list[str]]]:
    db.expire_all()
    out = {}
    for s in db.scalars(select(Subscriber)):
        out[s.email] = (s.status, sorted(sub.topic_id for sub in s.subscriptions))
    return out


def topics(db):
    world, climate = make_topic(db, "world"), make_topic(db, "climate")
    db.commit()
    return world, climate


def test_a_clean_file_imports_everyone_with_their_topics(as_editor, db):
    world, climate = topics(db)
    response = upload(as_editor, "email,topics\nann@example.com,world;climate\n"
                                 "Bob@Example.com,climate|world\ncat@example.com,world\n")
    assert response.status_code == 200
    assert "3</strong> new subscribers" in response.get_data(as_text=True)
    assert people(db) == {
        "ann@example.com": ("active", sorted([world.id, climate.id])),
        "Bob@example.com": ("active", sorted([world.id, climate.id])),
        "cat@example.com": ("active", [world.id]),
    }
    assert all(s.confirmed_at for s in db.scalars(select(Subscriber)))


def test_a_file_without_a_header_row_is_read_as_email_then_topics(as_editor, db):
    topics(db)
    assert upload(as_editor, "ann@example.com,world\n").status_code == 200
    assert set(people(db)) == {"ann@example.com"}


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(as_editor, db):
    topics(db)
    response = upload(as_editor, "email,topics\nann@example.com,world\nnot-an-email,world\n"
                                 "bob@example.com,sports\ncat@example.com,\n\"dan@example.com\",climate\n")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "3 row(s) need fixing; nothing was imported." in html
    assert '<td class="num">3</td><td>That email address is not valid' in html
    assert '<td class="num">4</td><td>bob@example.com: unknown topic sports' in html
    assert '<td class="num">5</td><td>cat@example.com: no topics' in html
    assert people(db) == {}


def test_suppressed_addresses_are_never_added_back(as_editor, db):
    topics(db)
    suppress(db, "gone@example.com", reason="erased")
    db.commit()
    response = upload(as_editor, "email,topics\nGONE@example.com,world\nann@example.com,world\n")
    assert response.status_code == 200
    assert "1 skipped because they asked never to be mailed again" in response.get_data(as_text=True)
    assert set(people(db)) == {"ann@example.com"}


def test_existing_subscribers_are_left_as_they_are(as_editor, db):
    world, climate = topics(db)
    make_subscriber(db, "ann@example.com", [climate], status="unsubscribed")
    db.commit()
    response = upload(as_editor, "email,topics\nann@example.com,world\nbob@example.com,world\n")
    assert "1 already on the list" in response.get_data(as_text=True)
    assert people(db)["ann@example.com"] == ("unsubscribed", [climate.id])


def test_repeated_rows_are_merged(as_editor, db):
    world, climate = topics(db)
    upload(as_editor, "email,topics\nann@example.com,world\nANN@example.com,climate\n")
    assert people(db) == {"ann@example.com": ("active", sorted([world.id, climate.id]))}


def test_pending_imports_stay_unconfirmed(as_editor, db):
    topics(db)
    assert upload(as_editor, "ann@example.com,world\n", status="pending",
                  consent=False).status_code == 200
    [person] = db.scalars(select(Subscriber)).all()
    assert person.status == "pending" and person.confirmed_at is None


def test_an_active_import_needs_the_consent_box(as_editor, db):
    topics(db)
    response = upload(as_editor, "ann@example.com,world\n", consent=False)
    assert response.status_code == 422
    assert "agreed" in response.get_data(as_text=True)
    assert people(db) == {}


def test_unreadable_or_empty_files_are_refused(as_editor, db):
    topics(db)
    data = {"status": "pending", "file": (io.BytesIO(b"\xff\xfe\x00bad"), "x.csv")}
    response = as_editor.post("/admin/subscribers/import", data, content_type="multipart/form-data")
    assert response.status_code == 422 and "UTF-8" in response.get_data(as_text=True)
    assert upload(as_editor, "email,topics\n", status="pending").status_code == 422
    assert upload(as_editor, "ann@example.com,world\n", status="bounced").status_code == 422
    no_file = as_editor.post("/admin/subscribers/import", {"status": "pending"},
                             content_type="multipart/form-data")
    assert no_file.status_code == 422
    assert people(db) == {}


def test_the_import_form_needs_its_csrf_token(as_editor, db):
    topics(db)
    data = {"status": "pending", "csrf_token": "forged",
            "file": (io.BytesIO(b"ann@example.com,world\n"), "x.csv")}
    response = as_editor.client.post("/admin/subscribers/import", data=data,
                                     content_type="multipart/form-data")
    assert response.status_code == 400
    assert people(db) == {}


def test_a_large_file_is_written_in_bulk(as_editor, db):
    world, _ = topics(db)
    rows = "".join(f"reader{i}@example.com,world\n" for i in range(12000))
    response = upload(as_editor, "email,topics\n" + rows)
    assert response.status_code == 200
    assert db.scalar(select(func.count()).select_from(Subscriber)) == 12000
    assert db.scalar(select(func.count()).select_from(Subscription)
                     .where(Subscription.topic_id == world.id)) == 12000


@pytest.mark.parametrize("raw", [
    "Bob@Example.COM", "a.b+c@sub.example.org", "  a@example.com ", "a@bücher.de",
    "x@localhost", "a..b@example.com", '"q"@example.com', "ü@example.com", "a@example",
    "a@-bad-.com", "no-at-sign", "a@b@example.com", "x" * 65 + "@example.com",
])
def test_the_importers_fast_address_check_agrees_with_the_sign_up_form(raw):
    def outcome(check):  # type: ignore[no-untyped-def]
        try:
            return check(raw)
        except ValidationError as exc:
            return ("error", exc.message)

    assert outcome(fast_normalize) == outcome(normalize_email)


@pytest.mark.embedded
def test_the_import_works_on_the_embedded_sqlite_too(embedded_app):
    from newsletter.subscribers.importer import import_subscribers

    runtime = embedded_app.extensions["newsletter"]
    with runtime.Session() as session:
        world = make_topic(session, "world")
        make_subscriber(session, "old@example.com", [world])
        suppress(session, "gone@example.com", reason="erased")
        session.commit()
        rows = io.StringIO("email,topics\nann@example.com,world\nold@example.com,world\n"
                           "gone@example.com,world\nbob@example.com,world\n")
        report = import_subscribers(session, rows, "pending")
        session.commit()
        assert (report.created, report.existing, report.suppressed) == (2, 1, 1)
        emails = set(session.scalars(select(Subscriber.email)))
        assert emails == {"old@example.com", "ann@example.com", "bob@example.com"}
        assert session.scalar(select(func.count()).select_from(Subscription)) == 3


def test_a_file_with_nul_bytes_is_refused_with_its_line(as_editor, db):
    topics(db)
    response = upload(as_editor, "email,topics\nann@example.com,world\nb\x00b@example.com,world\n")
    assert response.status_code == 422
    assert '<td class="num">3</td>' in response.get_data(as_text=True)
    assert people(db) == {}


def test_a_pending_import_can_send_each_new_address_a_confirmation(as_editor, db, smtp, work):
    topics(db)
    make_subscriber(db, "already@example.com", [], status="pending")
    db.commit()
    csv_text = "email,topics\nnew1@example.com,world\nnew2@example.com,climate\nalready@example.com,world\n"
    data = {"status": "pending", "send_confirmations": "1",
            "file": (io.BytesIO(csv_text.encode()), "people.csv")}
    response = as_editor.post("/admin/subscribers/import", data, content_type="multipart/form-data")
    assert "2 confirmation emails on their way" in response.get_data(as_text=True)
    work()

    assert sorted(r for m in smtp.messages for r in m.rcpt_tos) == ["new1@example.com",
                                                                     "new2@example.com"]
    assert "/confirm/" in smtp.inbox("new1@example.com")[0].get_body(("plain",)).get_content()


def test_a_pending_import_sends_nothing_unless_asked(as_editor, db, smtp, work):
    topics(db)
    upload(as_editor, "email,topics\nnew1@example.com,world\n", status="pending", consent=False)
    work()
    assert smtp.messages == []


def zones(db) -> dict[str, str | None]:
    db.expire_all()
    return {s.email: s.timezone for s in db.scalars(select(Subscriber))}


def test_an_optional_timezone_column_sets_each_readers_zone(as_editor, db):
    topics(db)
    response = upload(as_editor, "email,timezone,topics\nann@example.com,Asia/Kathmandu,world\n"
                                 "bob@example.com,,world\ncat@example.com,Asia/Calcutta,world\n")
    assert response.status_code == 200
    assert zones(db) == {"ann@example.com": "Asia/Kathmandu", "bob@example.com": None,
                         "cat@example.com": "Asia/Kolkata"}


def test_an_unknown_timezone_is_a_bad_row(as_editor, db):
    topics(db)
    response = upload(as_editor, "email,topics,timezone\nann@example.com,world,Europe/Berlin\n"
                                 "bob@example.com,world,Mars/Base\n")
    assert response.status_code == 422
    assert "unknown time zone" in response.get_data(as_text=True)
    assert people(db) == {}


def test_an_import_leaves_an_existing_readers_zone_alone(as_editor, db):
    world, _ = topics(db)
    make_subscriber(db, "old@example.com", [world], timezone="Europe/Paris")
    db.commit()
    upload(as_editor, "email,topics,timezone\nold@example.com,world,Asia/Tokyo\n")
    assert zones(db) == {"old@example.com": "Europe/Paris"}


@pytest.mark.embedded
def test_the_timezone_column_works_on_the_embedded_sqlite_too(embedded_app):
    from newsletter.subscribers.importer import import_subscribers

    runtime = embedded_app.extensions["newsletter"]
    with runtime.Session() as session:
        make_topic(session, "world")
        session.commit()
        rows = io.StringIO("email,topics,timezone\nann@example.com,world,Asia/Kathmandu\n"
                           "bob@example.com,world,\n")
        assert import_subscribers(session, rows, "pending").created == 2
        session.commit()
        assert dict(session.execute(select(Subscriber.email, Subscriber.timezone)).all()) == {
            "ann@example.com": "Asia/Kathmandu", "bob@example.com": None}
