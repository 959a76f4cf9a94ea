"""The charge ledger in PostgreSQL.

A charge is claimed with `SELECT ... FOR UPDATE SKIP LOCKED` and then held, across the
transactions of its attempt and the payment provider's call between them, by a session-level
advisory lock on the claiming connection: a second worker (another process, or this one after
the row went stale) skips it, and a crashed worker's lock goes with its connection.
"""

import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from typing import Any

from billing_contracts import ChargeFailureKind, Event
from billing_runtime.observability import tracing
from sqlalchemy import Select, and_, case, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from payments.adapters.events import publish
from payments.adapters.tables import CHARGES, PAYMENT_METHODS, STRIPE_CUSTOMERS
from payments.domain.charges import Charge, ChargeStatus
from payments.domain.errors import ChargeNotFound

log = logging.getLogger(__name__)

CANDIDATES = 20
"""Claimable rows looked at per claim; those whose lock another worker holds are skipped."""


def _lock_key(invoice_id: str) -> Any:
    return func.hashtextextended("payments.charge:" + invoice_id, 0)


def charge_of(row: Any) -> Charge:
    return Charge(
        invoice_id=row.invoice_id, invoice_number=row.invoice_number, billing_account_id=row.billing_account_id,
        amount=row.amount, currency=row.currency, status=ChargeStatus(row.status), updated_at=row.updated_at,
        attempt=row.attempt, idempotency_key=row.idempotency_key, payment_method_id=row.payment_method_id,
        payment_intent_id=row.payment_intent_id,
        failure_kind=ChargeFailureKind(row.failure_kind) if row.failure_kind else None, decline_code=row.decline_code,
        next_attempt_at=row.next_attempt_at, first_failed_at=row.first_failed_at, by_hand=row.by_hand,
    )


def row_of(charge: Charge) -> dict[str, Any]:
    return {
        "invoice_id": charge.invoice_id, "invoice_number": charge.invoice_number,
        "billing_account_id": charge.billing_account_id, "amount": charge.amount, "currency": charge.currency,
        "status": charge.status.value, "attempt": charge.attempt, "idempotency_key": charge.idempotency_key,
        "payment_method_id": charge.payment_method_id, "payment_intent_id": charge.payment_intent_id,
        "failure_kind": charge.failure_kind.value if charge.failure_kind else None,
        "decline_code": charge.decline_code, "updated_at": charge.updated_at,
        "next_attempt_at": charge.next_attempt_at, "first_failed_at": charge.first_failed_at, "by_hand": charge.by_hand,
    }


class ChargesInTransaction:
    """New charges, written in the caller's transaction (the consumer's, with its inbox row)."""

    def __init__(self, transaction: AsyncConnection) -> None:
        self.transaction = transaction

    async def add(self, charge: Charge, events: list[Event]) -> bool:
        # The charge remembers the trace it was opened in (the invoice's): its attempts, made
        # later by the charging worker, continue it.
        opened = {**row_of(charge), "traceparent": tracing.current()}
        statement = upsert(CHARGES).values(opened).on_conflict_do_nothing(index_elements=["invoice_id"])
        added = (await self.transaction.execute(statement.returning(CHARGES.c.invoice_id))).first() is not None
        if added:
            await publish(self.transaction, events)
        return added


class PostgresChargeClaim:
    def __init__(self, connection: AsyncConnection, charge: Charge, customer_id: str | None, primary: str | None,
                 traceparent: str | None = None) -> None:
        self.connection = connection
        self.charge = charge
        self.customer_id = customer_id
        self.primary_payment_method_id = primary
        self.traceparent = traceparent

    async def commit(self, charge: Charge, events: list[Event]) -> bool:
        before = self.charge
        async with self.connection.begin():
            changed = await self.connection.execute(
                update(CHARGES)
                .where(CHARGES.c.invoice_id == before.invoice_id, CHARGES.c.status == before.status.value,
                       CHARGES.c.attempt == before.attempt)
                .values(row_of(charge))
                .returning(CHARGES.c.invoice_id)
            )
            if changed.first() is None:
                return False
            await publish(self.connection, events)
        self.charge = charge
        return True


class PostgresChargeLedger:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    def claim_next(self, now: datetime, stale_before: datetime) -> AbstractAsyncContextManager[PostgresChargeClaim | None]:
        in_flight = CHARGES.c.status == ChargeStatus.IN_FLIGHT.value
        come = and_(CHARGES.c.status == ChargeStatus.DUE.value, CHARGES.c.next_attempt_at <= now)
        query = (
            select(CHARGES)
            .where(or_(come, and_(in_flight, CHARGES.c.updated_at < stale_before)))
            .order_by(case((in_flight, 0), else_=1), CHARGES.c.next_attempt_at, CHARGES.c.updated_at)
            .limit(CANDIDATES)
            .with_for_update(skip_locked=True)
        )
        return self._hold(query)

    def claim(self, invoice_id: str) -> AbstractAsyncContextManager[PostgresChargeClaim | None]:
        return self._hold(select(CHARGES).where(CHARGES.c.invoice_id == invoice_id), missing=invoice_id)

    @asynccontextmanager
    async def _hold(self, query: Select[Any], missing: str | None = None) -> AsyncIterator[PostgresChargeClaim | None]:
        async with self.engine.connect() as connection:
            claim = await self._claim(connection, query, missing)
            try:
                yield claim
            finally:
                if claim is not None:
                    await _unlock(connection, claim.charge.invoice_id)

    async def _claim(self, connection: AsyncConnection, query: Select[Any], missing: str | None) -> PostgresChargeClaim | None:
        async with connection.begin():
            rows = (await connection.execute(query)).all()
            if not rows and missing is not None:
                raise ChargeNotFound(f"There is no invoice {missing} to pay.")
            for row in rows:
                if await connection.scalar(select(func.pg_try_advisory_lock(_lock_key(row.invoice_id)))):
                    customer_id, primary = await _payer(connection, row.billing_account_id)
                    return PostgresChargeClaim(connection, charge_of(row), customer_id, primary, row.traceparent)
        return None


async def _payer(connection: AsyncConnection, billing_account_id: str) -> tuple[str | None, str | None]:
    customer_id = await connection.scalar(
        select(STRIPE_CUSTOMERS.c.stripe_customer_id).where(STRIPE_CUSTOMERS.c.billing_account_id == billing_account_id)
    )
    primary = await connection.scalar(
        select(PAYMENT_METHODS.c.id).where(
            PAYMENT_METHODS.c.billing_account_id == billing_account_id, PAYMENT_METHODS.c.is_primary
        )
    )
    return customer_id, primary


async def _unlock(connection: AsyncConnection, invoice_id: str) -> None:
    try:
        await connection.scalar(select(func.pg_advisory_unlock(_lock_key(invoice_id))))
        await connection.commit()
    except Exception:  # noqa: BLE001 - the connection is broken: drop it, and the lock with it
        log.warning("could not release the lock on the charge of %s; dropping the connection", invoice_id, exc_info=True)
        await connection.invalidate()
