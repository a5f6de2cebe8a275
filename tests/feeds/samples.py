"""Fixture feeds in the formats publishers really send, built from small item tuples."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape


@dataclass
class Item:
    title: str
    link: str
    guid: str | None = None
    summary: str = ""
    published: datetime | None = None
    image: str | None = None


def _date(item: Item) -> str:
    return f"<pubDate>{format_datetime(item.published)}</pubDate>" if item.published else ""


def rss2(items: list[Item], title: str = "Example Times", link: str = "https://example.com/",
         encoding: str = "utf-8", declared: str | None = None) -> bytes:
    parts = []
    for i in items:
        guid = f"<guid isPermaLink=\"false\">{escape(i.guid)}</guid>" if i.guid else ""
        media = f'<media:content url="{escape(i.image)}" medium="image"/>' if i.image else ""
        parts.append(f"<item><title>{escape(i.title)}</title><link>{escape(i.link)}</link>{guid}"
                     f"<description>{escape(i.summary)}</description>{_date(i)}{media}</item>")
    xml = (f'<?xml version="1.0" encoding="{declared or encoding}"?>\n'
           '<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>'
           f"<title>{escape(title)}</title><link>{escape(link)}</link>"
           f"<description>Fixture</description>{''.join(parts)}</channel></rss>")
    return xml.encode(encoding)


def rss091(items: list[Item], title: str = "Old School Gazette") -> bytes:
    parts = "".join(f"<item><title>{escape(i.title)}</title><link>{escape(i.link)}</link>"
                    f"<description>{escape(i.summary)}</description></item>" for i in items)
    return ('<?xml version="1.0" encoding="ISO-8859-1"?>\n<rss version="0.91"><channel>'
            f"<title>{escape(title)}</title><link>https://gazette.example/</link>"
            f"<description>Fixture</description><language>en</language>{parts}"
            "</channel></rss>").encode("iso-8859-1")


def rss1(items: list[Item], title: str = "RDF Weekly") -> bytes:
    seq = "".join(f'<rdf:li rdf:resource="{escape(i.link)}"/>' for i in items)
    parts = "".join(
        f'<item rdf:about="{escape(i.link)}"><title>{escape(i.title)}</title>'
        f"<link>{escape(i.link)}</link><description>{escape(i.summary)}</description>"
        + (f"<dc:date>{i.published.isoformat()}</dc:date>" if i.published else "") + "</item>"
        for i in items)
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f'<channel rdf:about="https://rdf.example/"><title>{escape(title)}</title>'
            "<link>https://rdf.example/</link><description>Fixture</description>"
            f"<items><rdf:Seq>{seq}</rdf:Seq></items></channel>{parts}</rdf:RDF>").encode()


def atom(items: list[Item], title: str = "Atom Daily") -> bytes:
    parts = []
    for i in items:
        when = (i.published or datetime(2026, 1, 1, tzinfo=UTC)).isoformat()
        parts.append(
            f"<entry><title type=\"text\">{escape(i.title)}</title>"
            f'<link rel="alternate" href="{escape(i.link)}"/><id>{escape(i.guid or i.link)}</id>'
            f"<updated>{when}</updated>"
            f'<summary type="html">{escape(i.summary)}</summary></entry>')
    return ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            f'<title>{escape(title)}</title><link href="https://atom.example/"/>'
            f"<id>urn:atom-daily</id><updated>2026-01-01T00:00:00Z</updated>{''.join(parts)}"
            "</feed>").encode()


def items(n: int, prefix: str = "https://example.com/news/", published: bool = True) -> list[Item]:
    return [Item(title=f"Fixture headline number {k}", link=f"{prefix}{k}", guid=f"id-{k}",
                 summary=f"<p>Body of story {k} with <b>bold</b> text.</p>",
                 published=datetime(2026, 3, 1, 12, k % 60, tzinfo=UTC) if published else None)
            for k in range(n)]
