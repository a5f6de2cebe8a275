"""Machine or human: security scanners, link prefetchers and mail proxies open every link of
a message, usually seconds after delivery and all at once. Their clicks are counted apart,
never mixed into the human figures. Only the class is stored: no IP, no user agent.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NamedTuple

from ..models import ClickKind

# user agents of link scanners, prefetchers, mail proxies and scripts
MACHINE_AGENTS = re.compile(
    r"bot\b|bot/|crawler|spider|preview|scanner|safelinks|safe links|proofpoint|"
    r"urldefense|mimecast|barracuda|forcepoint|trendmicro|symantec|sophos|fortinet|"
    r"ironport|zscaler|googleimageproxy|yahoomailproxy|"
    r"ms-office|microsoft office|skypeuripreview|"
    r"facebookexternalhit|whatsapp|headless|phantomjs|"
    r"python-requests|python-httpx|python-urllib|aiohttp|curl/|wget/|go-http-client|"
    r"java/|okhttp|libwww|httpclient",
    re.IGNORECASE,
)
# Apple Mail Privacy Protection fetches every image through its proxy with just this
APPLE_PRIVACY_PROXY = "Mozilla/5.0"
TOO_SOON = timedelta(seconds=10)  # no person opens an email and clicks within this
BURST_WINDOW = timedelta(seconds=2)  # this many distinct links this fast is a scanner
BURST_LINKS = 3


def agent_class(user_agent: str | None) -> str:
    """Decided at the redirect, so the user agent itself is never stored."""
    if not user_agent or not user_agent.strip() or MACHINE_AGENTS.search(user_agent) \
            or user_agent.strip() == APPLE_PRIVACY_PROXY:
        return ClickKind.MACHINE
    return ClickKind.HUMAN


class RawClick(NamedTuple):
    edition_id: int
    item: int
    subscriber_id: int
    at: datetime
    agent: str  # ClickKind from agent_class


def classify(clicks: list[RawClick], sent_at: dict[tuple[int, int], datetime]) -> list[str]:
    """The kind of each click: machine for a scanner's user agent, for a click within
    `TOO_SOON` of the copy's delivery, or for `BURST_LINKS` distinct links of one copy
    within `BURST_WINDOW`; human otherwise."""
    kinds = [c.agent for c in clicks]
    for n, c in enumerate(clicks):
        delivered = sent_at.get((c.edition_id, c.subscriber_id))
        if delivered is not None and c.at - delivered < TOO_SOON:
            kinds[n] = ClickKind.MACHINE
    by_copy: dict[tuple[int, int], list[int]] = defaultdict(list)
    for n, c in enumerate(clicks):
        by_copy[(c.edition_id, c.subscriber_id)].append(n)
    for indexes in by_copy.values():
        for n in _bursts(clicks, sorted(indexes, key=lambda i: clicks[i].at)):
            kinds[n] = ClickKind.MACHINE
    return kinds


def _bursts(clicks: list[RawClick], ordered: list[int]) -> Iterable[int]:
    start = 0
    for end in range(len(ordered)):
        while clicks[ordered[end]].at - clicks[ordered[start]].at > BURST_WINDOW:
            start += 1
        window = ordered[start:end + 1]
        if len({clicks[i].item for i in window}) >= BURST_LINKS:
            yield from window
