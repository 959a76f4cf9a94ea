"""What payments keeps of a billing account: who may act on it, and whom its receipts go to."""

from billing_contracts import BillingAccountChangedV1, Envelope
from billing_runtime.access import apply_account_snapshot
from sqlalchemy.ext.asyncio import AsyncConnection

from payments.adapters import wallet
from payments.domain.customers import customer_email


async def record_account_snapshot(transaction: AsyncConnection, envelope: Envelope[BillingAccountChangedV1]) -> None:
    """Apply the snapshot to the members replica and keep the contact email, unless a newer
    snapshot of the account is already held."""
    if await apply_account_snapshot(transaction, envelope):
        account = envelope.data
        await wallet.keep_contact_email(transaction, account.billing_account_id, customer_email(account))
