""""View in browser" links are stamped like the other links: signed once per edition and topic
mask (readers with the same topics share one), never a render or a signature per reader."""

from __future__ import annotations

import re

from newsletter.subscribers.tokens import Tokens


def test_web_copy_link_is_signed_once_per_topic_mask_not_per_reader(edition_factory, sender, smtp,
                                                                    monkeypatch):
    calls: list[tuple[int, int]] = []
    original = Tokens.make_web_copy

    def counting(self, edition_id: int, mask: int) -> str:  # type: ignore[no-untyped-def]
        calls.append((edition_id, mask))
        return original(self, edition_id, mask)

    monkeypatch.setattr(Tokens, "make_web_copy", counting)
    edition_id, emails = edition_factory(12)  # reader i follows topic i % 3: three masks
    sender.drain(edition_id)
    assert len(smtp.messages) == 12
    assert sorted(calls) == [(edition_id, 1), (edition_id, 2), (edition_id, 4)]
    links = {re.search(r"View in browser: (\S+)", m.message.get_body(("plain",)).get_content())
             .group(1) for m in smtp.messages}
    assert len(links) == 3
