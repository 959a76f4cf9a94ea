"""Cards on file, through HTTP, against the real database and the Stripe-compatible emulator."""

import pytest

pytestmark = pytest.mark.stack
GOOD_CARD, REFUSED_ON_ATTACH = "4242424242424242", "4000000000000002"


def path(account: str) -> str:
    return f"/v1/billing-accounts/{account}/payment-methods"


async def test_the_first_card_is_primary_listed_and_announced(http, auth, people, new_account, browser_card, outbox, stored, stripe_client):
    account = await new_account()
    pm = browser_card(GOOD_CARD)

    added = await http.post(path(account), json={"payment_method_id": pm}, headers=auth(people.owner))

    assert added.status_code == 201, added.text
    assert added.json() == {"id": pm, "brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2031, "is_primary": True,
                            "expires_before_next_billing": False}
    listed = await http.get(path(account), headers=auth(people.viewer))
    assert listed.status_code == 200 and listed.json() == [added.json()]
    (snapshot,) = await outbox("payment_methods.changed", account)
    assert (snapshot["has_primary"], snapshot["count"], snapshot["version"]) == (True, 1, 1)
    assert snapshot["primary"]["payment_method_id"] == pm and snapshot["primary"]["last4"] == "4242"
    (customer_id,) = await stored.stripe_customers(account)
    assert stripe_client.v1.payment_methods.retrieve(pm).customer == customer_id
    assert stripe_client.v1.customers.retrieve(customer_id).email == "billing@acme.example"


async def test_a_second_card_is_kept_but_not_primary(http, auth, people, new_account, browser_card, outbox, stored):
    account = await new_account()
    first, second = browser_card(GOOD_CARD), browser_card(GOOD_CARD)
    for pm in (first, second):
        response = await http.post(path(account), json={"payment_method_id": pm}, headers=auth(people.owner))
        assert response.status_code == 201, response.text

    assert response.json()["is_primary"] is False
    listed = (await http.get(path(account), headers=auth(people.owner))).json()
    assert [(card["id"], card["is_primary"]) for card in listed] == [(first, True), (second, False)]
    snapshots = await outbox("payment_methods.changed", account)
    assert [(s["count"], s["version"], s["primary"]["payment_method_id"]) for s in snapshots] == [(1, 1, first), (2, 2, first)]
    assert len(await stored.stripe_customers(account)) == 1


async def test_adding_a_card_again_changes_nothing(http, auth, people, new_account, browser_card, outbox):
    account = await new_account()
    pm = browser_card(GOOD_CARD)
    first = await http.post(path(account), json={"payment_method_id": pm}, headers=auth(people.owner))
    again = await http.post(path(account), json={"payment_method_id": pm}, headers=auth(people.owner))
    assert again.status_code == 201 and again.json() == first.json()
    assert len((await http.get(path(account), headers=auth(people.owner))).json()) == 1
    assert len(await outbox("payment_methods.changed", account)) == 1


async def test_a_card_refused_on_attach_is_answered_with_stripes_message(http, auth, people, new_account, browser_card, outbox):
    account = await new_account()
    refused = await http.post(path(account), json={"payment_method_id": browser_card(REFUSED_ON_ATTACH)}, headers=auth(people.owner))
    assert refused.status_code == 402 and refused.json()["detail"] == "Your card was declined."
    unknown = await http.post(path(account), json={"payment_method_id": "pm_doesnotexist"}, headers=auth(people.owner))
    assert unknown.status_code == 422
    assert (await http.get(path(account), headers=auth(people.owner))).json() == []
    assert await outbox("payment_methods.changed", account) == []


async def test_only_members_see_cards_and_only_admins_add_them(http, auth, people, new_account, browser_card):
    account = await new_account()
    body = {"payment_method_id": browser_card(GOOD_CARD)}
    assert (await http.get(path(account), headers=auth(people.stranger))).status_code == 404
    assert (await http.post(path(account), json=body, headers=auth(people.stranger))).status_code == 404
    assert (await http.post(path(account), json=body, headers=auth(people.viewer))).status_code == 403
    assert (await http.get(path(account))).status_code == 401
