"""Keep what invoicing needs of a billing account: its members (for access), its currency, and
who its invoices are addressed to."""

from billing_contracts import BillingAccountChangedV1, Envelope
from billing_runtime.access import apply_account_snapshot
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters import account_replica
from invoicing.domain.billed_to import BilledTo, PostalAddress


async def replicate_billing_account(snapshot: Envelope[BillingAccountChangedV1], tx: AsyncConnection) -> None:
    """Apply the snapshot unless a newer one is already held (snapshots may arrive late or twice)."""
    await apply_account_snapshot(tx, snapshot)
    account = snapshot.data
    await account_replica.save_account(tx, account.billing_account_id, account.currency, billed_to(account), account.version)


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
