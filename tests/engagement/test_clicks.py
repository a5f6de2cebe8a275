"""Tracked links: one signed redirect per link and copy, stamped per copy from the one
render; forged or altered tokens refused; clicks recorded in batches and classified."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pytest
from sqlalchemy import inspect, select

from newsletter.engagement.classify import RawClick, agent_class, classify
from newsletter.engagement.links import ClickSigner
from newsletter.engagement.recording import drain
from newsletter.models import Click, Delivery, Subscriber, utcnow
from newsletter.subscribers import service
from tests.factories import make_token
from tests.support.engagement import BROWSER, send_edition, tracked_links


def _send(runtime, db, work, readers=("ana@example.com", "ben@example.com")):
    return send_edition(runtime, db, work, readers)


def _links(smtp, address):
    return tracked_links(smtp, address)


def test_each_copy_links_through_the_redirect_with_its_own_reader(runtime, db, work, smtp,
                                                                  client):
    _send(runtime, db, work)
    (ana_html, ana_text), (ben_html, _) = _links(smtp, "ana@example.com"), \
        _links(smtp, "ben@example.com")
    assert ana_html and ana_html == ana_text and ben_html and ana_html != ben_html
    for path in (ana_html[0], ben_html[0]):
        response = client.get(path, headers={"User-Agent": BROWSER})
        assert response.status_code == 302
        assert response.headers["Location"] == "https://news.example/world/1"
        assert "no-store" in response.headers["Cache-Control"]
    assert "news.example/world/1" not in smtp.inbox("ana@example.com")[0].get_body(
        ("html",)).get_content()  # the article is reached only through the redirect


def _mutations(path: str) -> list[str]:
    edition, item, link_sig, reader, reader_sig = path.removeprefix("/r/").split(".")
    flip = {"A": "B"}.get(reader_sig[0], "A")
    return [
        f"/r/{edition}.{int(item) + 1}.{link_sig}.{reader}.{reader_sig}",  # another link
        f"/r/{edition}.{item}.{link_sig}.{int(reader) + 1}.{reader_sig}",  # another reader
        f"/r/{int(edition) + 1}.{item}.{link_sig}.{reader}.{reader_sig}",  # another edition
        f"/r/{edition}.{item}.{link_sig}.{reader}.{flip}{reader_sig[1:]}",  # forged signature
        f"/r/{edition}.{item}.{reader_sig}.{reader}.{link_sig}",
        "/r/" + ClickSigner("someone-else's-secret").link_path(int(edition), int(item))[3:],
        f"/r/{edition}.{item}.https%3A%2F%2Fevil.example",
        "/r/not-a-token",
        "/r/" + "1." * 80,
    ]


def test_forged_altered_and_foreign_tokens_are_refused_with_400(runtime, db, work, smtp,
                                                                  client):
    _send(runtime, db, work, readers=("ana@example.com",))
    path = _links(smtp, "ana@example.com")[0][0]
    for bad in _mutations(path):
        response = client.get(bad, headers={"User-Agent": BROWSER})
        assert response.status_code == 400, bad
        assert "Location" not in response.headers
    assert runtime.redis.exists("nl:click-events", "nl:clicks") == 0


def test_a_click_is_stored_by_the_tick_with_its_class_and_nothing_about_the_browser(
        runtime, db, work, smtp, client):
    edition_id = _send(runtime, db, work, readers=("ana@example.com",))
    path = _links(smtp, "ana@example.com")[0][0]
    db.execute(Delivery.__table__.update().values(sent_at=utcnow() - timedelta(hours=1)))
    db.commit()
    client.get(path, headers={"User-Agent": BROWSER},
               environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert db.scalar(select(Click.id)) is None  # recorded later, in a batch
    assert drain(db, runtime.redis) == 1
    db.commit()
    click = db.scalars(select(Click)).one()
    reader = db.scalars(select(Subscriber)).one()
    assert (click.edition_id, click.subscriber_id, click.topic_slug, click.url, click.kind) == \
        (edition_id, reader.id, "world", "https://news.example/world/1", "human")
    columns = {c.name for c in inspect(Click).columns}
    assert not columns & {"ip", "ip_address", "user_agent", "remote_addr"}
    stored = " ".join(str(getattr(click, c)) for c in columns)
    assert "203.0.113.9" not in stored and "Safari" not in stored


def test_machine_and_human_clicks_are_told_apart_on_synthetic_traffic():
    sent = utcnow() - timedelta(hours=2)
    at = sent + timedelta(hours=1)
    clicks = [
        RawClick(1, 0, 10, at, agent_class(BROWSER)),  # a person, an hour later
        RawClick(1, 0, 11, at, agent_class("Mozilla/5.0 (compatible; Barracuda Sentinel)")),
        RawClick(1, 0, 12, sent + timedelta(seconds=3), agent_class(BROWSER)),  # too soon
        *(RawClick(1, item, 13, at + timedelta(milliseconds=200 * item), agent_class(BROWSER))
          for item in range(4)),  # every link at once
        RawClick(1, 0, 14, at, agent_class("")),  # no user agent at all
        RawClick(1, 0, 15, at, agent_class(BROWSER)),
        RawClick(1, 1, 15, at + timedelta(minutes=3), agent_class(BROWSER)),  # reads on
    ]
    delivered = {(1, reader): sent for reader in range(10, 16)}
    assert classify(clicks, delivered) == [
        "human", "machine", "machine", "machine", "machine", "machine", "machine", "machine",
        "human", "human"]


def test_stats_count_people_and_machines_apart(runtime, db, work, smtp, client):
    edition_id = _send(runtime, db, work)
    db.execute(Delivery.__table__.update().values(sent_at=utcnow() - timedelta(hours=1)))
    db.commit()
    ana = _links(smtp, "ana@example.com")[0][0]
    ben = _links(smtp, "ben@example.com")[0][0]
    client.get(ana, headers={"User-Agent": BROWSER})
    client.get(ana, headers={"User-Agent": BROWSER})
    client.get(ben, headers={"User-Agent": "Mimecast URL scanner"})
    drain(db, runtime.redis)
    ben_id = db.scalar(select(Subscriber.id).where(Subscriber.email == "ben@example.com"))
    service.unsubscribe(db, ben_id)
    token = make_token(db)
    db.commit()
    stats = client.get(f"/api/v1/editions/{edition_id}/stats",
                       headers={"Authorization": f"Bearer {token}"}).json
    assert {k: stats[k] for k in ("delivered", "clicks_human", "clicks_machine", "unsubscribes",
                                  "complaints", "opens_human", "opens_machine")} == {
        "delivered": 2, "clicks_human": 2, "clicks_machine": 1, "unsubscribes": 1,
        "complaints": 0, "opens_human": 0, "opens_machine": 0}
    assert stats["topics"] == [{"slug": "world", "clicks": 2, "readers": 1, "click_rate": 0.5}]
    assert stats["links"] == [{"url": "https://news.example/world/1", "clicks": 2,
                               "readers": 1, "click_rate": 0.5}]


def test_stats_of_an_unknown_edition_is_a_json_404(client, db):
    token = make_token(db)
    db.commit()
    response = client.get("/api/v1/editions/999/stats",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404 and "error" in response.json


def test_the_data_export_lists_clicks_and_erase_removes_them(runtime, db, work, smtp, client):
    _send(runtime, db, work, readers=("ana@example.com",))
    db.execute(Delivery.__table__.update().values(sent_at=utcnow() - timedelta(hours=1)))
    db.commit()
    client.get(_links(smtp, "ana@example.com")[0][0], headers={"User-Agent": BROWSER})
    drain(db, runtime.redis)
    db.commit()
    reader_id = db.scalar(select(Subscriber.id))
    exported = service.export_data(db, reader_id)["clicks"]
    assert [(c["topic"], c["url"], c["kind"]) for c in exported] == [
        ("world", "https://news.example/world/1", "human")]
    service.erase(db, reader_id)
    db.commit()
    assert db.scalar(select(Click.id)) is None


def test_with_tracking_off_links_go_straight_to_the_article(runtime, db, work, smtp, client):
    runtime.settings = dataclasses.replace(runtime.settings, click_tracking=False)
    _send(runtime, db, work, readers=("ana@example.com",))
    html = smtp.inbox("ana@example.com")[0].get_body(("html",)).get_content()
    assert "/r/" not in html and "https://news.example/world/1" in html
    page = client.get("/subscribe").get_data(as_text=True)
    assert "We do not record which links you open" in page


def test_the_signup_page_says_what_clicks_record(client):
    page = client.get("/subscribe").get_data(as_text=True)
    assert "we record which edition, topic and link" in page
    assert "no IP address" in page


@pytest.mark.parametrize("agent", ["", "curl/8.5.0", "Mozilla/5.0 (compatible; bingbot/2.0)",
                                   "Mozilla/5.0 (Windows NT 10.0) Microsoft Office/16.0",
                                   "Mozilla/5.0 via ggpht.com GoogleImageProxy"])
def test_scanner_and_proxy_agents_are_machines(agent):
    assert agent_class(agent) == "machine"


def test_editors_see_figures_as_svg_bars_and_can_download_them_as_csv(runtime, db, work, smtp,
                                                                      client):
    from tests.factories import make_editor
    from tests.support.admin import log_in

    edition_id = _send(runtime, db, work)
    db.execute(Delivery.__table__.update().values(sent_at=utcnow() - timedelta(hours=1)))
    editor = make_editor(db)
    db.commit()
    client.get(_links(smtp, "ana@example.com")[0][0], headers={"User-Agent": BROWSER})
    client.get(_links(smtp, "ben@example.com")[0][0], headers={"User-Agent": "curl/8.5.0"})
    drain(db, runtime.redis)
    db.commit()
    log_in(client, editor.email)
    page = client.get(f"/admin/editions/{edition_id}/figures").get_data(as_text=True)
    assert '<svg class="chart"' in page and "<title>world: 1</title>" in page
    assert 'data-stat="clicks_machine">1<' in page
    csv_text = client.get(f"/admin/editions/{edition_id}/figures.csv").get_data(as_text=True)
    rows = [line.split(",") for line in csv_text.strip().splitlines()]
    assert ["edition", "clicks_human", "1", "", ""] in rows
    assert ["edition", "clicks_machine", "1", "", ""] in rows
    assert ["topic", "world", "1", "1", "0.5"] in rows
    assert ["link", "https://news.example/world/1", "1", "1", "0.5"] in rows


def test_opens_are_not_tracked_by_default(runtime, db, work, smtp, client):
    _send(runtime, db, work, readers=("ana@example.com",))
    html = smtp.inbox("ana@example.com")[0].get_body(("html",)).get_content()
    assert "/o/" not in html
    assert "We do not track whether you open an email" in client.get("/subscribe").get_data(
        as_text=True)


def test_with_opens_on_each_copy_has_its_pixel_and_proxies_count_as_machines(
        runtime, db, work, smtp, client):
    runtime.settings = dataclasses.replace(runtime.settings, open_tracking=True)
    edition_id = _send(runtime, db, work)
    db.execute(Delivery.__table__.update().values(sent_at=utcnow() - timedelta(hours=1)))
    db.commit()
    pixel = re.compile(r'src="https://news\.example\.test(/o/[A-Za-z0-9._\-]+)"')
    ana = pixel.findall(smtp.inbox("ana@example.com")[0].get_body(("html",)).get_content())
    ben = pixel.findall(smtp.inbox("ben@example.com")[0].get_body(("html",)).get_content())
    assert len(ana) == len(ben) == 1 and ana != ben
    response = client.get(ana[0], headers={"User-Agent": BROWSER})
    assert response.status_code == 200 and response.mimetype == "image/gif"
    client.get(ben[0], headers={"User-Agent": "Mozilla/5.0"})  # Apple's privacy proxy
    forged = ana[0][:-2] + ("AA" if not ana[0].endswith("AA") else "BB")
    assert client.get(forged).mimetype == "image/gif"  # shown, not counted
    from newsletter.engagement.recording import drain_opens

    assert drain_opens(db, runtime.redis) == 2
    token = make_token(db)
    db.commit()
    stats = client.get(f"/api/v1/editions/{edition_id}/stats",
                       headers={"Authorization": f"Bearer {token}"}).json
    assert (stats["opens_human"], stats["opens_machine"]) == (1, 1)
    reader_id = db.scalar(select(Subscriber.id).where(Subscriber.email == "ana@example.com"))
    assert [o["kind"] for o in service.export_data(db, reader_id)["opens"]] == ["human"]
    assert "tiny image that tells us when it is opened" in client.get("/subscribe").get_data(
        as_text=True)


def test_a_topic_shows_its_click_rate_per_edition_and_its_readers_over_time(
        runtime, db, work, smtp, client):
    from newsletter.engagement.topic_stats import topic_figures
    from tests.factories import make_editor
    from tests.support.admin import log_in

    edition_id = _send(runtime, db, work)
    db.execute(Delivery.__table__.update().values(sent_at=utcnow() - timedelta(hours=1)))
    editor = make_editor(db)
    db.commit()
    client.get(_links(smtp, "ana@example.com")[0][0], headers={"User-Agent": BROWSER})
    drain(db, runtime.redis)
    db.commit()
    figures = topic_figures(db, "world")
    assert [(e["id"], e["delivered"], e["readers_clicked"], e["click_rate"])
            for e in figures["editions"]] == [(edition_id, 2, 1, 0.5)]
    assert [r["readers"] for r in figures["readers"]] == [2]
    log_in(client, editor.email)
    page = client.get("/admin/topics/world/figures").get_data(as_text=True)
    assert page.count('<svg class="chart"') == 2 and "50.0%" in page
    assert client.get("/admin/topics/nope/figures").status_code == 404
