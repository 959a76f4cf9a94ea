"""A member pays an outstanding invoice by hand, with a card on file or a new one.

The attempt is made like the worker's (stored in flight before Stripe is called, resolved by
its key if interrupted) while holding the charge, so it never runs beside an automatic one.
It leaves the retry schedule as it was: a scheduled retry still comes if this one fails.
"""

from billing_contracts import ChargeFailureKind
from billing_runtime.clock import Clock
from sqlalchemy.ext.asyncio import AsyncEngine

from payments.adapters import wallet
from payments.domain.charges import Charge, ChargeFailure, ChargeOutcome, ChargeStatus
from payments.domain.errors import InvoiceNotPayable, PaymentInProgress, PaymentMethodNotFound
from payments.domain.ports import ChargeLedger, PaymentGateway
from payments.domain.retries import RetrySchedule
from payments.use_cases.add_payment_method import add_payment_method
from payments.use_cases.collect_charge import record, send

NOT_ON_FILE = "This card is not on file for this billing account."
NOT_OWED = {
    ChargeStatus.SUCCEEDED: "This invoice is paid already; nothing was charged.",
    ChargeStatus.PAID_ELSEWHERE: "This invoice is paid already; nothing was charged.",
    ChargeStatus.VOIDED: "This invoice was voided; nothing is owed and nothing was charged.",
}


async def pay_invoice(
    engine: AsyncEngine, ledger: ChargeLedger, gateway: PaymentGateway, clock: Clock, schedule: RetrySchedule,
    invoice_id: str, payment_method_id: str | None,
) -> tuple[Charge, ChargeOutcome]:
    """Charge the invoice once now, to `payment_method_id` (a card of the account on file, or a
    new one attached first) or else the primary card; returns the charge and the outcome
    (a `ChargeFailure` when refused, `ChargeOutcomeUnknown` while Stripe's answer is awaited).

    Raises `ChargeNotFound`, `InvoiceNotPayable` (paid or voided), `PaymentInProgress`,
    `PaymentMethodNotFound` (not this account's card), and the card errors of adding a card.
    """
    async with ledger.claim(invoice_id) as claim:
        if claim is None:
            raise PaymentInProgress("A payment of this invoice is in progress; please wait for its outcome.")
        charge = claim.charge
        if charge.status in NOT_OWED:
            raise InvoiceNotPayable(NOT_OWED[charge.status])
        if charge.status is ChargeStatus.IN_FLIGHT:
            raise PaymentInProgress("A payment of this invoice is in progress; please wait for its outcome.")
        card = await _card_to_charge(engine, gateway, clock, charge, payment_method_id, claim.primary_payment_method_id)
        if card is None:
            return charge, ChargeFailure.of_kind(ChargeFailureKind.NO_PAYMENT_METHOD)
        async with engine.connect() as connection:
            customer_id = await wallet.stripe_customer_of(connection, charge.billing_account_id)
        attempt = charge.start_attempt(card, clock.now(), by_hand=True)
        if customer_id is None or not await claim.commit(attempt, []):
            raise PaymentInProgress("The invoice changed meanwhile; please try again.")
        outcome = await send(gateway, customer_id, attempt)
        await record(claim, outcome, clock, schedule)
        return claim.charge, outcome


async def _card_to_charge(
    engine: AsyncEngine, gateway: PaymentGateway, clock: Clock, charge: Charge,
    payment_method_id: str | None, primary: str | None,
) -> str | None:
    if payment_method_id is None:
        return primary
    async with engine.connect() as connection:
        known = await wallet.payment_method(connection, payment_method_id)
    if known is not None and known.billing_account_id != charge.billing_account_id:
        raise PaymentMethodNotFound(NOT_ON_FILE)
    if known is None:
        await add_payment_method(engine, gateway, clock, charge.billing_account_id, payment_method_id)
    return payment_method_id
