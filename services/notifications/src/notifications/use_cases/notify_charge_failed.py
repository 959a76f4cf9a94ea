"""A charge failed: queue an "action required" email for each recipient of the account.

Only rows are written, in the consumer's transaction; the mail sender sends them later. If
the account's contact has not arrived yet, the event is held until its snapshot does.
"""

import logging

from billing_contracts import ChargeFailedV1, Envelope
from billing_runtime.clock import Clock
from sqlalchemy.ext.asyncio import AsyncConnection

from notifications.adapters.contacts import load_contact, lock_account
from notifications.adapters.email_log import queue_emails
from notifications.adapters.held_events import hold_event
from notifications.domain.action_required import compose_action_required
from notifications.domain.contacts import Contact
from notifications.domain.mail import EmailKind

log = logging.getLogger(__name__)


async def notify_charge_failed(
    transaction: AsyncConnection, envelope: Envelope[ChargeFailedV1], dashboard_base_url: str, clock: Clock
) -> None:
    billing_account_id = envelope.data.billing_account_id
    await lock_account(transaction, billing_account_id)
    contact = await load_contact(transaction, billing_account_id)
    if contact is None:
        log.info("charge.failed %s: no contact for %s yet; held until its snapshot", envelope.id, billing_account_id)
        await hold_event(transaction, envelope, clock.now())
        return
    await queue_action_required(transaction, envelope, contact, dashboard_base_url, clock)


async def queue_action_required(
    transaction: AsyncConnection, envelope: Envelope[ChargeFailedV1], contact: Contact, dashboard_base_url: str,
    clock: Clock,
) -> None:
    emails = compose_action_required(envelope.data, contact, dashboard_base_url)
    if not emails:
        log.warning("charge.failed %s: billing account %s has no deliverable address; nobody is told",
                    envelope.id, contact.billing_account_id)
        return
    await queue_emails(transaction, event_id=envelope.id, billing_account_id=contact.billing_account_id,
                       kind=EmailKind.ACTION_REQUIRED, emails=emails, at=clock.now())
