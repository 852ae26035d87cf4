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


def test_overview_account_rows_put_the_worst_first() -> None:
    from tui.aws.errors import AwsProblem, ErrorKind
    from tui.aws.outcome import Outcome
    from tui.aws.overview import EbsCard, Ec2Card, KinesisCard, RegionOverview, SessionsCard
    from tui.screens.overview import account_row, unreachable_row

    def region(account: str, unattached: int = 0, lost: int = 0, failing: bool = False) -> RegionOverview:
        quota: Outcome[float] = Outcome(value=640.0)
        ec2: Outcome[Ec2Card] = (
            Outcome(problem=AwsProblem(ErrorKind.PERMISSION, "DescribeInstances: access denied", "grant it"))
            if failing
            else Outcome(value=Ec2Card({"running": 3}, 6, quota))
        )
        return RegionOverview(
            "us-east-1",
            ec2,
            Outcome(value=EbsCard(5, {"gp3": 5}, unattached, 100)),
            Outcome(value=KinesisCard(1, 2, 0)),
            Outcome(value=SessionsCard({"Online": 3, "ConnectionLost": lost} if lost else {"Online": 3}, 0)),
            account,
            account,
        )

    quiet, warned, broken = (
        account_row(region("a")),
        account_row(region("b", lost=2)),
        account_row(region("c", failing=True)),
    )
    assert (quiet.rank, quiet.cells[-1]) == (0, "✓ quiet")
    assert (warned.rank, warned.cells[-1]) == (1, "⚠ 2 nodes not Online")
    assert warned.cells[5] == "3 online · 2 lost"
    assert (
        broken.rank == 2
        and broken.cells[2] == "?"
        and broken.cells[-1].startswith("✖ EC2: DescribeInstances")
    )
    gone = unreachable_row("sandbox (567890123456)", "the role warroom-readonly is missing")
    assert gone.rank == 2 and gone.cells[-1] == "✖ cannot be reached: the role warroom-readonly is missing"


def test_an_action_runs_in_its_rows_account_or_nowhere() -> None:
    from tui.aws.scope import acting_place, home_places

    assert acting_place(PLACES, "eu-west-1", MEMBER) == PLACES[3]
    assert acting_place(PLACES, "us-east-1", HOME) == PLACES[0]
    assert acting_place(PLACES, "us-east-1", "") == PLACES[0], "a row of no account: the credential's"
    # an account not reached there now (or a region not watched): no place, never the credential's
    assert acting_place(PLACES, "us-east-1", "567890123456") is None
    assert acting_place(PLACES, "ap-south-1", MEMBER) is None
    # a console of one account names none in its places: every row it shows was read there
    single = home_places(REGIONS)
    assert acting_place(single, "eu-west-1", HOME) == Place("eu-west-1")
    assert acting_place(single, "eu-west-1", "") == Place("eu-west-1")


def test_actions_reach_a_role_account_through_its_acting_role() -> None:
    from tui.aws.scope import acting_places

    read = Place(
        "us-east-1", "210987654321", "payments-prod", "arn:aws-cn:iam::210987654321:role/warroom-readonly"
    )
    profile = Place("us-east-1", "345678901234", "ledger-prod", profile="ledger")
    home = Place("us-east-1", "123456789012", "security-tooling")
    acting = acting_places((read, profile, home), "warroom-remediation")
    assert acting[0].role_arn == "arn:aws-cn:iam::210987654321:role/warroom-remediation"
    assert acting[1:] == (profile, home), "a profile and the credential act as they read"
    assert acting_places((read,), "")[0] == read
