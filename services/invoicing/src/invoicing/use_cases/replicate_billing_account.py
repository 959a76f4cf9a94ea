"""Keep what invoicing needs of a billing account: its members (for access) and its currency."""

from billing_contracts import BillingAccountChangedV1, Envelope
from billing_runtime.access import apply_account_snapshot
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters import account_replica


async def replicate_billing_account(snapshot: Envelope[BillingAccountChangedV1], tx: AsyncConnection) -> None:
    """Apply the snapshot unless a newer one is already held (snapshots may arrive late or twice)."""
    await apply_account_snapshot(tx, snapshot)
    account = snapshot.data
    await account_replica.save_currency(tx, account.billing_account_id, account.currency, account.version)
