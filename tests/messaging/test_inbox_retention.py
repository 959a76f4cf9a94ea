"""Every consumer's inbox forgets an event's id once no copy of the event can come any more (the
topic's retention, then its dead-letter topic's, and a day), and keeps for ever the ids of topics
that keep their messages for ever; each service's runtime runs the pass. Against the real
database."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from accounts.bootstrap import bootstrap as accounts_runtime
from accounts.settings import AccountsSettings
from billing_runtime.clock import FixedClock
from billing_runtime.messaging.inbox import first_deliveries
from billing_runtime.messaging.inbox_retention import MARGIN, forget_expired_ids, ids_kept, ids_kept_for
from invoicing.bootstrap import bootstrap as invoicing_runtime
from invoicing.settings import InvoicingSettings
from notifications.bootstrap import bootstrap as notifications_runtime
from notifications.settings import NotificationsSettings
from payments.bootstrap import bootstrap as payments_runtime
from payments.settings import PaymentsSettings
from sqlalchemy import text

DAYS_90_THEN_30 = timedelta(days=90 + 30) + MARGIN


def test_an_id_is_kept_for_the_topics_retention_then_its_dead_letters_and_a_margin():
    assert ids_kept_for("charge.failed") == DAYS_90_THEN_30
    assert ids_kept_for("usage.recorded") == timedelta(days=35 + 30) + MARGIN


@pytest.mark.parametrize("topic", ["billing_account.changed", "payment_methods.changed", "project.linked", "no.such.topic"])
def test_topics_that_keep_their_messages_for_ever_keep_their_ids_for_ever(topic):
    assert ids_kept_for(topic) is None


def test_a_consumer_of_several_topics_keeps_its_ids_as_long_as_the_longest_asks():
    kept = ids_kept([("usage.recorded", "both"), ("charge.failed", "both"), ("usage.recorded", "usage"),
                     ("charge.failed", "for_ever"), ("project.linked", "for_ever")])
    assert kept == {"both": DAYS_90_THEN_30, "usage": timedelta(days=65) + MARGIN}


async def test_a_pass_forgets_each_consumers_expired_ids_and_nothing_else(engine):
    now = datetime.now(UTC)
    expired, kept_yet, for_ever = ([uuid.uuid4() for _ in range(n)] for n in (5, 3, 4))
    consumer, other = f"charges_{uuid.uuid4().hex[:8]}", f"snapshots_{uuid.uuid4().hex[:8]}"
    async with engine.begin() as tx:
        await first_deliveries(tx, consumer, expired + kept_yet)
        await first_deliveries(tx, other, for_ever)
        age = DAYS_90_THEN_30 + timedelta(hours=1)
        await tx.execute(text("UPDATE inbox SET processed_at = :at WHERE event_id = ANY(:ids)"),
                         {"at": now - age, "ids": expired + for_ever})
        await tx.execute(text("UPDATE inbox SET processed_at = :at WHERE event_id = ANY(:ids)"),
                         {"at": now - DAYS_90_THEN_30 + timedelta(hours=1), "ids": kept_yet})

    assert await forget_expired_ids(engine, FixedClock(now), {consumer: DAYS_90_THEN_30}) == 5

    async with engine.begin() as tx:
        assert await first_deliveries(tx, consumer, expired) == {str(i) for i in expired}  # forgotten: new again
        assert await first_deliveries(tx, consumer, kept_yet) == set()
        assert await first_deliveries(tx, other, for_ever) == set()  # not in the pass: kept
        await tx.rollback()


def retention_worker(runtime) -> list:
    return [w for w in runtime.workers if w.__qualname__ == "periodic forget_expired_ids"]


@pytest.mark.parametrize(("runtime", "expected"), [
    (lambda: accounts_runtime(AccountsSettings()), {"accounts.record_invoice_status": DAYS_90_THEN_30}),
    (lambda: payments_runtime(PaymentsSettings()), {
        "payments.open_charge": DAYS_90_THEN_30, "payments.cancel_voided_charge": DAYS_90_THEN_30,
        "payments.close_paid_charge": DAYS_90_THEN_30}),
    (lambda: notifications_runtime(NotificationsSettings()), {
        "notifications.charge_failed": DAYS_90_THEN_30, "notifications.invoice_not_paid": DAYS_90_THEN_30,
        "notifications.invoice_paid": DAYS_90_THEN_30, "notifications.invoice_finalized": DAYS_90_THEN_30}),
    # Usage ids are kept for invoicing's dedup window (62 days by default) instead.
    (lambda: invoicing_runtime(InvoicingSettings()), {
        "invoicing.settle_paid_invoice": DAYS_90_THEN_30, "invoicing.mark_invoice_payment_due": DAYS_90_THEN_30,
        "invoicing.count_usage": timedelta(days=62) + MARGIN}),
], ids=["accounts", "payments", "notifications", "invoicing"])
def test_every_service_forgets_its_consumers_expired_ids(runtime, expected):
    built = runtime()
    assert built.inbox_ids_kept == expected
    assert len(retention_worker(built)) == 1
