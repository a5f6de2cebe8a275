"""What a batch claims: first attempts in id order, then retries whose time has come
(earliest first), never a row another open claim holds (SKIP LOCKED), and, on PostgreSQL,
an at-once edition's next pending rows are found through ix_delivery_claim, not by walking
past the copies already sent, even by a prepared statement's generic plan."""

from __future__ import annotations

import re
from datetime import timedelta

import psycopg
from sqlalchemy import event, select, update

from newsletter.delivery import ledger
from newsletter.models import Delivery, DeliveryStatus, utcnow


def row_ids(runtime, edition_id: int) -> list[int]:  # noqa: ANN001
    with runtime.Session() as s:
        return list(s.scalars(select(Delivery.id).where(Delivery.edition_id == edition_id)
                              .order_by(Delivery.id)))


def set_rows(runtime, ids: list[int], **values) -> None:  # noqa: ANN001, ANN003
    with runtime.session() as s:
        s.execute(update(Delivery).where(Delivery.id.in_(ids)).values(**values))


def test_first_attempts_go_in_id_order_then_due_retries_earliest_first(
        runtime, edition_factory):
    edition_id, _ = edition_factory(10)
    ids = row_ids(runtime, edition_id)
    now = utcnow()
    set_rows(runtime, ids[:3], status=DeliveryStatus.SENT)
    set_rows(runtime, [ids[8]], next_attempt_at=now - timedelta(minutes=5))  # retry, due
    set_rows(runtime, [ids[4]], next_attempt_at=now - timedelta(minutes=9))  # due earlier
    set_rows(runtime, [ids[5]], next_attempt_at=now + timedelta(minutes=5))  # not yet

    with runtime.session() as s:
        first = [c.id for c in ledger.claim(s, edition_id, 3, now)]
    with runtime.session() as s:
        second = [c.id for c in ledger.claim(s, edition_id, 2, now)]
    with runtime.session() as s:
        third = [c.id for c in ledger.claim(s, edition_id, 2, now)]

    assert first == [ids[3], ids[6], ids[7]]  # no time set, lowest ids, sent ones passed
    assert second == [ids[4], ids[9]]  # the last first attempt, then the earliest retry ...
    assert third == [ids[8]]  # ... then the next; the retry not due yet stays
    with runtime.Session() as s:
        assert s.get(Delivery, ids[5]).status == DeliveryStatus.PENDING


def test_an_open_claim_is_skipped_by_the_next_one(runtime, edition_factory):
    edition_id, _ = edition_factory(8)
    ids = row_ids(runtime, edition_id)
    now = utcnow()
    with runtime.Session() as holder:  # claimed, not committed: the rows stay locked
        held = [c.id for c in ledger.claim(holder, edition_id, 3, now)]
        with runtime.session() as other:
            taken = [c.id for c in ledger.claim(other, edition_id, 10, now)]
        holder.rollback()

    assert held == ids[:3]
    assert taken == ids[3:]


def test_a_generic_plan_finds_the_next_pending_rows_through_the_claim_index(
        runtime, edition_factory):
    """psycopg prepares a statement run five times on a connection, and PostgreSQL may
    then plan it once for any parameters: the claim index's `status = 'pending'` must
    then still be provable, so the status is written into the SQL, not bound."""
    edition_id, _ = edition_factory(30)
    ids = row_ids(runtime, edition_id)
    set_rows(runtime, ids[:25], status=DeliveryStatus.SENT)
    seen: list[tuple[str, dict]] = []

    def grab(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if "SKIP LOCKED" in statement:
            seen.append((statement, parameters))

    event.listen(runtime.engine, "before_cursor_execute", grab)
    try:
        with runtime.Session() as s:
            claimed = ledger.claim(s, edition_id, 2, utcnow())
            s.rollback()
    finally:
        event.remove(runtime.engine, "before_cursor_execute", grab)
    assert [c.id for c in claimed] == ids[25:27]

    statement, parameters = seen[0]  # first attempts: the at-once claim
    names: list[str] = []

    def numbered(match: re.Match) -> str:
        names.append(match[1])
        return f"${len(names)}"

    with runtime.engine.connect() as conn:
        raw = conn.connection.driver_connection
        raw.execute("PREPARE claim AS " + re.sub(r"%\((\w+)\)s", numbered, statement))
        raw.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        raw.execute("SET LOCAL enable_seqscan = off")  # the table is tiny: make that dear
        plan = "\n".join(r[0] for r in psycopg.ClientCursor(raw).execute(
            f"EXPLAIN EXECUTE claim({', '.join(['%s'] * len(names))})",
            [parameters[n] for n in names]))
        conn.rollback()

    assert "ix_delivery_claim" in plan, plan
