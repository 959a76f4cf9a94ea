"""How long from a `charge.failed` published to Kafka to its email accepted by the SMTP server.

Measures, asserts no time. Runs the service in-process (TestClient: broker, mail sender) on a
scratch database against the shared stack's Kafka and SMTP server, publishes BENCH_FAILURES
failed charges (default 1000) at BENCH_RATE per second (default 25; 0 = all at once) for one
account, and reads when each email landed from the SMTP server's Maildir (the file the
server writes before it answers 250). Not collected by a plain `pytest services/...` run
(its name is not test_*.py); run it by path, with the shared-stack environment:

    .venv/bin/python -m pytest -q -s services/notifications/bench/bench_notifications_charge_failed_latency.py
"""

import asyncio
import os
import statistics
import time
import uuid
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from pathlib import Path

from aiokafka import AIOKafkaProducer
from billing_contracts import BillingAccountChangedV1, ChargeFailedV1, new_envelope
from billing_runtime.auth import development_token
from billing_runtime.migrations import upgrade
from devstack.kafka import start_group_at_end
from devstack.postgres import scratch_database
from fastapi.testclient import TestClient

from notifications.bootstrap import MIGRATIONS
from notifications.entrypoints.http import create_app
from notifications.settings import NotificationsSettings

FAILURES = int(os.environ.get("BENCH_FAILURES", "1000"))
RATE = float(os.environ.get("BENCH_RATE", "25"))
TOPICS = ("billing_account.changed", "charge.failed", "invoice.finalized", "invoice.paid", "invoice.not_paid")


async def publish_paced(bootstrap: str, envelopes: list, rate: float) -> dict[str, float]:
    """Publish in order, `rate` per second; returns invoice number -> when the broker acked it."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=0)
    await producer.start()
    published: dict[str, float] = {}
    try:
        start = time.time()
        for index, envelope in enumerate(envelopes):
            if rate > 0:
                await asyncio.sleep(max(0.0, start + index / rate - time.time()))
            await producer.send_and_wait(envelope.type, envelope.to_bytes(), key=envelope.kafka_key())
            published[getattr(envelope.data, "invoice_number", envelope.type)] = time.time()
    finally:
        await producer.stop()
    return published


def accepted_times(maildir: Path, recipient: str, since: float) -> dict[str, float]:
    """Invoice number -> when the SMTP server wrote the email (file mtime), for `recipient`."""
    found: dict[str, float] = {}
    parser = BytesHeaderParser()
    for entry in (maildir / "new").iterdir():
        stat = entry.stat()
        if stat.st_mtime < since:
            continue
        headers = parser.parsebytes(entry.read_bytes())
        if headers.get("X-Envelope-To", "").strip().lower() == recipient:
            found[headers["Subject"].split("invoice ", 1)[1].split()[0]] = stat.st_mtime_ns / 1e9
    return found


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def test_charge_failed_to_smtp_accepted_latency(stack):
    assert stack.maildir, "set SMTP_MAILDIR: the latency is read from the SMTP server's Maildir"
    run = uuid.uuid4().hex[:10]
    account_id, billing = f"ba_bench_{run}", f"bench-{run}@example.com"
    with scratch_database(stack.postgres_url, "notifications_bench") as url:
        upgrade(MIGRATIONS, url)
        settings = NotificationsSettings(
            service_name=f"notifications-bench-{run}", database_url=url, kafka_bootstrap_servers=stack.kafka_bootstrap_servers,
            smtp_host=stack.smtp_host, smtp_port=stack.smtp_port, dashboard_base_url="https://dashboard.example",
        )
        asyncio.run(start_group_at_end(stack.kafka_bootstrap_servers, settings.service_name, TOPICS))
        snapshot = new_envelope(BillingAccountChangedV1(
            billing_account_id=account_id, name="Bench Ltd", status="active", currency="USD", billing_emails=[billing],
            members=[{"user_id": "u1", "email": billing, "role": "owner"}], version=1, changed_at=datetime.now(UTC),
        ), source="/billing/accounts")
        failures = [new_envelope(ChargeFailedV1(
            billing_account_id=account_id, invoice_id=f"inv_{run}_{i}", invoice_number=f"INV-B{run}-{i:05d}", attempt=1,
            amount=1000 + i, currency="USD", failure_kind="declined", decline_code="expired_card",
            customer_message="Your card has expired.", final=False, failed_at=datetime.now(UTC),
        ), source="/billing/payments") for i in range(FAILURES)]
        token = {"Authorization": f"Bearer {development_token(billing, settings)}"}
        log_url = f"/v1/billing-accounts/{account_id}/notifications?limit=1"

        with TestClient(create_app(settings)) as client:
            asyncio.run(publish_paced(stack.kafka_bootstrap_servers, [snapshot], 0))
            deadline = time.monotonic() + 60
            while client.get(log_url, headers=token).status_code != 200:
                assert time.monotonic() < deadline, "the snapshot never arrived"
                time.sleep(0.2)
            since = time.time() - 1
            published = asyncio.run(publish_paced(stack.kafka_bootstrap_servers, failures, RATE))
            deadline = time.monotonic() + 240
            while len(accepted := accepted_times(Path(stack.maildir), billing, since)) < FAILURES:
                assert time.monotonic() < deadline, f"only {len(accepted)} of {FAILURES} emails arrived"
                time.sleep(0.5)
        queued_at = asyncio.run(_queued_times(url, account_id))

    queueing = [queued_at[number] - at for number, at in published.items()]
    sending = [accepted[number] - queued_at[number] for number in published]
    latencies = [accepted[number] - at for number, at in published.items()]
    span = max(accepted.values()) - min(published.values())
    print(f"\ncharge.failed published -> email accepted by SMTP, {FAILURES} failures at "
          f"{'max' if RATE <= 0 else RATE}/s: p50 {percentile(latencies, 0.50) * 1000:.0f} ms, "
          f"p90 {percentile(latencies, 0.90) * 1000:.0f} ms, p99 {percentile(latencies, 0.99) * 1000:.0f} ms, "
          f"max {max(latencies) * 1000:.0f} ms, mean {statistics.fmean(latencies) * 1000:.0f} ms; "
          f"{FAILURES / span:.0f} emails/s overall")
    print(f"  of which published -> queued in the email log: p50 {percentile(queueing, 0.5) * 1000:.0f} ms, "
          f"p99 {percentile(queueing, 0.99) * 1000:.0f} ms; queued -> accepted: p50 "
          f"{percentile(sending, 0.5) * 1000:.0f} ms, p99 {percentile(sending, 0.99) * 1000:.0f} ms")


async def _queued_times(url: str, account_id: str) -> dict[str, float]:
    """Invoice number (from the subject) -> when the consumer wrote the email row."""
    from billing_runtime.database import create_engine
    from sqlalchemy import select

    from notifications.adapters.tables import EMAILS

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            query = select(EMAILS.c.subject, EMAILS.c.created_at).where(EMAILS.c.billing_account_id == account_id)
            rows = (await connection.execute(query)).all()
    finally:
        await engine.dispose()
    return {row.subject.split("invoice ", 1)[1].split()[0]: row.created_at.timestamp() for row in rows}


