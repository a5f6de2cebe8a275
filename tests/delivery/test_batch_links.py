"""The batch's fast link signing gives exactly the links `Links` gives, and the links in a
sent message open the right subscriber's pages."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter.delivery.batch_links import BatchLinks
from newsletter.models import Subscriber
from newsletter.subscribers.links import Links
from newsletter.subscribers.tokens import Purpose, Tokens

SECRET = "batch-links-test-secret"


def test_fast_links_equal_the_reference_links():
    links = Links(Tokens(SECRET), "https://news.example.test")
    fast = BatchLinks(links, SECRET)

    assert fast.fast
    for subscriber_id in (1, 2, 99, 12_345, 2**31 - 1, 2**40):
        assert fast.preferences(subscriber_id) == links.preferences(subscriber_id)
        assert fast.unsubscribe(subscriber_id) == links.unsubscribe(subscriber_id)


@settings(max_examples=300, deadline=None)
@given(subscriber_id=st.one_of(st.integers(1, 2**53),
                               st.sampled_from([1_111_111_111, 2**53 - 1, 10**15])),
       version=st.integers(0, 10_000))
def test_fast_links_equal_the_reference_links_for_any_id_and_link_generation(subscriber_id,
                                                                            version):
    links = Links(Tokens(SECRET), "https://news.example.test")
    fast = BatchLinks(links, SECRET)
    assert fast.preferences(subscriber_id, version) == links.preferences(subscriber_id, version)
    assert fast.unsubscribe(subscriber_id, version) == links.unsubscribe(subscriber_id, version)


def test_a_secret_that_does_not_match_falls_back_to_the_reference_links():
    links = Links(Tokens(SECRET), "https://news.example.test")
    fallback = BatchLinks(links, "some-other-secret")

    assert not fallback.fast
    assert fallback.unsubscribe(7) == links.unsubscribe(7)
    assert not BatchLinks(links, None).fast


def test_links_in_a_sent_copy_belong_to_its_recipient(runtime, smtp, sender, edition_factory, db):
    edition_id, emails = edition_factory(4)
    sender.drain(edition_id)
    tokens = Tokens(runtime.settings.secret_key)

    for received in smtp.messages:
        message = received.message
        (address,) = received.rcpt_tos
        subscriber_id = db.query(Subscriber.id).filter_by(email=address).scalar()
        html = message.get_body(("html",)).get_content()
        (unsubscribe,) = set(re.findall(r"/unsubscribe/([\w.-]+)", html))
        (preferences,) = set(re.findall(r"/preferences/([\w.-]+)", html))
        assert tokens.read(Purpose.UNSUBSCRIBE, unsubscribe) == subscriber_id
        assert tokens.read(Purpose.PREFERENCES, preferences) == subscriber_id
        base = runtime.settings.base_url
        assert message["List-Unsubscribe"] == f"<{base}/unsubscribe/{unsubscribe}?e={edition_id}>"
