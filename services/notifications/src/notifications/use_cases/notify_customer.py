"""An event the customer must hear about (a failed charge, an invoice finalized, paid or not
paid): queue its email for each recipient of the account.

Only rows are written, in the consumer's transaction; the mail sender sends them later. If
the account's contact has not arrived yet, the event is held until its snapshot does (or
until it is too old: see `expire_held_events`).
"""

import logging
from dataclasses import dataclass

from billing_contracts import Envelope
from billing_runtime.clock import Clock
from sqlalchemy.ext.asyncio import AsyncConnection

from notifications.adapters.contacts import load_contact, lock_account
from notifications.adapters.email_log import queue_emails, record_unsent
from notifications.adapters.held_events import hold_event
from notifications.adapters.preferences import load_preferences
from notifications.domain.contacts import Contact
from notifications.domain.emails import compose, describe, kind_for
from notifications.domain.preferences import NotificationPreferences

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmailSettings:
    """What composing needs from the configuration."""

    dashboard_base_url: str
    """Where the emails' links point (`DASHBOARD_BASE_URL`)."""
    default_preferences: NotificationPreferences
    """The optional emails of an account that never chose."""


async def notify_customer(transaction: AsyncConnection, envelope: Envelope, settings: EmailSettings, clock: Clock) -> None:
    billing_account_id = envelope.data.billing_account_id
    await lock_account(transaction, billing_account_id)
    contact = await load_contact(transaction, billing_account_id)
    if contact is None:
        log.info("%s %s: no contact for %s yet; held until its snapshot", envelope.type, envelope.id, billing_account_id)
        await hold_event(transaction, envelope, clock.now())
        return
    await queue_notification(transaction, envelope, contact, settings, clock)


async def queue_notification(
    transaction: AsyncConnection, envelope: Envelope, contact: Contact, settings: EmailSettings, clock: Clock
) -> None:
    """Queue the event's emails, unless the account turned that kind off; an event that has
    nobody to go to leaves a failed entry in the account's log instead."""
    kind = kind_for(envelope.data)
    preferences = await load_preferences(transaction, contact.billing_account_id) or settings.default_preferences
    if not preferences.allows(kind):
        return
    emails = compose(envelope.data, contact, settings.dashboard_base_url)
    if not emails:
        log.warning("%s %s: billing account %s has no deliverable address; nobody is told",
                    envelope.type, envelope.id, contact.billing_account_id)
        await record_unsent(transaction, event_id=envelope.id, billing_account_id=contact.billing_account_id,
                            kind=kind, subject=f"Not sent: {describe(envelope.data)}",
                            reason="the account has no deliverable email address", at=clock.now())
        return
    await queue_emails(transaction, event_id=envelope.id, billing_account_id=contact.billing_account_id,
                       kind=kind, emails=emails, at=clock.now())
