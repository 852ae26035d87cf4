"""The simulated AWS Organization (``warroom demo --org``, ``warroom sim serve --org``).

Its accounts, regions and role names are here and only here; the console never imports this module
(it learns the accounts from Organizations, or its config file, as it would on AWS).

| account id   | name              | in the organization                                           |
| ------------ | ----------------- | ------------------------------------------------------------- |
| 100000000001 | acme-management   | the management account (no workload)                         |
| 123456789012 | security-tooling  | the simulator's keys; delegated administrator (ListAccounts,  |
|              |                   | Security Hub, Config); OAM monitoring account                 |
| 210987654321 | payments-prod     | workload account                                              |
| 345678901234 | ledger-prod       | workload account                                              |
| 456789012345 | analytics-dev     | workload account                                              |
| 567890123456 | sandbox           | member account without the read role (AssumeRole is denied)   |

``OrgWorkload.seed_organization()`` makes the organization through the API, as its management
account (moto names the caller's account by the ``x-moto-account-id`` header): the organization,
its member accounts under their names (moto draws account ids at random: the ids above are fed to
it), 123456789012 as delegated administrator, and the read role ``warroom-readonly`` (trusting
123456789012) in every account but ``sandbox``. ``seed_all()`` then seeds each workload account's
fleet, streams, findings and alarms in each region with the single-account workload's generator
(``tui.sim.workload``), through that account's ``OrganizationAccountAccessRole`` (which
Organizations makes in every account it creates), under per-account seeds and names: the
account's IAM and S3 resources are made with its first region and shared by the second. Each
workload writes its metrics to its own account's CloudWatch, and one thread keeps them all
current. Last, ``seed_aggregation()`` makes the security account the place to watch the
organization from, through AWS's own aggregation: the OAM sink of each region and the workload
accounts' links to it, Security Hub's delegated administration with a finding aggregator in
us-east-1 linking eu-west-1, and an organization AWS Config aggregator over both regions. The
simulator answers the security account's OAM, Security Hub, Config and CloudWatch requests only
once all of it is made (``tui.sim.server._SeedGate``: only Organizations is ready earlier).

moto answers Organizations' reads only in the management account; ``install()`` makes them answer
a delegated administrator too (the management account's organization), as AWS does, and refuse
other members (AccessDeniedException) and accounts outside any organization
(AWSOrganizationsNotInUseException, where moto answered with an empty list).
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from tui.sim import catalog
from tui.sim.account import ACCOUNT_ID, SIM_ACCESS_KEY, SIM_SECRET_KEY
from tui.sim.inprocess import WsgiApp, attach
from tui.sim.ticker import Ticker

if TYPE_CHECKING:
    from tui.sim.workload import Workload

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OrgAccount:
    """One account of the organization."""

    account_id: str
    name: str
    workload: bool = False
    """Whether it runs a fleet, streams and findings (in every region of ``REGIONS``)."""
    readable: bool = True
    """Whether it has ``READ_ROLE`` (``sandbox`` has not: AssumeRole into it is denied)."""
    prefix: str = ""
    """Put before the names of its instances (and so their volumes') and hybrid nodes."""
    environment: str = "prod"

    @property
    def email(self) -> str:
        return f"aws+{self.name}@acme-corp.example"


MANAGEMENT = OrgAccount("100000000001", "acme-management")
SECURITY_TOOLING = OrgAccount(ACCOUNT_ID, "security-tooling")
PAYMENTS_PROD = OrgAccount("210987654321", "payments-prod", workload=True)
LEDGER_PROD = OrgAccount("345678901234", "ledger-prod", workload=True, prefix="ledger-")
ANALYTICS_DEV = OrgAccount(
    "456789012345", "analytics-dev", workload=True, prefix="analytics-", environment="dev"
)
SANDBOX = OrgAccount("567890123456", "sandbox", readable=False)

ACCOUNTS: tuple[OrgAccount, ...] = (
    MANAGEMENT,
    SECURITY_TOOLING,
    PAYMENTS_PROD,
    LEDGER_PROD,
    ANALYTICS_DEV,
    SANDBOX,
)
MEMBERS: tuple[OrgAccount, ...] = tuple(a for a in ACCOUNTS if a is not MANAGEMENT)
WORKLOAD_ACCOUNTS: tuple[OrgAccount, ...] = tuple(a for a in ACCOUNTS if a.workload)
BY_ID: dict[str, OrgAccount] = {a.account_id: a for a in ACCOUNTS}

REGIONS: tuple[str, ...] = ("us-east-1", "eu-west-1")
HOME_REGION = REGIONS[0]
SLOTS = len(WORKLOAD_ACCOUNTS) * len(REGIONS)
"""Workload accounts times regions: each holds a fleet."""

READ_ROLE = "warroom-readonly"
"""The role the console assumes to read a member account; it trusts the security account."""
READ_POLICY_NAME = "warroom-read"
REMEDIATION_ROLE = catalog.REMEDIATION_ROLE
BOOTSTRAP_ROLE = catalog.MEMBER_BOOTSTRAP_ROLE
"""OrganizationAccountAccessRole: Organizations makes it in each account it creates."""
DELEGATED_SERVICES: tuple[str, ...] = ("securityhub.amazonaws.com", "config.amazonaws.com")
"""The services whose delegated administrator the security account is."""

SINK_NAME = "acme-organization-monitoring"
"""The security account's CloudWatch OAM sink, one in each region of ``REGIONS``."""
LINK_LABEL = "$AccountName"
"""How the monitoring account labels a linked account's data (OAM resolves it from Organizations)."""
LINKED_RESOURCE_TYPES: tuple[str, ...] = ("AWS::CloudWatch::Metric",)
"""What a workload account shares with the monitoring account (its sink policy allows only these)."""
FINDING_AGGREGATION_REGION = HOME_REGION
"""Security Hub's aggregation region: the security account's finding aggregator links the others."""
CONFIG_AGGREGATOR = "acme-organization"
"""The security account's AWS Config aggregator (in ``HOME_REGION``, over ``REGIONS``)."""
CONFIG_AGGREGATOR_ROLE = "config-organization-aggregator"
"""The role AWS Config assumes to read the organization for the aggregator."""
CONFIG_AGGREGATOR_ACTIONS: tuple[str, ...] = (
    "organizations:DescribeOrganization",
    "organizations:ListAWSServiceAccessForOrganization",
    "organizations:ListAccounts",
    "organizations:ListDelegatedAdministrators",
)
"""What ``CONFIG_AGGREGATOR_ROLE`` allows (AWS's AWSConfigRoleForOrganizations policy)."""

READ_ACTIONS: tuple[str, ...] = (
    "cloudwatch:Describe*",
    "cloudwatch:Get*",
    "cloudwatch:List*",
    "ec2:Describe*",
    "kinesis:Describe*",
    "kinesis:List*",
    "lambda:Get*",
    "lambda:List*",
    "securityhub:Get*",
    "securityhub:List*",
    "servicequotas:Get*",
    "servicequotas:List*",
    "ssm:Describe*",
    "ssm:Get*",
    "ssm:List*",
    "tag:GetResources",
)
"""What ``READ_ROLE`` allows (moto evaluates no policy: this documents what AWS would need)."""

_MANAGEMENT_HEADER = "x-moto-account-id"
_SESSION_NAME = "warroom-sim-org"

Credentials = tuple[str, str, str | None]


def base_fleet_size() -> int:
    """Instances the organization has without ``--fleet``: the catalog's in each account and region."""
    return len(catalog.INSTANCES) * len(WORKLOAD_ACCOUNTS) * len(REGIONS)


def fleet_sizes(total: int | None) -> list[int]:
    """Instances per workload account and region (accounts in order, each with its regions in
    order) for ``total`` in all: the catalog's fleet in each, the rest dealt out in turn."""
    slots = SLOTS
    base = len(catalog.INSTANCES)
    if total is None:
        return [base] * slots
    problem = catalog.fleet_too_small(total, slots)
    if problem:
        raise ValueError(problem)
    extra, rest = divmod(total - base * slots, slots)
    return [base + extra + (1 if index < rest else 0) for index in range(slots)]


def workload_seed(seed: int, account_id: str, region: str) -> int:
    """The seed of one account's workload in one region, derived from the simulator's."""
    return random.Random(f"warroom-org:{seed}:{account_id}:{region}").getrandbits(31)


def trust_account(account_id: str) -> str:
    """A trust policy letting principals of ``account_id`` assume the role."""
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
        "Action": "sts:AssumeRole",
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, separators=(",", ":"))


