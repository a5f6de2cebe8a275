"""The redirect reads the tracking choice from its process's copy, never per click, and an
admin's change made in another process is in force within tracking.TTL (README): one
request re-reads it after REFRESH while the others keep the value they have."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from newsletter.engagement import tracking
from newsletter.models import ListSetting, utcnow
from tests.support.engagement import BROWSER, send_edition, tracked_links
from tests.support.round_trips import counting


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    fake = Clock()
    monkeypatch.setattr(tracking.time, "monotonic", fake)
    tracking._cache.clear()
    yield fake
    tracking._cache.clear()


def _changed_elsewhere(db, clicks: bool) -> None:  # type: ignore[no-untyped-def]
    """What another web process's admin page stores (this process's copy is not told)."""
    db.merge(ListSetting(name=tracking.CLICKS, value="on" if clicks else "off",
                         updated_at=utcnow()))
    db.commit()


def test_a_click_reads_no_setting_from_the_database(runtime, db, work, smtp, client, clock):
    send_edition(runtime, db, work, readers=("ana@example.com",))
    link = tracked_links(smtp, "ana@example.com")[0][0]
    client.get(link, headers={"User-Agent": BROWSER})  # the edition's links and the choice
    clock.now += tracking.REFRESH - 0.5
    with counting() as trips:
        response = client.get(link, headers={"User-Agent": BROWSER})
    assert response.status_code == 302
    assert trips.database == 0 and trips.redis == ["XADD"]


def test_a_change_in_another_process_is_in_force_within_the_ttl(runtime, db, clock):
    settings = runtime.settings
    assert tracking.current(runtime.Session, settings).clicks is True
    _changed_elsewhere(db, clicks=False)
    clock.now += tracking.REFRESH - 0.5
    assert tracking.current(runtime.Session, settings).clicks is True  # kept: not yet due
    clock.now += 1.0  # past REFRESH, inside TTL: this request re-reads
    with counting() as trips:
        assert tracking.current(runtime.Session, settings).clicks is False
    assert trips.statements[-1].lstrip().upper().startswith("SELECT")


def test_while_one_request_re_reads_the_others_keep_the_value(runtime, db, clock):
    settings = runtime.settings
    assert tracking.current(runtime.Session, settings).clicks is True
    _changed_elsewhere(db, clicks=False)
    clock.now += tracking.REFRESH + 0.5
    with tracking._reading:  # a re-read in flight on another thread
        with counting() as trips:
            assert tracking.current(runtime.Session, settings).clicks is True
        assert trips.database == 0  # no second read beside it, and no wait for it
    clock.now += tracking.TTL  # past the promise: never the old value
    assert tracking.current(runtime.Session, settings).clicks is False
