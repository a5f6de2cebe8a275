"""A worker prepares an edition's copies once (encoded blocks, MIME skeleton) and reuses them
from batch to batch; what it keeps belongs to its Runtime, not to a module, and a new start
of the edition (a new render nonce) is prepared anew."""

from __future__ import annotations

from newsletter.mail.copies import Identity, PreparedEditions
from newsletter.mail.edition import EncodedEdition
from newsletter.models import Edition
from newsletter.runtime import Runtime


def counting_encodes(monkeypatch) -> list[int]:  # noqa: ANN001
    built: list[int] = []
    original = EncodedEdition.of.__func__  # type: ignore[attr-defined]

    def of(cls, rendered):  # type: ignore[no-untyped-def]
        built.append(len(rendered.html_items))
        return original(cls, rendered)

    monkeypatch.setattr(EncodedEdition, "of", classmethod(of))
    return built


def test_a_worker_prepares_an_edition_once_for_all_its_batches(edition_factory, sender, smtp,
                                                               monkeypatch):
    built = counting_encodes(monkeypatch)
    edition_id, emails = edition_factory(9)

    results = sender.configure(batch_size=3).drain(edition_id)

    assert sum(r.sent for r in results) == 9 and len(smtp.messages) == 9
    assert len([r for r in results if r.claimed]) == 3  # three batches ...
    assert built == [3]  # ... and one edition prepared (its three topic blocks)


def test_the_cache_is_the_runtimes_and_a_restart_is_prepared_anew(edition_factory, runtime,
                                                                 settings, db, monkeypatch):
    built = counting_encodes(monkeypatch)
    edition_id, _ = edition_factory(3)
    edition = db.get(Edition, edition_id, populate_existing=True)  # started elsewhere
    identity = Identity.from_settings(runtime.settings)

    first = runtime.prepared_editions.get(edition, identity)
    assert runtime.prepared_editions.get(edition, identity) is first
    assert isinstance(runtime.prepared_editions, PreparedEditions)
    other = Runtime(settings)  # another worker process: nothing shared
    try:
        assert other.prepared_editions.get(edition, identity) is not first
    finally:
        other.engine.dispose()

    db.expunge(edition)
    edition.rendered = {**edition.rendered, "nonce": "restarted"}
    again = runtime.prepared_editions.get(edition, identity)
    assert again is not first and again.id_prefix == f"edition-{edition_id}-restarted"
    assert built == [3, 3, 3]
