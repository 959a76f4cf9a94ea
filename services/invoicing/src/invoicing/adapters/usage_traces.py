"""Where the usage billed on an invoice came from: the trace of the latest usage counted into
each aggregate (`usage_aggregates.traceparent`), for the finalization to link back to."""

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters.tables import USAGE_AGGREGATES as A
from invoicing.adapters.tables import among


async def traces_of_usage_to_bill(
    tx: AsyncConnection, accounts: Collection[str], period_start: datetime,
) -> dict[str, dict[str, list[str]]]:
    """Per account and project (one query for them all), the traceparents of the usage an invoice
    of the period bills: the period's own and the late usage of earlier periods not billed yet
    (read before the late flags are cleared)."""
    query = (select(A.c.billing_account_id, A.c.project_id, A.c.traceparent)
             .where(among(A.c.billing_account_id, accounts), A.c.traceparent.is_not(None),
                    or_(A.c.period_start == period_start, and_(A.c.late_unbilled, A.c.period_start < period_start)))
             .order_by(A.c.billing_account_id, A.c.project_id, A.c.meter, A.c.period_start))
    traces: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for account, project_id, traceparent in await tx.execute(query):
        traces[account][project_id].append(traceparent)
    return traces
