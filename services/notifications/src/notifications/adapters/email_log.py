"""The email log: every email is written here before it is sent, and marked after."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from notifications.adapters.tables import EMAILS
from notifications.domain.delivery import DeliveryOutcome
from notifications.domain.mail import EmailKind, EmailStatus, OutgoingEmail


@dataclass(frozen=True)
class QueuedEmail:
    id: UUID
    attempts: int
    message: OutgoingEmail


@dataclass(frozen=True)
class EmailLogEntry:
    kind: str
    recipient: str
    subject: str
    status: str
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None


async def queue_emails(
    transaction: AsyncConnection, *, event_id: UUID, billing_account_id: str, kind: EmailKind,
    emails: Sequence[OutgoingEmail], at: datetime,
) -> int:
    """Add pending emails; one the event already queued for that recipient is skipped.
    Returns how many were added."""
    if not emails:
        return 0
    rows = [
        {"event_id": event_id, "billing_account_id": billing_account_id, "kind": kind.value,
         "recipient": email.recipient, "subject": email.subject, "body_text": email.body_text,
         "body_html": email.body_html, "status": EmailStatus.PENDING.value, "next_attempt_at": at, "created_at": at}
        for email in emails
    ]
    statement = (
        insert(EMAILS).values(rows)
        .on_conflict_do_nothing(index_elements=["event_id", "recipient", "kind"])
        .returning(EMAILS.c.id)
    )
    return len((await transaction.execute(statement)).all())


async def record_unsent(
    transaction: AsyncConnection, *, event_id: UUID, billing_account_id: str, kind: EmailKind, subject: str,
    reason: str, at: datetime,
) -> None:
    """A `failed` entry with no recipient, for an event that produced no email (no contact in
    time, no deliverable address): the account's log says what was not sent and why."""
    statement = (
        insert(EMAILS)
        .values(event_id=event_id, billing_account_id=billing_account_id, kind=kind.value, recipient="",
                subject=subject, body_text="", body_html="", status=EmailStatus.FAILED.value, last_error=reason,
                next_attempt_at=at, created_at=at)
        .on_conflict_do_nothing(index_elements=["event_id", "recipient", "kind"])
    )
    await transaction.execute(statement)


async def claim_due_email(transaction: AsyncConnection, now: datetime) -> QueuedEmail | None:
    """The pending email due longest, locked until the transaction ends; rows another sender
    holds are skipped, so two senders never send the same email at once."""
    statement = (
        select(EMAILS)
        .where(EMAILS.c.status == EmailStatus.PENDING.value, EMAILS.c.next_attempt_at <= now)
        .order_by(EMAILS.c.next_attempt_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    row = (await transaction.execute(statement)).first()
    if row is None:
        return None
    message = OutgoingEmail(row.recipient, row.subject, row.body_text, row.body_html, reference=str(row.id))
    return QueuedEmail(row.id, row.attempts, message)


async def record_outcome(transaction: AsyncConnection, email_id: UUID, outcome: DeliveryOutcome) -> None:
    values: dict[str, object] = {"status": outcome.status.value, "attempts": outcome.attempts, "last_error": outcome.error}
    if outcome.sent_at is not None:
        values["sent_at"] = outcome.sent_at
    if outcome.next_attempt_at is not None:
        values["next_attempt_at"] = outcome.next_attempt_at
    await transaction.execute(update(EMAILS).where(EMAILS.c.id == email_id).values(**values))


async def account_emails(connection: AsyncConnection, billing_account_id: str, limit: int) -> list[EmailLogEntry]:
    """The account's emails, newest first."""
    statement = (
        select(EMAILS.c.kind, EMAILS.c.recipient, EMAILS.c.subject, EMAILS.c.status, EMAILS.c.created_at,
               EMAILS.c.sent_at, EMAILS.c.last_error)
        .where(EMAILS.c.billing_account_id == billing_account_id)
        .order_by(EMAILS.c.created_at.desc(), EMAILS.c.recipient)
        .limit(limit)
    )
    return [EmailLogEntry(**row._mapping) for row in (await connection.execute(statement)).all()]
