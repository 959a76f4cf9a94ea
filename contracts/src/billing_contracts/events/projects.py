"""Projects: which billing account pays for a project's usage, and from when."""

from typing import ClassVar

from pydantic import Field

from billing_contracts.events.base import Event
from billing_contracts.values import Identifier, UtcDatetime


class ProjectLinkedV1(Event):
    """From `linked_from` on, `billing_account_id` pays for the project's usage.

    Published by accounts when the platform links a project, and when a project moves to
    another account (then keyed by the account it moved to, naming the one it left). The
    links of a project, in order, are its history: usage is billed to the account the project
    belonged to when the usage happened. The topic keeps every link for ever.
    """

    event_type: ClassVar[str] = "project.linked"
    schema_version: ClassVar[int] = 1
    occurred_at_field: ClassVar[str | None] = "linked_from"

    project_id: Identifier = Field(description="The platform's id of the project.", examples=["prj_4kT9wQ"])
    linked_from: UtcDatetime = Field(
        description="From this instant (inclusive) the account pays for the project's usage.",
        examples=["2026-11-03T10:00:00Z"],
    )
    previous_billing_account_id: Identifier | None = Field(
        default=None, description="The account that paid for the project until then; null for a first link.",
        examples=["ba_3Jk8pQz1", None],
    )
