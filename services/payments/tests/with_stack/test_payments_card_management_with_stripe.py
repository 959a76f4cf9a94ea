"""Setting up, choosing and removing cards on file, through HTTP, against the Stripe emulator."""

from datetime import UTC, datetime

import pytest

pytestmark = pytest.mark.stack
GOOD_CARD, INSUFFICIENT_FUNDS = "4242424242424242", "4000000000009995"


def cards(account: str) -> str:
    return f"/v1/billing-accounts/{account}/payment-methods"


async def add(http, auth, people, account: str, pm: str, **body):
    response = await http.post(cards(account), json={"payment_method_id": pm, **body}, headers=auth(people.owner))
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_setup_intent_is_made_for_the_accounts_customer_and_its_card_added(http, auth, people, new_account, browser_card, stored, stripe_client):
    account = await new_account()
    response = await http.post(f"/v1/billing-accounts/{account}/setup-intents", headers=auth(people.owner))
    assert response.status_code == 201, response.text
    setup = response.json()
    assert setup["id"].startswith("seti_") and setup["client_secret"].startswith(setup["id"] + "_secret_")
    (customer_id,) = await stored.stripe_customers(account)
    assert stripe_client.v1.setup_intents.retrieve(setup["id"]).customer == customer_id

    # What Stripe.js does in the browser with the client secret, then the page adds the card.
    pm = browser_card(GOOD_CARD)
    confirmed = stripe_client.v1.setup_intents.confirm(setup["id"], params={"payment_method": pm})
    assert confirmed.status == "succeeded"
    assert (await add(http, auth, people, account, pm))["is_primary"] is True
    assert await stored.stripe_customers(account) == [customer_id], "one customer for the setup and the card"

    again = await http.post(f"/v1/billing-accounts/{account}/setup-intents", headers=auth(people.viewer))
    assert again.status_code == 403
    assert (await http.post(f"/v1/billing-accounts/{account}/setup-intents", headers=auth(people.stranger))).status_code == 404


async def test_another_card_is_made_primary_and_announced_once(http, auth, people, new_account, browser_card, outbox):
    account = await new_account()
    first = (await add(http, auth, people, account, browser_card(GOOD_CARD)))["id"]
    second = (await add(http, auth, people, account, browser_card(GOOD_CARD)))["id"]

    made = await http.post(f"{cards(account)}/{second}/primary", headers=auth(people.owner))
    assert made.status_code == 200 and made.json()["is_primary"] is True
    again = await http.post(f"{cards(account)}/{second}/primary", headers=auth(people.owner))
    assert again.status_code == 200

    listed = (await http.get(cards(account), headers=auth(people.viewer))).json()
    assert [(c["id"], c["is_primary"]) for c in listed] == [(first, False), (second, True)]
    snapshots = await outbox("payment_methods.changed", account)
    assert [(s["version"], s["primary"]["payment_method_id"]) for s in snapshots] == [(1, first), (2, first), (3, second)]


async def test_a_card_added_as_primary_replaces_the_primary(http, auth, people, new_account, browser_card, outbox):
    account = await new_account()
    first = (await add(http, auth, people, account, browser_card(GOOD_CARD)))["id"]
    second = await add(http, auth, people, account, browser_card(GOOD_CARD), make_primary=True)
    assert second["is_primary"] is True
    listed = (await http.get(cards(account), headers=auth(people.owner))).json()
    assert [(c["id"], c["is_primary"]) for c in listed] == [(first, False), (second["id"], True)]
    assert (await outbox("payment_methods.changed", account))[-1]["primary"]["payment_method_id"] == second["id"]


async def test_the_primary_card_cannot_be_deleted_and_another_is_detached(http, auth, people, new_account, browser_card, outbox, stripe_client):
    account = await new_account()
    primary = (await add(http, auth, people, account, browser_card(GOOD_CARD)))["id"]
    spare = (await add(http, auth, people, account, browser_card(GOOD_CARD)))["id"]

    refused = await http.delete(f"{cards(account)}/{primary}", headers=auth(people.owner))
    assert refused.status_code == 409 and "make another card primary first" in refused.json()["detail"]
    assert stripe_client.v1.payment_methods.retrieve(primary).customer is not None
    assert (await http.delete(f"{cards(account)}/{spare}", headers=auth(people.viewer))).status_code == 403

    removed = await http.delete(f"{cards(account)}/{spare}", headers=auth(people.owner))

    assert removed.status_code == 204
    assert stripe_client.v1.payment_methods.retrieve(spare).customer is None, "detached at Stripe"
    assert [c["id"] for c in (await http.get(cards(account), headers=auth(people.owner))).json()] == [primary]
    last = (await outbox("payment_methods.changed", account))[-1]
    assert (last["count"], last["version"], last["primary"]["payment_method_id"]) == (1, 3, primary)
    assert (await http.delete(f"{cards(account)}/{spare}", headers=auth(people.owner))).status_code == 404


async def test_another_accounts_card_is_neither_made_primary_nor_deleted(http, auth, people, new_account, browser_card, outbox):
    mine, theirs = await new_account(), await new_account()
    await add(http, auth, people, mine, browser_card(GOOD_CARD))
    their_primary = (await add(http, auth, people, theirs, browser_card(GOOD_CARD)))["id"]
    their_spare = (await add(http, auth, people, theirs, browser_card(GOOD_CARD)))["id"]

    assert (await http.post(f"{cards(mine)}/{their_spare}/primary", headers=auth(people.owner))).status_code == 404
    assert (await http.delete(f"{cards(mine)}/{their_spare}", headers=auth(people.owner))).status_code == 404
    assert (await http.post(f"{cards(mine)}/pm_nosuchcard/primary", headers=auth(people.owner))).status_code == 404
    listed = (await http.get(cards(theirs), headers=auth(people.owner))).json()
    assert [(c["id"], c["is_primary"]) for c in listed] == [(their_primary, True), (their_spare, False)]
    assert len(await outbox("payment_methods.changed", mine)) == 1


async def test_a_card_expiring_before_the_next_billing_date_is_flagged(http, auth, people, new_account, browser_card):
    account = await new_account()
    now = datetime.now(UTC)
    expiring = await add(http, auth, people, account, browser_card(GOOD_CARD, exp_month=now.month, exp_year=now.year))
    lasting = await add(http, auth, people, account, browser_card(GOOD_CARD, exp_month=12, exp_year=now.year + 2))
    assert expiring["expires_before_next_billing"] is True
    listed = {c["id"]: c["expires_before_next_billing"] for c in (await http.get(cards(account), headers=auth(people.viewer))).json()}
    assert listed == {expiring["id"]: True, lasting["id"]: False}


async def test_the_emulator_refuses_the_insufficient_funds_card_when_attached(http, auth, people, new_account, browser_card, outbox):
    """localstripe declines 4000000000009995 on attach (real Stripe declines it when charged), so the
    insufficient-funds outcome of a charge is tested with the fake gateway."""
    account = await new_account()
    refused = await http.post(cards(account), json={"payment_method_id": browser_card(INSUFFICIENT_FUNDS)}, headers=auth(people.owner))
    assert refused.status_code == 402
    assert await outbox("payment_methods.changed", account) == []
