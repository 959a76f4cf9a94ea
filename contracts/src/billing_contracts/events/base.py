"""The base of every event contract, and the registry that finds a contract by (type, version)."""

from collections.abc import Iterable, Iterator, Mapping
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from billing_contracts.errors import UnknownEventType, UnknownSchemaVersion
from billing_contracts.values import Identifier


class Event(BaseModel):
    """The `data` of one message: a fact, in the past tense, about one billing account.

    Unknown fields are ignored so a consumer keeps reading when a producer adds an optional
    field in a later revision of the same schema version. Events are immutable.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_type: ClassVar[str]
    """The CloudEvents `type`, which is also the topic name."""
    schema_version: ClassVar[int]
    """The envelope's `schemaversion`; a breaking change is a new class with the next version."""
    occurred_at_field: ClassVar[str | None] = None
    """The field holding when the event happened: the envelope `time` unless given explicitly."""

    billing_account_id: Identifier = Field(
        description="The billing account the event is about; the Kafka key and the envelope subject.",
        examples=["ba_7Hq2kLm9"],
    )


class EventRegistry(Mapping[tuple[str, int], type[Event]]):
    """Event classes keyed by (event type, schema version), so V1 and V2 are read side by side."""

    def __init__(self, events: Iterable[type[Event]]) -> None:
        by_key: dict[tuple[str, int], type[Event]] = {}
        for event in events:
            for attribute in ("event_type", "schema_version"):
                if not hasattr(event, attribute):
                    raise TypeError(f"{event.__name__} does not set the class variable {attribute!r}")
            key = (event.event_type, event.schema_version)
            if key in by_key:
                raise ValueError(f"{event.__name__} and {by_key[key].__name__} are both {key[0]} v{key[1]}")
            by_key[key] = event
        self._events = dict(sorted(by_key.items()))

    def __getitem__(self, key: tuple[str, int]) -> type[Event]:
        return self._events[key]

    def __iter__(self) -> Iterator[tuple[str, int]]:
        return iter(self._events)

    def __len__(self) -> int:
        return len(self._events)

    def event_types(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(event_type for event_type, _ in self._events))

    def versions(self, event_type: str) -> tuple[int, ...]:
        return tuple(version for known_type, version in self._events if known_type == event_type)

    def lookup(self, event_type: str, schema_version: int) -> type[Event]:
        """The class for this type and version, or the `ContractError` a consumer dead-letters."""
        event = self._events.get((event_type, schema_version))
        if event is not None:
            return event
        known = self.versions(event_type)
        if not known:
            raise UnknownEventType(event_type)
        raise UnknownSchemaVersion(event_type, schema_version, known)

    def with_events(self, *events: type[Event]) -> "EventRegistry":
        """A copy that also knows `events`, replacing any class registered for the same key."""
        replaced = {(event.event_type, event.schema_version) for event in events}
        kept = [event for key, event in self._events.items() if key not in replaced]
        return EventRegistry([*kept, *events])

    def __repr__(self) -> str:
        return f"EventRegistry({', '.join(f'{t} v{v}' for t, v in self._events)})"
