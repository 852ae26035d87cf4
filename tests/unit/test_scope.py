"""The scope: which places the panes poll, and `:account NAME` / `:region NAME`."""

from __future__ import annotations

from tui.aws.scope import Place, place_of
from tui.screens.scope import AccountChoice, Scope, find_scope

HOME, MEMBER = "123456789012", "210987654321"
PLACES = (
    Place("us-east-1", HOME),
    Place("eu-west-1", HOME),
    Place("us-east-1", MEMBER, "payments-prod", "arn:aws:iam::210987654321:role/warroom-readonly"),
    Place("eu-west-1", MEMBER, "payments-prod", "arn:aws:iam::210987654321:role/warroom-readonly"),
)
ACCOUNTS = (
    AccountChoice(HOME, HOME),
    AccountChoice(MEMBER, "payments-prod (210987654321)"),
    AccountChoice("567890123456", "sandbox (567890123456)", "the role warroom-readonly is missing"),
)
REGIONS = ("us-east-1", "eu-west-1")


def test_a_scope_keeps_its_places() -> None:
    assert Scope().keep(PLACES) == PLACES
    assert Scope(MEMBER).keep(PLACES) == PLACES[2:]
    assert Scope("", "eu-west-1").keep(PLACES) == (PLACES[1], PLACES[3])
    assert Scope(MEMBER, "us-east-1").keep(PLACES) == (PLACES[2],)
    assert Scope("999999999999").keep(PLACES) == PLACES, "a scope that keeps nothing keeps everything"


def test_account_and_region_are_found_by_name_id_or_prefix() -> None:
    assert find_scope("account payments", ACCOUNTS, REGIONS, Scope()) == Scope(MEMBER)
    assert find_scope("account 210987654321", ACCOUNTS, REGIONS, Scope()) == Scope(MEMBER)
    assert find_scope("region eu", ACCOUNTS, REGIONS, Scope(MEMBER)) == Scope(MEMBER, "eu-west-1")
    assert find_scope("region all", ACCOUNTS, REGIONS, Scope(MEMBER, "eu-west-1")) == Scope(MEMBER)
    assert find_scope("account all", ACCOUNTS, REGIONS, Scope(MEMBER, "eu-west-1")) == Scope("", "eu-west-1")
    refused = find_scope("account sandbox", ACCOUNTS, REGIONS, Scope())
    assert refused == "sandbox (567890123456) cannot be reached: the role warroom-readonly is missing"
    assert isinstance(find_scope("region us", ACCOUNTS, ("us-east-1", "us-west-2"), Scope()), str)
    assert find_scope("accounts", ACCOUNTS, REGIONS, Scope()) == "type :account NAME or :region NAME"


def test_words_and_the_place_of_an_account() -> None:
    names = {MEMBER: "payments-prod"}
    assert Scope().words(names) == ""
    assert Scope(MEMBER).words(names) == "payments-prod · all regions"
    assert Scope("", "eu-west-1").words(names) == "all accounts · eu-west-1"
    assert place_of(PLACES, "eu-west-1", MEMBER) == PLACES[3]
    assert place_of(PLACES[2:], "us-east-1", "") == Place("us-east-1"), "no home place: the credential's"
