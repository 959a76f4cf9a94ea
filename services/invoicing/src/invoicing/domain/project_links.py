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


class PaymentHistory:
    """A project's links, ordered once: which account paid for it at any instant."""

    def __init__(self, links: Iterable[ProjectLink]) -> None:
        self.links = sorted(links)
        self._starts = [link.linked_from for link in self.links]

    def payer_at(self, at: datetime) -> str | None:
        """The account of the latest link at or before `at`; None before the first one."""
        latest = bisect_right(self._starts, at) - 1
        return self.links[latest].billing_account_id if latest >= 0 else None


def account_paying_at(links: Sequence[ProjectLink], at: datetime) -> str | None:
    return PaymentHistory(links).payer_at(at)


def billed_to_payers(usages: Iterable[Usage], links: Mapping[str, Sequence[ProjectLink]]) -> list[Usage]:
    """Each usage with the account its project belonged to when it happened.

    The producer's account stands where the history says nothing: a project invoicing has no
    link for (yet: links and usage travel on different topics), or usage from before its first link.
    """
    # Thousands of usages a batch, of a few projects: each history is ordered once, then searched.
    histories = {project: PaymentHistory(history) for project, history in links.items() if history}
    if not histories:
        return list(usages)
    billed = []
    for usage in usages:
        history = histories.get(usage.project_id)
        payer = history.payer_at(usage.occurred_at) if history else None
        billed.append(usage if payer in (None, usage.billing_account_id) else usage._replace(billing_account_id=payer))
    return billed
