"""Why a charge failed, in plain words, from `ChargeFailedV1.failure_kind` and `decline_code`."""

from billing_contracts import ChargeFailureKind

_BY_DECLINE_CODE = {
    "expired_card": "your card has expired",
    "insufficient_funds": "your card has insufficient funds",
    "authentication_required": "your bank needs you to confirm the payment (authentication needed)",
    "incorrect_cvc": "the card's security code was not accepted",
    "incorrect_number": "the card number was not accepted",
    "lost_card": "your card was declined",
    "stolen_card": "your card was declined",
}
"""Issuer decline codes worth naming; any other is read through the failure kind."""

_BY_KIND = {
    ChargeFailureKind.DECLINED: "your card was declined",
    ChargeFailureKind.INSUFFICIENT_FUNDS: "your card has insufficient funds",
    ChargeFailureKind.AUTHENTICATION_REQUIRED: "your bank needs you to confirm the payment (authentication needed)",
    ChargeFailureKind.NO_PAYMENT_METHOD: "there is no card on file for your billing account",
    ChargeFailureKind.PROCESSING_ERROR: "our payment provider had a temporary problem",
}

_WHAT_TO_DO = {
    ChargeFailureKind.AUTHENTICATION_REQUIRED: "confirm the payment with your bank, or pay the invoice by hand.",
    ChargeFailureKind.NO_PAYMENT_METHOD: "add a card to your billing account, or pay the invoice by hand.",
    ChargeFailureKind.PROCESSING_ERROR: "nothing, unless you would rather pay the invoice by hand now.",
}


def plain_reason(kind: ChargeFailureKind, decline_code: str | None) -> str:
    """A sentence for the customer: "Your card has expired." The kind decides for
    authentication and a missing card; otherwise a known decline code is more precise."""
    if kind not in (ChargeFailureKind.AUTHENTICATION_REQUIRED, ChargeFailureKind.NO_PAYMENT_METHOD):
        reason = _BY_DECLINE_CODE.get((decline_code or "").strip().lower())
        if reason:
            return _sentence(reason)
    return _sentence(_BY_KIND.get(kind, "your card was declined"))


def what_to_do(kind: ChargeFailureKind) -> str:
    return _WHAT_TO_DO.get(kind, "update your card (or add another one), or pay the invoice by hand.")


def needs_authentication(kind: ChargeFailureKind, decline_code: str | None) -> bool:
    return kind is ChargeFailureKind.AUTHENTICATION_REQUIRED or decline_code == "authentication_required"


def _sentence(text: str) -> str:
    return f"{text[0].upper()}{text[1:]}."
