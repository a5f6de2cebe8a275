"""Every call in /api/v1/openapi.json, fuzzed: bad input is a 4xx, never a 5xx.

schemathesis reads the OpenAPI document the app serves and generates requests that fit it
and requests that do not (wrong types, missing fields, huge numbers, odd strings), against
the app on PostgreSQL. A new field or route that can still raise a 500 fails here. Path
parameters are sometimes swapped for rows that exist, so bodies reach the deeper checks
(a known topic slug, edition, feed) instead of stopping at a 404.

Bounded: a fixed number of examples per operation, a fixed seed, no shrinking.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from newsletter.api.openapi import document
from newsletter.editorial.editions import create_edition
from newsletter.feeds.catalog import add_feed
from newsletter.models import utcnow
from tests.factories import make_editor, make_token, make_topic, make_update

# FUZZ_EXAMPLES=500 for a deeper run by hand; the suite keeps it short.
EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES", "15"))


# The rows `seeded` makes (ids restart at 1 for each test: tables are truncated with RESTART
# IDENTITY), which path parameters are sometimes swapped for.
KNOWN = {"slug": "world", "edition_id": 1, "feed_id": 1}

schema = schemathesis.openapi.from_dict(document())
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=EXAMPLES_PER_OPERATION, deterministic=True, no_shrink=True,
)


@schemathesis.serializer("message/rfc822")
def raw_message(context, value) -> bytes:  # noqa: ANN001
    """POST /bounces takes a returned message as raw bytes, whatever was generated."""
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "surrogateescape")


@schema.hook
def flatmap_path_parameters(context, path_parameters):  # noqa: ANN001, ANN201
    if not isinstance(path_parameters, dict):  # negative cases may drop them altogether
        return st.just(path_parameters)
    existing = {k: KNOWN[k] for k in path_parameters if k in KNOWN}
    return st.sampled_from([path_parameters, {**path_parameters, **existing}])


@pytest.fixture
def seeded(db) -> str:
    """One topic, update, edition and feed (on a closed local port: a poll fails fast);
    returns an API token."""
    topic = make_topic(db, "world")
    update = make_update(db, topic)
    edition = create_edition(db, None, [update.id], utcnow())
    feed = add_feed(db, "world", "http://127.0.0.1:9/feed.xml", allow_private=True)
    token = make_token(db, make_editor(db, role="admin"))  # webhooks are admins' only
    db.commit()
    assert (topic.slug, edition.id, feed.id) == tuple(KNOWN.values())
    return token


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, deadline=None,
          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
def test_no_json_call_answers_a_server_error(case, app, seeded, smtp):
    response = case.call(app=app, headers={"Authorization": f"Bearer {seeded}"})
    assert response.status_code < 500, (case.as_curl_command(), response.text[:500])
    if response.status_code >= 400:
        assert "error" in response.json(), response.text[:500]
