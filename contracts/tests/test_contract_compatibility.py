"""compatibility_problems: which changes within a schema version break a reader."""

from datetime import date
from enum import StrEnum

import pytest
from billing_contracts import (
    BillingAccountChangedV1,
    ChargeFailedV1,
    ChargeFailureKind,
    Event,
    MemberRole,
    UsageRecordedV1,
)
from billing_contracts.registry import compatibility_problems, event_schema
from billing_contracts.values import EmailAddress, Identifier
from pydantic import BaseModel, ConfigDict, Field


def schema(model: type[BaseModel]) -> dict:
    return model.model_json_schema(mode="serialization")


def test_an_unchanged_copy_is_compatible(contract_copy) -> None:
    copy = contract_copy(UsageRecordedV1)

    assert event_schema(copy) == event_schema(UsageRecordedV1)
    assert compatibility_problems(schema(UsageRecordedV1), schema(copy)) == []


def test_removing_a_usage_field_is_rejected(contract_copy) -> None:
    without_quantity = contract_copy(UsageRecordedV1, without=("quantity",))

    assert compatibility_problems(schema(UsageRecordedV1), schema(without_quantity)) == ["field 'quantity' removed"]


def test_renaming_a_field_is_a_removal_and_a_new_required_field(contract_copy) -> None:
    renamed = contract_copy(
        UsageRecordedV1, without=("meter",), meter_code=(str, Field(description="d", examples=["api.requests"]))
    )

    assert compatibility_problems(schema(UsageRecordedV1), schema(renamed)) == [
        "field 'meter' removed",
        "new required field 'meter_code'",
    ]


def test_adding_an_optional_usage_field_is_accepted() -> None:
    class WithRegion(UsageRecordedV1):
        region: str | None = Field(default=None, description="Where it ran.", examples=["eu-west-1"])

    assert compatibility_problems(schema(UsageRecordedV1), schema(WithRegion)) == []
    assert compatibility_problems(event_schema(UsageRecordedV1), event_schema(WithRegion)) == []


def test_changing_a_type_is_rejected(contract_copy) -> None:
    integral = contract_copy(UsageRecordedV1, quantity=(int, Field(ge=0, description="d", examples=[1])))

    assert compatibility_problems(schema(UsageRecordedV1), schema(integral)) == [
        "field 'quantity' type changed from string to integer"
    ]


def test_a_nested_type_change_is_named_with_its_path(contract_copy) -> None:
    flattened = contract_copy(UsageRecordedV1, properties=(str, Field(default="", description="d", examples=[""])))

    assert compatibility_problems(event_schema(UsageRecordedV1), event_schema(flattened)) == [
        "field 'data.properties' type changed from object to string"
    ]


def test_making_an_optional_field_required_is_rejected(contract_copy) -> None:
    required = contract_copy(UsageRecordedV1, properties=(dict[str, str], Field(description="d", examples=[{}])))

    assert compatibility_problems(schema(UsageRecordedV1), schema(required)) == ["field 'properties' made required"]


def test_making_a_required_field_optional_is_rejected(contract_copy) -> None:
    optional = contract_copy(UsageRecordedV1, project_id=(str, Field(default="", description="d", examples=[""])))

    assert "field 'project_id' made optional" in compatibility_problems(schema(UsageRecordedV1), schema(optional))


def test_making_a_field_nullable_is_a_type_change(contract_copy) -> None:
    nullable = contract_copy(UsageRecordedV1, project_id=(str | None, Field(description="d", examples=[None])))

    assert compatibility_problems(schema(UsageRecordedV1), schema(nullable)) == [
        "field 'project_id' type changed from string to string | null"
    ]


def test_a_new_required_field_is_rejected() -> None:
    class WithRegion(UsageRecordedV1):
        region: str = Field(description="Where it ran.", examples=["eu-west-1"])

    assert compatibility_problems(schema(UsageRecordedV1), schema(WithRegion)) == ["new required field 'region'"]


def test_a_changed_constraint_is_rejected(contract_copy) -> None:
    shorter = contract_copy(UsageRecordedV1, meter=(str, Field(max_length=20, description="d", examples=["x"])))

    assert compatibility_problems(schema(UsageRecordedV1), schema(shorter)) == [
        "field 'meter' pattern changed from ^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*$ to none",
        "field 'meter' maxLength changed from 100 to 20",
    ]


def test_a_changed_format_is_rejected(contract_copy) -> None:
    dated = contract_copy(UsageRecordedV1, occurred_at=(date, Field(description="d", examples=["2026-05-01"])))

    assert compatibility_problems(schema(UsageRecordedV1), schema(dated)) == [
        "field 'occurred_at' format changed from date-time to date"
    ]


class FewerFailureKinds(StrEnum):
    DECLINED = "declined"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    AUTHENTICATION_REQUIRED = "authentication_required"
    NO_PAYMENT_METHOD = "no_payment_method"


MoreFailureKinds = StrEnum("MoreFailureKinds", [*((kind.name, kind.value) for kind in ChargeFailureKind), ("FRAUD", "fraud")])


def test_removing_an_enum_value_is_rejected(contract_copy) -> None:
    fewer = contract_copy(
        ChargeFailedV1, failure_kind=(FewerFailureKinds, Field(description="d", examples=["declined"]))
    )

    assert compatibility_problems(event_schema(ChargeFailedV1), event_schema(fewer)) == [
        "field 'data.failure_kind' enum value 'processing_error' removed"
    ]


def test_adding_an_enum_value_is_accepted(contract_copy) -> None:
    more = contract_copy(ChargeFailedV1, failure_kind=(MoreFailureKinds, Field(description="d", examples=["fraud"])))

    assert compatibility_problems(event_schema(ChargeFailedV1), event_schema(more)) == []


def test_a_change_inside_a_list_of_nested_models_is_found(contract_copy) -> None:
    Role = StrEnum("MemberRole", [(role.name, role.value) for role in MemberRole if role is not MemberRole.VIEWER])

    class AccountMember(BaseModel):
        """A person with access to the billing account."""

        model_config = ConfigDict(extra="ignore", frozen=True)
        user_id: Identifier
        email: EmailAddress
        role: Role  # type: ignore[valid-type]

    fewer_roles = contract_copy(
        BillingAccountChangedV1, members=(tuple[AccountMember, ...], Field(description="d", examples=[[]]))
    )

    assert compatibility_problems(event_schema(BillingAccountChangedV1), event_schema(fewer_roles)) == [
        "field 'data.members[].role' enum value 'viewer' removed"
    ]


def test_documentation_changes_are_compatible() -> None:
    class Redocumented(UsageRecordedV1):
        """Said differently."""

        meter: str = Field(
            max_length=100,
            pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$",
            description="Another description.",
            examples=["other.example"],
        )

    old, new = event_schema(UsageRecordedV1), event_schema(Redocumented)

    assert old != new
    assert compatibility_problems(old, new) == []


@pytest.mark.parametrize("event", [UsageRecordedV1, ChargeFailedV1, BillingAccountChangedV1])
def test_a_schema_is_compatible_with_itself(event: type[Event]) -> None:
    assert compatibility_problems(event_schema(event), event_schema(event)) == []


def test_recursive_models_are_compared_without_looping() -> None:
    class Line(BaseModel):
        label: str
        children: list["Line"] = []

    class Wider(BaseModel):
        label: str
        children: list["Wider"] = []
        note: str | None = None

    assert compatibility_problems(schema(Line), schema(Wider)) == []
