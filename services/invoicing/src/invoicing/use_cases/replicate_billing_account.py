"""Keep what invoicing needs of a billing account: its members (for access), its currency, and
who its invoices are addressed to; bill its open month at once when its deletion is requested."""

from billing_contracts import BillingAccountChangedV1, BillingAccountStatus, Envelope
from billing_runtime.access import apply_account_snapshot
from billing_runtime.clock import Clock, SystemClock
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters import account_replica
from invoicing.domain.billed_to import BilledTo, PostalAddress
from invoicing.use_cases.issue_final_invoice import issue_final_invoice


async def replicate_billing_account(
    snapshot: Envelope[BillingAccountChangedV1], tx: AsyncConnection, clock: Clock | None = None,
) -> None:
    """Apply the snapshot unless a newer one is already held (snapshots may arrive late or twice).

    A newer snapshot of an account whose deletion is requested issues its final invoice (once:
    the month is then invoiced, and a later snapshot finds it so)."""
    await apply_account_snapshot(tx, snapshot)
    account = snapshot.data
    kept = await account_replica.save_account(
        tx, account.billing_account_id, account.currency, billed_to(account), account.version)
    if kept and account.status is BillingAccountStatus.DELETION_REQUESTED:
        await issue_final_invoice(tx, account.billing_account_id, clock or SystemClock())


def billed_to(account: BillingAccountChangedV1) -> BilledTo:
    """The account's billing details; its name and billing emails alone until the details are set."""
    address = account.billing_address
    return BilledTo(
        legal_name=account.legal_name or account.name,
        billing_emails=tuple(account.billing_emails),
        address=PostalAddress(
            line1=address.line1, line2=address.line2, city=address.city, postal_code=address.postal_code,
            region=address.region, country=address.country,
        ) if address else None,
        tax_id=account.tax_id,
    )
