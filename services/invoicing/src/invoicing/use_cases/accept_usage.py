"""Usage over HTTP, for producers that cannot speak Kafka: a batch checked whole, the good events
published to `usage.recorded` through the outbox in one transaction, the others refused by index."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from billing_contracts import UsageRecordedV1, new_envelope, new_event_id
from billing_runtime.clock import Clock
from billing_runtime.messaging.outbox import publish_events
from billing_runtime.messaging.tables import OUTBOX
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters import price_catalog
from invoicing.domain.errors import UsageFromTheFuture, UsageTooOld
from invoicing.domain.usage import Usage, UsageWindow

SOURCE = "/billing/invoicing/usage-api"
MAX_BATCH = 1_000


@dataclass(frozen=True)
class Refusal:
    index: int
    field: str
    message: str


@dataclass
class UsageAcceptance:
    accepted: list[tuple[int, uuid.UUID]] = field(default_factory=list)
    """Index in the batch and event id. An id sent before is accepted again and published once
    while the outbox keeps it (`OUTBOX_RETENTION_DAYS`, a week); sent again after that, it is
    published again, and the usage consumer's inbox (which remembers ids for the whole usage
    window) counts it once all the same."""
    rejected: list[Refusal] = field(default_factory=list)


async def accept_usage(items: Sequence[dict[str, Any]], tx: AsyncConnection, clock: Clock,
                       window: UsageWindow) -> UsageAcceptance:
    """Check every item (contract, known meter, within the window, one id once), then publish the
    good ones in `tx`. Each item is the event's data plus an optional `event_id` (a UUID: the
    dedup key; give it, so a retried request counts once)."""
    if len(items) > MAX_BATCH:
        raise ValueError(f"a batch holds at most {MAX_BATCH} events, not {len(items)}")
    book, now = await price_catalog.load_price_book(tx), clock.now()
    result, good, seen = UsageAcceptance(), [], set()
    for index, item in enumerate(items):
        refusal, event_id = _event_id(index, item.get("event_id"))
        if refusal is None and event_id in seen:
            refusal = Refusal(index, "event_id", "the same event_id is given twice in this batch")
        if refusal is None:
            try:
                event = UsageRecordedV1.model_validate({k: v for k, v in item.items() if k != "event_id"})
                if event.meter not in book:
                    refusal = Refusal(index, "meter", f"meter {event.meter!r} is not in the price book")
                else:
                    window.check([Usage(event.billing_account_id, event.project_id, event.meter, event.quantity,
                                        event.occurred_at)], now)
            except ValidationError as error:
                problem = error.errors()[0]
                refusal = Refusal(index, ".".join(str(part) for part in problem["loc"]) or "body", problem["msg"])
            except (UsageFromTheFuture, UsageTooOld) as error:
                refusal = Refusal(index, "occurred_at", str(error))
        if refusal is not None:
            result.rejected.append(refusal)
            continue
        seen.add(event_id)
        good.append((index, event_id, event))
    sent_before = set((await tx.execute(select(OUTBOX.c.event_id).where(OUTBOX.c.event_id.in_([g[1] for g in good])))).scalars())
    await publish_events(tx, [new_envelope(event, source=SOURCE, event_id=event_id)
                              for _, event_id, event in good if event_id not in sent_before])
    result.accepted = [(index, event_id) for index, event_id, _ in good]
    return result


def _event_id(index: int, given: Any) -> tuple[Refusal | None, uuid.UUID]:
    if given is None:
        return None, new_event_id()
    try:
        return None, uuid.UUID(str(given))
    except ValueError:
        return Refusal(index, "event_id", f"event_id must be a UUID, not {given!r}"), uuid.UUID(int=0)
