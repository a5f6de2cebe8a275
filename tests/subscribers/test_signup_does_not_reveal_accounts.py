"""POST /subscribe answers the same for new, pending, active, unsubscribed and suppressed addresses.

Only the emails differ, and only the owner of the inbox sees those.
"""

from __future__ import annotations

import re

import pytest

from newsletter.subscribers.service import suppress
from tests.factories import make_subscriber, make_topic
from tests.subscribers.pages import post_form, sign_up

STATES = ["new", "pending", "active", "paused", "unsubscribed", "suppressed", "erased", "bounced"]


@pytest.fixture
def addresses(db) -> dict[str, str]:  # type: ignore[no-untyped-def]
    topic = make_topic(db, "world")
    out = {}
    for state in STATES:
        address = f"{state}@example.com"
        out[state] = address
        if state == "suppressed":
            suppress(db, address, reason="complaint")
        elif state == "erased":
            suppress(db, address, reason="erased")
        elif state != "new":
            make_subscriber(db, address, [topic], status=state)
    db.commit()
    return out


def answer(app, address: str) -> tuple[int, str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """Status, body and headers of the POST, with per-visitor cookie values blanked out."""
    response = post_form(app.test_client(), "/subscribe", {"email": address, "topics": ["world"]})
    headers = {k: v for k, v in response.headers.items() if k not in ("Date",)}
    if "Set-Cookie" in headers:
        headers["Set-Cookie"] = re.sub(r"=[^;]*;", "=…;", headers["Set-Cookie"], count=1)
    return response.status_code, response.get_data(as_text=True), headers


def test_every_kind_of_address_gets_the_identical_answer(app, addresses) -> None:
    answers = {state: answer(app, address) for state, address in addresses.items()}
    status, body, headers = answers["new"]
    assert status == 303 and headers["Location"] == "/subscribe/check-inbox"
    for state, (other_status, other_body, other_headers) in answers.items():
        assert (other_status, other_body, other_headers) == (status, body, headers), state


def test_case_and_spacing_do_not_change_the_answer(app, addresses) -> None:
    assert answer(app, "  ACTIVE@Example.COM ") == answer(app, "new@example.com")


def test_only_the_emails_differ(client, addresses, smtp, work) -> None:
    for address in addresses.values():
        sign_up(client, address, ["world"])
    work()
    subjects = {state: [m["Subject"] for m in smtp.inbox(address)]
                for state, address in addresses.items()}
    assert subjects == {
        "new": ["Confirm your subscription to The Briefing"],
        "pending": ["Confirm your subscription to The Briefing"],
        "unsubscribed": ["Confirm your subscription to The Briefing"],
        "active": ["Your topics at The Briefing: change, pause or leave"],
        "paused": ["Your topics at The Briefing: change, pause or leave"],
        "suppressed": [],
        "erased": ["Confirm your subscription to The Briefing"],  # may come back, with consent
        "bounced": [],
    }


def test_the_check_inbox_page_differs_only_by_the_address_typed(app, addresses) -> None:
    pages = {}
    for state, address in addresses.items():
        body = sign_up(app.test_client(), address, ["world"]).get_data(as_text=True)
        body = re.sub(r'name="csrf_token"[^>]*value="[^"]+"', "", body)
        assert address in body
        pages[state] = body.replace(address, "ADDRESS")
    assert len(set(pages.values())) == 1
