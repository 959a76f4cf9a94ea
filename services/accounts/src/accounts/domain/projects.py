"""Projects paid for by a billing account. A project belongs to one account at a time; its
history of links says which account paid for it at any instant (usage is billed to that one)."""

import re
from dataclasses import dataclass
from datetime import datetime

from accounts.domain.errors import InvalidRequest

# The platform's project ids are opaque; what the contracts' `Identifier` allows, minus oddities.
PROJECT_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-.:]{0,127}$")


@dataclass(frozen=True)
class ProjectLink:
    """`project_id` was paid for by `billing_account_id` from `linked_from` (inclusive) until
    `linked_until` (exclusive; None while it still is)."""

    project_id: str
    billing_account_id: str
    linked_from: datetime
    linked_until: datetime | None = None

    def covers(self, at: datetime) -> bool:
        return self.linked_from <= at and (self.linked_until is None or at < self.linked_until)


def project_id(raw: str, field: str = "project_id", where: str = "body") -> str:
    if not PROJECT_ID_PATTERN.fullmatch(raw):
        problem = f"must be 1 to 128 letters, digits, '_', '-', '.' or ':' starting with a letter or digit, not {raw[:140]!r}"
        raise InvalidRequest({field: problem}, where)
    return raw


def account_paying_at(history: list[ProjectLink], at: datetime) -> str | None:
    """The billing account `history` says paid for the project at `at`, if any."""
    return next((link.billing_account_id for link in history if link.covers(at)), None)
