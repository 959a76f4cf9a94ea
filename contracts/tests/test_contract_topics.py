"""The topic registry and the event registry describe the same topics and versions."""

import typing
from datetime import datetime

import pytest
from billing_contracts import EVENTS, TOPICS, Cleanup, Event, Topic, dead_letter_topic, topic
from billing_contracts.topics import DAY_MS
from pydantic import AwareDatetime, BaseModel

EVENT_TOPICS = [t for t in TOPICS if not t.is_dead_letter]
DEAD_LETTER_TOPICS = [t for t in TOPICS if t.is_dead_letter]


def test_event_topics_keep_their_partitions_and_cleanup() -> None:
    assert {t.name: (t.partitions, t.cleanup) for t in EVENT_TOPICS} == {
        "usage.recorded": (12, Cleanup.DELETE),
        "invoice.finalized": (6, Cleanup.DELETE),
        "invoice.paid": (6, Cleanup.DELETE),
        "invoice.payment_due": (6, Cleanup.DELETE),
        "invoice.not_paid": (6, Cleanup.DELETE),
        "invoice.voided": (6, Cleanup.DELETE),
        "charge.succeeded": (6, Cleanup.DELETE),
        "charge.failed": (6, Cleanup.DELETE),
        "billing_account.changed": (6, Cleanup.COMPACT),
        "payment_methods.changed": (6, Cleanup.COMPACT),
        "project.linked": (6, Cleanup.DELETE),
    }


def test_project_links_are_kept_for_ever() -> None:
    assert topic("project.linked").config() == {"cleanup.policy": "delete", "retention.ms": "-1"}


def test_topic_names_are_unique_and_every_message_is_keyed_by_account() -> None:
    assert len({t.name for t in TOPICS}) == len(TOPICS)
    assert {t.key for t in TOPICS} == {"billing_account_id"}


def test_every_event_topic_has_one_dead_letter_topic() -> None:
    assert [t.dead_letter_of for t in DEAD_LETTER_TOPICS] == [t.name for t in EVENT_TOPICS]
    for source in EVENT_TOPICS:
        dead_letters = dead_letter_topic(source.name)
        assert dead_letters.name == f"{source.name}.dead_lettered"
        assert (dead_letters.partitions, dead_letters.versions, dead_letters.key) == (3, (), source.key)
        assert dead_letters.config() == {"cleanup.policy": "delete", "retention.ms": str(30 * DAY_MS)}


def test_a_dead_letter_topic_has_no_dead_letter_topic() -> None:
    with pytest.raises(KeyError, match="is a dead-letter topic"):
        dead_letter_topic("usage.recorded.dead_lettered")


def test_topic_finds_registered_topics_and_names_unknown_ones() -> None:
    assert topic("usage.recorded.dead_lettered").dead_letter_of == "usage.recorded"
    assert topic("billing_account.changed").config() == {"cleanup.policy": "compact"}
    with pytest.raises(KeyError, match="'usage.forgotten'"):
        topic("usage.forgotten")


def test_topics_built_elsewhere_still_work_with_the_old_fields() -> None:
    built = Topic("test.topic", partitions=1)

    assert built.versions == (1,) and not built.is_dead_letter
    assert built.config() == {"cleanup.policy": "delete", "retention.ms": str(14 * DAY_MS)}


def test_every_event_topic_has_an_event_class_for_each_of_its_versions() -> None:
    for registered in EVENT_TOPICS:
        assert registered.versions, registered.name
        assert EVENTS.versions(registered.name) == registered.versions, registered.name


def test_every_event_class_is_carried_by_a_registered_topic() -> None:
    for (event_type, version), event in EVENTS.items():
        assert (event.event_type, event.schema_version) == (event_type, version)
        assert version in topic(event_type).versions, event.__name__
        assert not topic(event_type).is_dead_letter


def contract_models(model: type[BaseModel]) -> typing.Iterator[type[BaseModel]]:
    """`model` and every model nested in its fields."""
    yield model
    for field in model.model_fields.values():
        for argument in _flatten(field.annotation):
            if isinstance(argument, type) and issubclass(argument, BaseModel):
                yield from contract_models(argument)


def _flatten(annotation: object) -> typing.Iterator[object]:
    yield annotation
    for argument in typing.get_args(annotation):
        yield from _flatten(argument)


@pytest.mark.parametrize("event", EVENTS.values(), ids=lambda event: event.__name__)
def test_every_contract_is_documented_immutable_and_tolerant(event: type[Event]) -> None:
    for model in contract_models(event):
        assert model.model_config.get("extra") == "ignore", model.__name__
        assert model.model_config.get("frozen") is True, model.__name__
        assert model.__doc__, model.__name__
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description"
            assert field.examples, f"{model.__name__}.{name} has no examples"


@pytest.mark.parametrize("event", EVENTS.values(), ids=lambda event: event.__name__)
def test_no_contract_holds_a_float_or_a_naive_time(event: type[Event]) -> None:
    for model in contract_models(event):
        for name, field in model.model_fields.items():
            kinds = list(_flatten(field.annotation))
            assert float not in kinds, f"{model.__name__}.{name} is a float"
            assert datetime not in kinds, f"{model.__name__}.{name} accepts naive datetimes"


@pytest.mark.parametrize("event", EVENTS.values(), ids=lambda event: event.__name__)
def test_the_occurred_at_field_names_a_time_of_the_event(event: type[Event]) -> None:
    if event.occurred_at_field is not None:
        assert event.model_fields[event.occurred_at_field].annotation is AwareDatetime


def test_the_examples_of_every_contract_are_valid(sample_events: dict[str, Event]) -> None:
    """Each field's first example, put together, makes a valid event of every type."""
    for event in EVENTS.values():
        example = {name: field.examples[0] for name, field in event.model_fields.items() if field.examples}
        assert isinstance(event.model_validate(example), event)
    assert set(sample_events) == set(EVENTS.event_types())
