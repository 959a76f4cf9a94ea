"""Which billing account pays for a project's usage: the one the project belonged to when the
usage happened, by the project's link history (a replica of accounts' `project.linked`)."""

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from invoicing.domain.usage import Usage


@dataclass(frozen=True, order=True)
class ProjectLink:
    """From `linked_from` on (until the project's next link), the account pays for the project."""

    project_id: str
    linked_from: datetime
    billing_account_id: str


def account_paying_at(links: Sequence[ProjectLink], at: datetime) -> str | None:
    """The account of the latest link at or before `at`; None before the first one."""
    paying = None
    for link in sorted(links):
        if link.linked_from > at:
            break
        paying = link.billing_account_id
    return paying


def billed_to_payers(usages: Iterable[Usage], links: Mapping[str, Sequence[ProjectLink]]) -> list[Usage]:
    """Each usage with the account its project belonged to when it happened.

    The producer's account stands where the history says nothing: a project invoicing has no
    link for (yet: links and usage travel on different topics), or usage from before its first link.
    """
    # Thousands of usages a batch, of a few projects: each history is ordered once, then searched.
    ordered = {project: sorted(history) for project, history in links.items() if history}
    starts = {project: [link.linked_from for link in history] for project, history in ordered.items()}
    billed = []
    for usage in usages:
        history = ordered.get(usage.project_id)
        if history is None:
            billed.append(usage)
            continue
        latest = bisect_right(starts[usage.project_id], usage.occurred_at) - 1
        payer = history[latest].billing_account_id if latest >= 0 else None
        billed.append(usage if payer in (None, usage.billing_account_id) else usage._replace(billing_account_id=payer))
    return billed
