"""Kafka subscribers of the invoicing service (consumer group "invoicing").

Each handler runs in the transaction the kit opened for the delivery, after the kit's inbox
dropped events already processed; it raises to have the delivery retried, then dead-lettered.
The handlers' names name their inbox, so they must not change.
"""

import logging
import os

from billing_contracts import Envelope
from billing_runtime.clock import Clock
from billing_runtime.messaging.subscriptions import EventSubscriptions
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters.usage_messages import COMPILED, UsageMessage, read_usage_message
from invoicing.domain.usage import TALLY_COMPILED, Usage, UsageWindow, leave_tallies_to_python
from invoicing.use_cases.record_failed_charge import record_failed_charge
from invoicing.use_cases.record_successful_charge import record_successful_charge
from invoicing.use_cases.record_usage import record_usage
from invoicing.use_cases.replicate_billing_account import replicate_billing_account
from invoicing.use_cases.replicate_project_link import replicate_project_link

log = logging.getLogger(__name__)

USAGE_BATCH = 40_000
"""Most usage events a transaction counts. A batch is what is waiting, so it is large only while
the consumer catches up; then each aggregate takes one increment for more events. (The figures
below are from when a batch upserted its aggregates directly: it now appends increments, which
a fold adds up later; see usage_ledger.) In `make bench`
(10,000 accounts' usage, two consumer processes of about 15,000 aggregates each) a batch of
20,000 touches about 11,000 aggregates, one of 40,000 about 14,000: 0.35 upserts an event instead
of 0.55. Three interleaved pairs of runs, 20,000 then 40,000: PostgreSQL 7.5 -> 6.9, 7.5 -> 5.3,
7.3 -> 5.5 CPU µs an event; L4/L1 0.47 -> 0.48, 0.46 -> 0.63, 0.47 -> 0.56 (against L1 as the
bench measured it then, inside the bench's process: about a sixth slower than today's bare one);
a consumer's peak memory 375-390 -> 433-456 MiB (410-490 over 13 runs; its pod's limit is 768
MiB). Earlier, 5,000 gave 33,700 events/s and 20,000 48,000."""


def tally_switched_off() -> bool:
    """Whether the operator switched the compiled usage tally off (`INVOICING_USAGE_TALLY=python`,
    as the reader's switch; the bench uses it to compare, and reads it here too)."""
    return os.environ.get("INVOICING_USAGE_TALLY", "compiled") == "python"


def subscribe(events: EventSubscriptions, clock: Clock, window: UsageWindow = UsageWindow()) -> None:
    """Register the service's event handlers (each a thin call into a use case)."""
    if not COMPILED:  # correct either way, but a consumer takes about a quarter more CPU per event
        log.warning("the compiled usage reader is not built (runtime/build_compiled.py): usage is read in Python")
    if tally_switched_off():
        leave_tallies_to_python()
    elif not TALLY_COMPILED:  # correct either way, but aggregating a batch takes about half as long again
        log.warning("the compiled usage tally is not built (runtime/build_compiled.py): usage is tallied in Python")

    # The busiest topic is read with a faster reading of the same contract (see usage_messages).
    @events.on("usage.recorded", batch=True, max_records=USAGE_BATCH, parse=read_usage_message)
    async def count_usage(envelopes: list[Envelope | UsageMessage], tx: AsyncConnection) -> None:
        usages = [
            e.data if type(e) is UsageMessage else  # read straight into the usage
            Usage(e.data.billing_account_id, e.data.project_id, e.data.meter, e.data.quantity, e.data.occurred_at,
                  e.data.properties, e.traceparent)
            for e in envelopes
        ]
        await record_usage(usages, tx, clock, window)

    @events.on("billing_account.changed")
    async def replicate_account(envelopes: list[Envelope], tx: AsyncConnection) -> None:
        for envelope in envelopes:
            await replicate_billing_account(envelope, tx, clock)

    @events.on("project.linked")
    async def replicate_link(envelopes: list[Envelope], tx: AsyncConnection) -> None:
        for envelope in envelopes:
            await replicate_project_link(envelope.data, tx)

    @events.on("charge.succeeded")
    async def settle_paid_invoice(envelopes: list[Envelope], tx: AsyncConnection) -> None:
        for envelope in envelopes:
            await record_successful_charge(envelope.data, tx)

    @events.on("charge.failed")
    async def mark_invoice_payment_due(envelopes: list[Envelope], tx: AsyncConnection) -> None:
        for envelope in envelopes:
            await record_failed_charge(envelope.data, tx)