def trust_service(principal: str) -> str:
    """A trust policy letting the AWS service ``principal`` assume the role."""
    statement = {"Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, separators=(",", ":"))


def allow_all(actions: tuple[str, ...]) -> str:
    """An identity policy allowing ``actions`` on every resource."""
    statement = {"Effect": "Allow", "Action": list(actions), "Resource": "*"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, separators=(",", ":"))


def read_policy() -> str:
    return allow_all(READ_ACTIONS)


def sink_policy(account_ids: list[str]) -> str:
    """The monitoring account's sink policy: ``account_ids`` may link to the sink, sharing
    ``LINKED_RESOURCE_TYPES`` only."""
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": account_ids},
        "Action": ["oam:CreateLink", "oam:UpdateLink"],
        "Resource": "*",
        "Condition": {"ForAllValues:StringEquals": {"oam:ResourceTypes": list(LINKED_RESOURCE_TYPES)}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, separators=(",", ":"))


@contextmanager
def _account_ids(planned: list[str]) -> Iterator[None]:
    """moto's Organizations gives the accounts it makes the ids of ``planned``, in order."""
    from moto.organizations import utils

    original = utils.make_random_account_id
    remaining = iter(planned)

    def next_planned() -> str:
        return next(remaining, None) or original()

    utils.make_random_account_id = next_planned
    try:
        yield
    finally:
        utils.make_random_account_id = original


class OrgWorkload:
    """The organization in a simulator at ``endpoint_url`` (its WSGI application ``app`` answers
    the seeding's calls in this process), and every workload account's workload in it."""

    def __init__(
        self,
        endpoint_url: str,
        *,
        app: WsgiApp | None = None,
        seed: int = 7,
        fleet: int | None = None,
        backfill: timedelta | None = None,
        extra_findings: int = 0,
        interval_seconds: float | None = None,
    ) -> None:
        self.endpoint_url = endpoint_url
        self.app = app
        self.seed = seed
        self.sizes = fleet_sizes(fleet)
        self.backfill_window = backfill
        self.extra_findings = extra_findings
        self._interval = interval_seconds
        self.config = Config(retries={"max_attempts": 2, "mode": "standard"})
        self._session: boto3.session.Session | None = None
        self._clients: dict[tuple[str, Credentials, str | None, str], Any] = {}
        self._clients_lock = threading.Lock()
        self.credentials: dict[str, Credentials] = {}
        """Account id -> credentials the seeding used there (its bootstrap role's, for members)."""
        self.workloads: dict[tuple[str, str], Workload] = {}
        """(account id, region) -> its ``tui.sim.workload.Workload``, seeded."""
        self.organization_id = ""
        self.seed_seconds: float | None = None
        self.org_seconds: float | None = None
        self.aggregation_seconds: float | None = None
        self._seeded_at: datetime | None = None
        self._ticker = Ticker("warroom-sim-org-metrics")

    # ---- clients ---------------------------------------------------------------------------

    def _client(
        self,
        service: str,
        credentials: Credentials,
        *,
        account: str | None = None,
        region: str = HOME_REGION,
    ) -> Any:
        """One client per service, credentials, account and region, all of one boto3 session: a
        session of its own and a client made anew cost some 30 ms each, most of the aggregation's
        seeding."""
        wanted = (service, credentials, account, region)
        with self._clients_lock:
            client = self._clients.get(wanted)
            if client is not None:
                return client
            if self._session is None:
                self._session = boto3.session.Session(
                    aws_access_key_id=SIM_ACCESS_KEY,
                    aws_secret_access_key=SIM_SECRET_KEY,
                    region_name=HOME_REGION,
                )
            key, secret, token = credentials
            client = self._session.client(
                service,
                region_name=region,
                endpoint_url=self.endpoint_url,
                config=self.config,
                aws_access_key_id=key,
                aws_secret_access_key=secret,
                aws_session_token=token,
            )
            if account is not None:

                def name_account(request: Any, **_: Any) -> None:
                    request.headers[_MANAGEMENT_HEADER] = account

                client.meta.events.register("before-sign", name_account)
            if self.app is not None:
                client = attach(client, self.app)
            self._clients[wanted] = client
            return client

    def management_client(self, service: str, region: str = HOME_REGION) -> Any:
        """A client acting in the management account."""
        return self._client(
            service, (SIM_ACCESS_KEY, SIM_SECRET_KEY, None), account=MANAGEMENT.account_id, region=region
        )

    def client_of(self, account_id: str, service: str, region: str = HOME_REGION) -> Any:
        """A client acting in ``account_id`` with the credentials the seeding holds for it."""
        if account_id == MANAGEMENT.account_id:
            return self.management_client(service, region)
        return self._client(service, self.credentials[account_id], region=region)

    # ---- the organization ------------------------------------------------------------------

    def seed_organization(self) -> str:
        """Create the organization, its accounts, the delegated administrator and the read roles;
        return the organization's id."""
        from moto.moto_api._internal import mock_random

        started = time.perf_counter()
        mock_random.seed(self.seed)
        org = self.management_client("organizations")
        with _account_ids([MANAGEMENT.account_id] + [a.account_id for a in MEMBERS]):
            self.organization_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
            for account in MEMBERS:
                status = org.create_account(AccountName=account.name, Email=account.email)
                made = status["CreateAccountStatus"].get("AccountId")
                if made != account.account_id:
                    raise RuntimeError(f"Organizations made account {made}, not {account.account_id}")
        self._name_management_account()
        for principal in DELEGATED_SERVICES:
            org.enable_aws_service_access(ServicePrincipal=principal)
            org.register_delegated_administrator(
                AccountId=SECURITY_TOOLING.account_id, ServicePrincipal=principal
            )
        sts = self.management_client("sts")
        self.credentials[SECURITY_TOOLING.account_id] = (SIM_ACCESS_KEY, SIM_SECRET_KEY, None)
        for account in MEMBERS:
            if account is SECURITY_TOOLING:
                continue
            arn = f"arn:aws:iam::{account.account_id}:role/{BOOTSTRAP_ROLE}"
            granted = sts.assume_role(RoleArn=arn, RoleSessionName=_SESSION_NAME)["Credentials"]
            self.credentials[account.account_id] = (
                granted["AccessKeyId"],
                granted["SecretAccessKey"],
                granted["SessionToken"],
            )
        for account in ACCOUNTS:
            if account.readable:
                self._read_role(account.account_id)
        self.org_seconds = time.perf_counter() - started
        logger.debug("seeded the organization %s in %.2f s", self.organization_id, self.org_seconds)
        return self.organization_id

    def _name_management_account(self) -> None:
        """moto names the management account "master"; AWS keeps the name it was created with."""
        from moto.organizations.models import organizations_backends

        backend = organizations_backends[MANAGEMENT.account_id]["aws"]
        for account in backend.accounts:
            if account.id == MANAGEMENT.account_id:
                account.name, account.email = MANAGEMENT.name, MANAGEMENT.email

    def _read_role(self, account_id: str) -> None:
        iam = self.client_of(account_id, "iam")
        iam.create_role(
            RoleName=READ_ROLE,
            AssumeRolePolicyDocument=trust_account(SECURITY_TOOLING.account_id),
            Description="Assumed by warroom to read this account",
            MaxSessionDuration=3600,
        )
        iam.put_role_policy(RoleName=READ_ROLE, PolicyName=READ_POLICY_NAME, PolicyDocument=read_policy())

    # ---- the aggregation into the security account ------------------------------------------

    def seed_aggregation(self) -> None:
        """Make the security account the organization's place to watch it from, as its
        administrators would on AWS (after ``seed_organization``):

        * CloudWatch cross-account observability: it creates a sink in each region, whose policy
          lets the workload accounts link to it with their metrics; each workload account links to
          the sink of each of its regions (links do not cross regions). The sandbox has no workload,
          and no link;
        * Security Hub: the management account designates it delegated administrator in each
          region; it enables Security Hub there, auto-enables the organization's accounts, adds the
          existing ones as members, and makes a finding aggregator in ``FINDING_AGGREGATION_REGION``
          linking the other regions;
        * AWS Config: as delegated administrator for Config (``seed_organization`` registered it),
          it makes an organization aggregator in ``HOME_REGION`` over ``REGIONS``, with the role
          Config assumes to read the organization."""
        started = time.perf_counter()
        security = SECURITY_TOOLING.account_id
        workload_ids = [a.account_id for a in WORKLOAD_ACCOUNTS]
        for region in REGIONS:
            oam = self.client_of(security, "oam", region)
            sink = oam.create_sink(Name=SINK_NAME)["Arn"]
            oam.put_sink_policy(SinkIdentifier=sink, Policy=sink_policy(workload_ids))
            for account_id in workload_ids:
                self.client_of(account_id, "oam", region).create_link(
                    LabelTemplate=LINK_LABEL, ResourceTypes=list(LINKED_RESOURCE_TYPES), SinkIdentifier=sink
                )
        members = [{"AccountId": a.account_id} for a in MEMBERS if a is not SECURITY_TOOLING]
        for region in REGIONS:
            self.management_client("securityhub", region).enable_organization_admin_account(
                AdminAccountId=security
            )
            hub = self.client_of(security, "securityhub", region)
            hub.enable_security_hub(EnableDefaultStandards=True)
            hub.update_organization_configuration(AutoEnable=True)
            hub.create_members(AccountDetails=members)
        self.client_of(security, "securityhub", FINDING_AGGREGATION_REGION).create_finding_aggregator(
            RegionLinkingMode="SPECIFIED_REGIONS",
            Regions=[r for r in REGIONS if r != FINDING_AGGREGATION_REGION],
        )
        iam = self.client_of(security, "iam")
        role = iam.create_role(
            RoleName=CONFIG_AGGREGATOR_ROLE,
            AssumeRolePolicyDocument=trust_service("config.amazonaws.com"),
            Description="Assumed by AWS Config to read the organization for its aggregator",
        )["Role"]["Arn"]
        iam.put_role_policy(
            RoleName=CONFIG_AGGREGATOR_ROLE,
            PolicyName="organization-read",
            PolicyDocument=allow_all(CONFIG_AGGREGATOR_ACTIONS),
        )
        self.client_of(security, "config", HOME_REGION).put_configuration_aggregator(
            ConfigurationAggregatorName=CONFIG_AGGREGATOR,
            OrganizationAggregationSource={
                "RoleArn": role,
                "AwsRegions": list(REGIONS),
                "AllAwsRegions": False,
            },
        )
        self.aggregation_seconds = time.perf_counter() - started
        logger.debug("aggregation into %s seeded in %.2f s", security, self.aggregation_seconds)

    # ---- the workloads ---------------------------------------------------------------------

    def seed_all(
        self,
        progress: Callable[[str], None] | None = None,
        *,
        backfill: bool = True,
        ready: Callable[[frozenset[str]], None] | None = None,
    ) -> None:
        """Seed every workload account in every region (after ``seed_organization``), then the
        aggregation into the security account (``seed_aggregation``), and their metric history
        unless ``backfill`` is false. ``ready`` is told at once of Organizations, which nothing here
        changes; of nothing else: what the simulator's keys read of OAM, Security Hub, Config and
        CloudWatch is the workload accounts', through the aggregation made last."""
        from tui.sim.workload import Placement, Workload

        if not self.credentials:
            self.seed_organization()
        if ready is not None:
            ready(frozenset({"organizations"}))
        step = progress or (lambda text: None)
        started = time.perf_counter()
        options: dict[str, Any] = {}
        if self.backfill_window is not None:
            options["backfill"] = self.backfill_window
        if self._interval is not None:
            options["interval_seconds"] = self._interval
        sizes = iter(self.sizes)
        extra_findings = self.extra_findings
        for account in WORKLOAD_ACCOUNTS:
            key, secret, token = self.credentials[account.account_id]
            placement = Placement(
                account_id=account.account_id,
                account_name=account.name,
                access_key=key,
                secret_key=secret,
                session_token=token,
                prefix=account.prefix,
                environment=account.environment,
                member_account=False,
                trusted_account=SECURITY_TOOLING.account_id,
            )
            shared = None
            for region in REGIONS:
                step(f"seeding {account.name} in {region}")
                workload = Workload(
                    self.endpoint_url,
                    seed=workload_seed(self.seed, account.account_id, region),
                    region=region,
                    app=self.app,
                    placement=placement,
                    instances=catalog.grown_fleet(next(sizes)),
                    account_globals=shared,
                    extra_findings=extra_findings,
                    **options,
                )
                extra_findings = 0  # all of them in the first account and region
                workload.evaluate_alarms_on_tick = False  # tick() evaluates them once for all
                inventory = workload.seed_all(backfill=False)
                shared = inventory.account_globals
                self.workloads[(account.account_id, region)] = workload
        step("aggregating into security-tooling")
        self.seed_aggregation()
        self._seeded_at = datetime.now(UTC)
        if backfill:
            step("backfilling metrics")
            self.backfill(self._seeded_at)
        self.seed_seconds = time.perf_counter() - started
        logger.debug("seeded %d workloads in %.2f s", len(self.workloads), self.seed_seconds)

    @property
    def seeded_at(self) -> datetime:
        if self._seeded_at is None:
            raise RuntimeError("the organization is not seeded yet: call seed_all()")
        return self._seeded_at

    def workload(self, account_id: str, region: str) -> Workload:
        return self.workloads[(account_id, region)]

    @property
    def instance_count(self) -> int:
        return sum(len(w.inventory.instances) for w in self.workloads.values())

    # ---- metrics ---------------------------------------------------------------------------

    def backfill(self, now: datetime) -> int:
        """Every workload's metric history (and alarms) before ``now``; return the minutes written."""
        written = 0
        for workload in self.workloads.values():
            written += workload.backfill(now)
        return written

    def tick(self, now: datetime | None = None, *, evaluate: bool = True) -> int:
        """Every workload's new minutes, then the alarms evaluated once; return the minutes written."""
        written = sum(w.tick(now, evaluate=False) for w in self.workloads.values())
        if written and evaluate:
            first = next(iter(self.workloads.values()), None)
            if first is not None:
                first.evaluate_alarms(now)
        return written

    def write_minutes(self, end: datetime, minutes: int) -> int:
        for workload in self.workloads.values():
            workload.write_minutes(end, minutes)
        return minutes

    @property
    def metrics_running(self) -> bool:
        return self._ticker.running

    def start_metrics(self) -> None:
        """Keep every workload's metrics current from one daemon thread."""
        if not self.workloads:
            raise RuntimeError("the organization is not seeded yet: call seed_all()")
        first = next(iter(self.workloads.values()))
        self._ticker.start(lambda: self._step(first), float(first.interval_seconds))

    def stop(self) -> None:
        self._ticker.stop()

    def _step(self, first: Workload) -> None:
        self.tick()
        first.trim()  # every account's points: one workload's trimming does for all


# --------------------------------------------------------------------------------------------
# Organizations' reads for a delegated administrator
# --------------------------------------------------------------------------------------------

DELEGATED_READS: tuple[str, ...] = (
    "describe_account",
    "describe_organizational_unit",
    "list_accounts",
    "list_accounts_for_parent",
    "list_aws_service_access_for_organization",
    "list_children",
    "list_delegated_administrators",
    "list_delegated_services_for_account",
    "list_organizational_units_for_parent",
    "list_parents",
    "list_roots",
    "list_tags_for_resource",
)
"""Organizations' operations that AWS answers only to the management account and to a delegated
administrator (by its name in moto's response class)."""

_install_lock = threading.Lock()
_installed: dict[str, Any] = {}


def reader_backend(account_id: str, partition: str) -> Any:
    """The Organizations backend whose organization ``account_id`` may read: its own as the
    management account, the management account's as a delegated administrator; raises
    AccessDeniedException for another member, AWSOrganizationsNotInUseException outside any."""
    from moto.organizations.exceptions import AWSOrganizationsNotInUseException
    from moto.organizations.models import organizations_backends

    from tui.sim.extensions._common import service_error

    own = organizations_backends[account_id][partition]
    if own.org is not None:
        return own
    owner = organizations_backends.master_accounts.get(account_id)
    if owner is None:
        raise AWSOrganizationsNotInUseException()
    management = organizations_backends[owner[0]][owner[1]]
    if any(admin.account.id == account_id for admin in management.admins):
        return management
    raise service_error("AccessDeniedException", "You don't have permissions to access this resource.")


def install() -> None:
    """Let a delegated administrator read the organization, as AWS does (idempotent); let the
    security account be delegated administrator of ``DELEGATED_SERVICES``."""
    from moto.organizations.models import FakeDelegatedAdministrator, organizations_backends
    from moto.organizations.responses import OrganizationsResponse

    with _install_lock:
        if _installed:
            return
        backend_property = OrganizationsResponse.__dict__.get("organizations_backend")
        if not isinstance(backend_property, property):
            raise RuntimeError("moto's OrganizationsResponse has no organizations_backend: org.py needs work")

        def organizations_backend(self: Any) -> Any:
            chosen = self.__dict__.get("_warroom_backend")
            if chosen is not None:
                return chosen
            return organizations_backends[self.current_account][self.partition]

        def delegated(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
            def read(self: Any) -> Any:
                self.__dict__["_warroom_backend"] = reader_backend(self.current_account, self.partition)
                return original(self)

            read.__name__ = name
            return read

        for name in DELEGATED_READS:
            original = getattr(OrganizationsResponse, name, None)
            if not callable(original):
                raise RuntimeError(f"moto's OrganizationsResponse has no {name}: org.py needs work")
            _installed[name] = original
            setattr(OrganizationsResponse, name, delegated(name, original))
        _installed["organizations_backend"] = backend_property
        OrganizationsResponse.organizations_backend = property(organizations_backend)  # type: ignore[method-assign,assignment]
        supported = FakeDelegatedAdministrator.SUPPORTED_SERVICES
        for principal in DELEGATED_SERVICES:
            if principal not in supported:
                supported.append(principal)
    logger.debug("Organizations reads for delegated administrators installed")
