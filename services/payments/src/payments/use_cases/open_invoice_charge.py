"""A finalized invoice becomes a charge to collect (or, owing nothing, one settled at once)."""

from billing_contracts import InvoiceFinalizedV1
from billing_runtime.clock import Clock

from payments.domain.charges import Charge
from payments.domain.ports import NewCharges


async def open_invoice_charge(charges: NewCharges, invoice: InvoiceFinalizedV1, clock: Clock) -> Charge | None:
    """Record the invoice's charge; None if it already has one (the same invoice announced twice).

    An invoice of zero is settled here, with `charge.succeeded` for 0 and no call to Stripe.
    """
    charge, settled = Charge.for_invoice(invoice, clock.now())
    added = await charges.add(charge, [settled] if settled else [])
    return charge if added else None
