"""Usage aggregates: per account, project, meter and billing period, the sum, event count and max
of quantities, and the distinct values of unique-count meters' property.

Counting takes a shared advisory lock on each period it adds to, closing takes it exclusively:
usage either lands before a period's invoice is made (and is on it), or after it is committed
(and is flagged `late_unbilled` for the next invoice). None falls in between.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from billing_runtime.array_literals import plain_array, text_array, text_array_with_nulls
from sqlalchemy import and_, exists, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters.tables import INVOICE_LINES, INVOICES, USAGE_AGGREGATES, USAGE_UNIQUE_VALUES, among
from invoicing.domain.periods import BillingPeriod
from invoicing.domain.rating import LateUsage
from invoicing.domain.usage import MeteredUsage, Tally, UsageKey

A, U = USAGE_AGGREGATES, USAGE_UNIQUE_VALUES
PERIOD_LOCKS = 4_201
"""Advisory-lock namespace of billing periods (the second key is the period's month number)."""

_invoiced = exists().where(and_(INVOICES.c.billing_account_id == A.c.billing_account_id, INVOICES.c.period_start == A.c.period_start))


def _month_number(period: BillingPeriod) -> int:
    return period.start.year * 12 + period.start.month - 1


async def lock_period_for_closing(tx: AsyncConnection, period: BillingPeriod) -> None:
    """Wait until nothing else counts usage into, or closes, the period; hold it until the transaction ends."""
    await tx.execute(text("SELECT pg_advisory_xact_lock(:n, :m)"), {"n": PERIOD_LOCKS, "m": _month_number(period)})


async def _lock_periods_for_counting(tx: AsyncConnection, periods: Iterable[BillingPeriod]) -> None:
    for period in sorted(set(periods)):
        await tx.execute(text("SELECT pg_advisory_xact_lock_shared(:n, :m)"), {"n": PERIOD_LOCKS, "m": _month_number(period)})


_ADD = text("""
INSERT INTO usage_aggregates AS a
    (billing_account_id, project_id, meter, period_start, quantity, event_count, max_quantity, late_unbilled,
     traceparent)
SELECT t.account, t.project, t.meter, t.period_start, t.quantity, t.events, t.max_quantity,
       EXISTS (SELECT FROM invoices i WHERE i.billing_account_id = t.account AND i.period_start = t.period_start),
       t.traceparent
FROM unnest(CAST(CAST(:accounts AS text) AS text[]), CAST(CAST(:projects AS text) AS text[]),
            CAST(CAST(:meters AS text) AS text[]), CAST(CAST(:periods AS text) AS timestamptz[]),
            CAST(CAST(:quantities AS text) AS numeric[]), CAST(CAST(:events AS text) AS bigint[]),
            CAST(CAST(:maxima AS text) AS numeric[]), CAST(CAST(:traceparents AS text) AS text[])) WITH ORDINALITY
     AS t(account, project, meter, period_start, quantity, events, max_quantity, traceparent, n)
ORDER BY t.n
ON CONFLICT (billing_account_id, project_id, meter, period_start) DO UPDATE
SET quantity = a.quantity + excluded.quantity,
    event_count = a.event_count + excluded.event_count,
    max_quantity = greatest(a.max_quantity, excluded.max_quantity),
    late_unbilled = a.late_unbilled OR excluded.late_unbilled,
    traceparent = coalesce(excluded.traceparent, a.traceparent)
""")
"""Adds tallies to their aggregates, creating them if new, in one statement whatever their number
(the values go as one array literal per column: see `array_literals`); an aggregate of a period its account was invoiced for
is flagged `late_unbilled` (and never unflagged here)."""

_ADD_UNIQUE_VALUES = text("""
INSERT INTO usage_unique_values (billing_account_id, project_id, meter, period_start, value)
SELECT * FROM unnest(CAST(CAST(:accounts AS text) AS text[]), CAST(CAST(:projects AS text) AS text[]),
                     CAST(CAST(:meters AS text) AS text[]), CAST(CAST(:periods AS text) AS timestamptz[]),
                     CAST(CAST(:values AS text) AS text[]))
ON CONFLICT DO NOTHING
""")


async def add_usage(tx: AsyncConnection, tallies: Mapping[UsageKey, Tally]) -> None:
    """Add each tally to its aggregate, creating it if new; flag aggregates of invoiced periods late.

    Rows go in key order, so two transactions adding to the same aggregates cannot deadlock.
    """
    if not tallies:
        return
    await _lock_periods_for_counting(tx, (key.period for key in tallies))
    # Sorted by plain tuples: UsageKey's generated comparisons cost more than the rest of the sort.
    ordered = sorted(tallies.items(), key=lambda item: (item[0].billing_account_id, item[0].project_id, item[0].meter,
                                                        item[0].period.start))
    await tx.execute(_ADD, {
        **_key_columns([key for key, _ in ordered]), "quantities": plain_array(t.quantity for _, t in ordered),
        "events": plain_array(t.events for _, t in ordered), "maxima": plain_array(t.max_quantity for _, t in ordered),
        "traceparents": text_array_with_nulls(t.traceparent for _, t in ordered),
    })
    values = [(k, v) for k, t in ordered if t.unique_values for v in sorted(t.unique_values)]
    if values:
        await tx.execute(_ADD_UNIQUE_VALUES, {**_key_columns([k for k, _ in values]), "values": text_array(v for _, v in values)})


def _key_columns(keys: list[UsageKey]) -> dict[str, str]:
    starts = {period: period.start.isoformat() for period in {k.period for k in keys}}  # a month or two a batch
    return {
        "accounts": text_array(k.billing_account_id for k in keys), "projects": text_array(k.project_id for k in keys),
        "meters": text_array(k.meter for k in keys), "periods": text_array(starts[k.period] for k in keys),
    }


def _late_before(period_start: datetime):
    return and_(A.c.late_unbilled, A.c.period_start < period_start)


async def accounts_to_invoice(tx: AsyncConnection, period_start: datetime) -> list[str]:
    """Accounts not invoiced for the period yet with usage in it, or late usage of an earlier period."""
    not_invoiced = ~exists().where(and_(INVOICES.c.billing_account_id == A.c.billing_account_id,
                                        INVOICES.c.period_start == period_start))
    query = (select(A.c.billing_account_id)
             .where(or_(A.c.period_start == period_start, _late_before(period_start)), not_invoiced)
             .distinct().order_by(A.c.billing_account_id))
    return list((await tx.execute(query)).scalars())


async def periods_with_uninvoiced_usage(tx: AsyncConnection, starting_before: datetime) -> list[datetime]:
    """Periods before `starting_before` with usage of an account not invoiced for them, and the
    last of them when late usage waits for an account's next invoice."""
    query = select(A.c.period_start).where(A.c.period_start < starting_before, ~_invoiced).distinct()
    starts = set((await tx.execute(query)).scalars())
    last = BillingPeriod.containing(starting_before - timedelta(microseconds=1)).start
    waiting = _late_before(last) & ~exists().where(and_(INVOICES.c.billing_account_id == A.c.billing_account_id,
                                                        INVOICES.c.period_start == last))
    if await tx.scalar(select(A.c.billing_account_id).where(waiting).limit(1)) is not None:
        starts.add(last)
    return sorted(starts)


async def usage_of(tx: AsyncConnection, billing_account_id: str, period_start: datetime) -> list[MeteredUsage]:
    return await _metered(tx, and_(A.c.billing_account_id == billing_account_id, A.c.period_start == period_start))


async def usage_by_account(tx: AsyncConnection, accounts: Sequence[str], period_start: datetime) -> dict[str, list[MeteredUsage]]:
    """`usage_of` for many accounts in one query (accounts without usage are left out)."""
    return await _metered_by_account(tx, and_(among(A.c.billing_account_id, accounts), A.c.period_start == period_start))


async def late_usage_by_account(tx: AsyncConnection, accounts: Sequence[str], before: datetime) -> dict[str, list[LateUsage]]:
    """Per account, its grown aggregates of periods before `before`, with what its invoice lines
    billed of each so far (two queries for all the accounts)."""
    grown = await _metered_by_account(tx, and_(among(A.c.billing_account_id, accounts), _late_before(before)))
    if not grown:
        return {}
    L = INVOICE_LINES
    billed_query = (
        select(INVOICES.c.billing_account_id, L.c.project_id, L.c.meter, L.c.usage_period_start,
               func.sum(L.c.quantity), func.sum(L.c.amount), func.sum(L.c.event_count))
        .join(INVOICES, INVOICES.c.id == L.c.invoice_id)
        .where(among(INVOICES.c.billing_account_id, grown))
        .group_by(INVOICES.c.billing_account_id, L.c.project_id, L.c.meter, L.c.usage_period_start))
    billed = {(r[0], r[1], r[2], r[3]): (r[4], int(r[5]), int(r[6])) for r in await tx.execute(billed_query)}
    nothing = (Decimal(0), 0, 0)
    return {account: [LateUsage(u, *billed.get((account, u.project_id, u.meter, u.period.start), nothing)) for u in usages]
            for account, usages in grown.items()}


_MARK_LATE_BILLED = text("""
UPDATE usage_aggregates AS a SET late_unbilled = false
FROM unnest(CAST(CAST(:accounts AS text) AS text[]), CAST(CAST(:projects AS text) AS text[]),
            CAST(CAST(:meters AS text) AS text[]), CAST(CAST(:periods AS text) AS timestamptz[]),
            CAST(CAST(:events AS text) AS bigint[])) AS t(account, project, meter, period_start, events)
WHERE a.billing_account_id = t.account AND a.project_id = t.project AND a.meter = t.meter
  AND a.period_start = t.period_start AND a.event_count = t.events
""")


async def mark_late_billed(tx: AsyncConnection, late: Mapping[str, Iterable[LateUsage]]) -> None:
    """Clear the late flags just billed, per account, unless more usage came meanwhile (the event
    count moved); one statement for all the accounts of a closing."""
    billed = [(account, grown.usage) for account, usages in late.items() for grown in usages]
    if not billed:
        return
    keys = [UsageKey(account, u.project_id, u.meter, u.period) for account, u in billed]
    await tx.execute(_MARK_LATE_BILLED, {**_key_columns(keys), "events": plain_array(u.events for _, u in billed)})


async def _metered(tx: AsyncConnection, where) -> list[MeteredUsage]:
    return [usage for usages in (await _metered_by_account(tx, where)).values() for usage in usages]


async def _metered_by_account(tx: AsyncConnection, where) -> dict[str, list[MeteredUsage]]:
    unique = (select(func.count()).where(U.c.billing_account_id == A.c.billing_account_id, U.c.project_id == A.c.project_id,
                                         U.c.meter == A.c.meter, U.c.period_start == A.c.period_start)
              .scalar_subquery())
    query = (select(A.c.billing_account_id, A.c.project_id, A.c.meter, A.c.period_start, A.c.quantity, A.c.event_count,
                    A.c.max_quantity, unique.label("unique_count"))
             .where(where).order_by(A.c.billing_account_id, A.c.period_start, A.c.project_id, A.c.meter))
    by_account: dict[str, list[MeteredUsage]] = defaultdict(list)
    for r in await tx.execute(query):
        by_account[r.billing_account_id].append(MeteredUsage(
            r.project_id, r.meter, BillingPeriod(r.period_start), r.quantity, r.event_count, r.max_quantity, r.unique_count))
    return dict(by_account)


async def counters_of(connection: AsyncConnection, billing_account_id: str, period_starts: list[datetime]) -> list[MeteredUsage]:
    """The aggregates (with their event counts) of the account in the given periods."""
    return await _metered(connection, and_(A.c.billing_account_id == billing_account_id, A.c.period_start.in_(period_starts)))
