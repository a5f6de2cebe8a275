"""Every article link of an edition is tracked (each source of a block, the featured card's
included), stamped per copy from the one render; the redirect leads only to the URLs of
that edition, and the per-link figures list each."""

from __future__ import annotations

from datetime import timedelta

from newsletter.engagement.links import ClickSigner
from newsletter.engagement.recording import drain
from newsletter.models import Delivery, utcnow
from tests.factories import make_token
from tests.support.engagement import BROWSER, send_edition, tracked_links

ARTICLES = {"https://news.example/world/1", "https://news.example/world/2",
            "https://news.example/science/1", "https://news.example/science/2"}


def test_every_source_of_every_block_goes_through_the_redirect(runtime, db, work, smtp, client):
    edition_id = send_edition(runtime, db, work, slugs=("world", "science"))
    db.execute(Delivery.__table__.update().values(sent_at=utcnow() - timedelta(hours=1)))
    db.commit()
    html, text = tracked_links(smtp, "ana@example.com")
    ben, _ = tracked_links(smtp, "ben@example.com")
    assert len(set(html)) == 4 and set(text) == set(html)
    assert not set(html) & set(ben)  # each copy its own reader part
    raw = smtp.inbox("ana@example.com")[0].get_body(("html",)).get_content()
    assert not any(url in raw for url in ARTICLES)  # reached only through the redirect
    reached = set()
    # ana follows the first two, ben the other two (one reader opening three or more at once
    # would be a scanner)
    for path in [*html[:2], *ben[2:]]:
        response = client.get(path, headers={"User-Agent": BROWSER})
        assert response.status_code == 302
        reached.add(response.headers["Location"])
    assert reached == ARTICLES
    reader_part = "." + ".".join(html[0].split(".")[3:])
    beyond = ClickSigner(runtime.settings.secret_key).link_path(edition_id, 4) + reader_part
    assert client.get(beyond, headers={"User-Agent": BROWSER}).status_code == 400
    assert drain(db, runtime.redis) == 4
    token = make_token(db)
    db.commit()
    stats = client.get(f"/api/v1/editions/{edition_id}/stats",
                       headers={"Authorization": f"Bearer {token}"}).json
    assert {link["url"]: link["clicks"] for link in stats["links"]} == dict.fromkeys(ARTICLES, 1)
    assert {t["slug"]: t["clicks"] for t in stats["topics"]} == {"world": 2, "science": 2}
