"""Usage is billed to the account its project belonged to when the usage happened: the rule alone,
then against the real database with the replica of accounts' project links."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from billing_contracts import ProjectLinkedV1
from billing_runtime.clock import FixedClock
from sqlalchemy import select

from invoicing.adapters.tables import USAGE_TOTALS
from invoicing.domain.project_links import ProjectLink, account_paying_at, billed_to_payers
from invoicing.domain.usage import Usage
from invoicing.use_cases.record_usage import record_usage
from invoicing.use_cases.replicate_project_link import replicate_project_link

NOV_3, NOV_20 = datetime(2026, 11, 3, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC)
HISTORY = [ProjectLink("prj_1", NOV_20, "ba_b"), ProjectLink("prj_1", NOV_3, "ba_a")]


def test_the_account_paying_is_the_latest_link_at_or_before_the_instant():
    assert account_paying_at(HISTORY, NOV_3 - timedelta(microseconds=1)) is None
    assert account_paying_at(HISTORY, NOV_3) == "ba_a"
    assert account_paying_at(HISTORY, NOV_20 - timedelta(microseconds=1)) == "ba_a"
    assert account_paying_at(HISTORY, NOV_20) == "ba_b"


def test_usage_goes_to_the_payer_of_its_time_and_the_producers_account_stands_where_history_is_silent():
    usage = lambda account, project, at: Usage(account, project, "compute.vcpu_hours", Decimal(1), at)
    billed = billed_to_payers([
        usage("ba_b", "prj_1", NOV_3 + timedelta(days=1)),   # the producer named today's account
        usage("ba_a", "prj_1", NOV_20 + timedelta(days=1)),
        usage("ba_x", "prj_1", NOV_3 - timedelta(days=1)),   # before the first link
        usage("ba_y", "prj_other", NOV_20),                   # no link known
    ], {"prj_1": HISTORY})
    assert [u.billing_account_id for u in billed] == ["ba_a", "ba_b", "ba_x", "ba_y"]


def test_a_batch_is_billed_as_each_usage_alone_would_be_at_every_boundary():
    """A batch is billed by the rule `account_paying_at` states for one instant: at each link's
    instant, just before and after, and where two links share an instant."""
    same_instant = [*HISTORY, ProjectLink("prj_1", NOV_20, "ba_c")]
    instants = [at + timedelta(microseconds=d) for at in (NOV_3, NOV_20) for d in (-1, 0, 1)]
    billed = billed_to_payers([Usage("ba_p", "prj_1", "compute.vcpu_hours", Decimal(1), at) for at in instants],
                              {"prj_1": same_instant})
    assert [u.billing_account_id for u in billed] == [account_paying_at(same_instant, at) or "ba_p" for at in instants]
    assert [u.billing_account_id for u in billed] == ["ba_p", "ba_a", "ba_a", "ba_a", "ba_c", "ba_c"]


async def test_usage_of_a_moved_project_is_counted_for_the_account_paying_when_it_happened(engine, far_period):
    first, second, project = (f"{p}_{uuid.uuid4().hex[:12]}" for p in ("ba", "ba", "prj"))
    moved_at = far_period.start + timedelta(days=10)
    async with engine.begin() as tx:  # the move arrives before the first link: order does not matter
        await replicate_project_link(ProjectLinkedV1(billing_account_id=second, project_id=project, linked_from=moved_at,
                                                     previous_billing_account_id=first), tx)
        await replicate_project_link(ProjectLinkedV1(billing_account_id=first, project_id=project,
                                                     linked_from=far_period.start), tx)
        await replicate_project_link(ProjectLinkedV1(billing_account_id=first, project_id=project,
                                                     linked_from=far_period.start), tx)  # a redelivery
    usage = [Usage(second, project, "compute.vcpu_hours", Decimal(q), far_period.start + timedelta(days=d))
             for q, d in (("5", 2), ("7", 9), ("11", 10), ("13", 20))]
    async with engine.begin() as tx:
        await record_usage(usage, tx, FixedClock(far_period.end))

    async with engine.connect() as connection:
        rows = await connection.execute(select(USAGE_TOTALS.c.billing_account_id, USAGE_TOTALS.c.quantity,
                                               USAGE_TOTALS.c.event_count)
                                        .where(USAGE_TOTALS.c.project_id == project))
        counted = {row.billing_account_id: (row.quantity, row.event_count) for row in rows}
    assert counted == {first: (Decimal(12), 2), second: (Decimal(24), 2)}
