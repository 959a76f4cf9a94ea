"""Pure rules: which card is primary, what a snapshot says, and how Stripe's answers read."""

from datetime import UTC, datetime

import pytest
import stripe
from billing_contracts import AccountMember, BillingAccountChangedV1, ChargeFailureKind

from payments.adapters.stripe_gateway import failure_of_card_error, outcome_of_payment_intent
from payments.domain.charges import ChargeFailure, ChargeOutcomeUnknown, ChargeSucceeded
from payments.domain.customers import customer_email
from payments.domain.payment_methods import CardDetails, PaymentMethod, becomes_primary, payment_methods_snapshot

NOW = datetime(2026, 5, 1, tzinfo=UTC)


def card(pm: str, primary: bool) -> PaymentMethod:
    return PaymentMethod(pm, "ba_1", CardDetails("visa", "4242", 12, 2031), primary, NOW)


def test_the_first_card_becomes_primary_and_later_ones_do_not():
    assert becomes_primary([])
    assert not becomes_primary([card("pm_1", True)])


def test_the_snapshot_names_the_primary_card_and_counts_them_all():
    snapshot = payment_methods_snapshot("ba_1", [card("pm_1", True), card("pm_2", False)], version=3, changed_at=NOW)
    assert (snapshot.has_primary, snapshot.count, snapshot.version) == (True, 2, 3)
    assert snapshot.primary is not None and snapshot.primary.payment_method_id == "pm_1"
    assert payment_methods_snapshot("ba_1", [], version=1, changed_at=NOW).has_primary is False


@pytest.mark.parametrize(
    ("code", "decline_code", "kind"),
    [
        ("card_declined", "insufficient_funds", ChargeFailureKind.INSUFFICIENT_FUNDS),
        ("authentication_required", "authentication_required", ChargeFailureKind.AUTHENTICATION_REQUIRED),
        ("card_declined", "generic_decline", ChargeFailureKind.DECLINED),
        ("card_declined", None, ChargeFailureKind.DECLINED),
        ("expired_card", None, ChargeFailureKind.DECLINED),
        ("processing_error", None, ChargeFailureKind.PROCESSING_ERROR),
    ],
)
def test_stripe_card_errors_map_to_failure_kinds(code, decline_code, kind):
    failure = failure_of_card_error(code, decline_code)
    assert (failure.kind, failure.decline_code) == (kind, decline_code)
    assert failure.customer_message


def _intent(**fields) -> stripe.PaymentIntent:
    return stripe.PaymentIntent.construct_from({"id": "pi_1", "object": "payment_intent", **fields}, "sk_test")


def test_a_payment_intent_reads_as_the_outcome_of_the_charge():
    assert outcome_of_payment_intent(_intent(status="succeeded")) == ChargeSucceeded("pi_1")
    declined = outcome_of_payment_intent(
        _intent(status="requires_payment_method", last_payment_error={"code": "card_declined", "decline_code": "insufficient_funds"})
    )
    assert isinstance(declined, ChargeFailure) and declined.kind is ChargeFailureKind.INSUFFICIENT_FUNDS
    needs_customer = outcome_of_payment_intent(_intent(status="requires_action"))
    assert isinstance(needs_customer, ChargeFailure) and needs_customer.kind is ChargeFailureKind.AUTHENTICATION_REQUIRED
    assert isinstance(outcome_of_payment_intent(_intent(status="processing")), ChargeOutcomeUnknown)


def test_the_stripe_customer_gets_the_billing_email_else_an_owners():
    def account(billing_emails):
        return BillingAccountChangedV1(
            billing_account_id="ba_1", name="Acme", status="active", currency="EUR", billing_emails=billing_emails,
            members=(AccountMember(user_id="u1", email="viewer@acme.example", role="viewer"),
                     AccountMember(user_id="u2", email="owner@acme.example", role="owner")),
            version=1, changed_at=NOW,
        )

    assert customer_email(account(("billing@acme.example",))) == "billing@acme.example"
    assert customer_email(account(())) == "owner@acme.example"
