"""A billing account changed: keep its members (for access) and contact, release held events."""

from billing_contracts import BillingAccountChangedV1, Envelope
from billing_runtime.access import apply_account_snapshot
from billing_runtime.clock import Clock
from sqlalchemy.ext.asyncio import AsyncConnection

from notifications.adapters.contacts import load_contact, lock_account, save_contact
from notifications.adapters.held_events import release_held_events
from notifications.domain.contacts import Contact
from notifications.use_cases.notify_customer import EmailSettings, queue_notification


async def record_account_snapshot(
    transaction: AsyncConnection, envelope: Envelope[BillingAccountChangedV1], settings: EmailSettings, clock: Clock
) -> None:
    """Apply the snapshot if it is newer than the one held, then queue the emails of any event
    that was waiting for this account's contact."""
    billing_account_id = envelope.data.billing_account_id
    await lock_account(transaction, billing_account_id)
    await apply_account_snapshot(transaction, envelope)
    await save_contact(transaction, Contact.from_snapshot(envelope.data))
    held = await release_held_events(transaction, billing_account_id)
    if not held:
        return
    contact = await load_contact(transaction, billing_account_id)
    assert contact is not None, "saved above"
    for event in held:
        await queue_notification(transaction, event, contact, settings, clock)
