"""Security Hub across accounts and Regions: what an administrator account and a finding
aggregator see, which moto 5.2 lacks (its GetFindings reads the caller's own account and Region).

Which findings one call reads (``sources``): the caller's own, in its Region, and

* its *member accounts'* there, when it is an administrator: the accounts it added with
  CreateMembers in that Region (moto records them as ENABLED), and, when it is the organization's
  delegated administrator (EnableOrganizationAdminAccount from the management account) with
  AutoEnable on (UpdateOrganizationConfiguration), every other active account of the organization
  but the management account;
* in the *home Region* of its finding aggregator, the same in every linked Region: ALL_REGIONS
  links each Region where the caller or a member has a hub, ALL_REGIONS_EXCEPT_SPECIFIED all of
  those but the listed ones, SPECIFIED_REGIONS the listed ones, NO_REGIONS none.

``tui.sim.extensions.securityhub`` filters, sorts and pages that set as one (GetFindings), and
BatchUpdateFindings from the administrator updates a member's finding where it lives, as Security
Hub lets an administrator do. Two simplifications: findings that existed in a Region before it was
linked are aggregated at once (Security Hub waits for their next update), and auto-enabled
membership covers the organization's accounts whenever they joined.

Finding aggregators (one per account, made in its home Region): CreateFindingAggregator,
GetFindingAggregator, ListFindingAggregators (from any Region), UpdateFindingAggregator and
DeleteFindingAggregator (from the home Region only), with the model's shapes and
InvalidInputException / ResourceNotFoundException / InvalidAccessException. A member account may
not create one ("A finding aggregator cannot be created by a member account."). Also added:
ListOrganizationAdminAccounts, for the management account.
"""

# moto is imported inside the functions, for start-up time: see tui/sim/extensions/__init__.py.
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tui.sim.extensions._common import json_params, service_error
from tui.sim.extensions._organizations import organization_of

logger = logging.getLogger(__name__)

LINKING_MODES = ("ALL_REGIONS", "ALL_REGIONS_EXCEPT_SPECIFIED", "SPECIFIED_REGIONS", "NO_REGIONS")
_AGGREGATOR_ATTR = "warroom_finding_aggregator"

NEW_URL_PATHS = {
    "{0}/findingAggregator/create$": "CreateFindingAggregator",
    "{0}/findingAggregator/get/(?P<FindingAggregatorArn>.+)$": "GetFindingAggregator",
    "{0}/findingAggregator/list$": "ListFindingAggregators",
    "{0}/findingAggregator/update$": "UpdateFindingAggregator",
    "{0}/findingAggregator/delete/(?P<FindingAggregatorArn>.+)$": "DeleteFindingAggregator",
    "{0}/organization/admin$": "ListOrganizationAdminAccounts",
}

_install_lock = threading.Lock()
_lock = threading.RLock()
moto_originals: dict[str, Any] = {}


@dataclass(frozen=True)
class FindingAggregator:
    arn: str
    home_region: str
    mode: str
    regions: tuple[str, ...]

    def described(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "FindingAggregatorArn": self.arn,
            "FindingAggregationRegion": self.home_region,
            "RegionLinkingMode": self.mode,
        }
        if self.regions:
            answer["Regions"] = list(self.regions)
        return answer


# --------------------------------------------------------------------------------------------
# moto's backends, read without creating any
# --------------------------------------------------------------------------------------------


def _hubs(account_id: str) -> dict[str, Any]:
    """Region -> Security Hub backend of an account, for the Regions it has one in."""
    from moto.securityhub.models import securityhub_backends

    per_account = dict.get(securityhub_backends, account_id)
    return dict(dict.items(per_account)) if per_account is not None else {}


def existing_hub(account_id: str, region: str) -> Any:
    return _hubs(account_id).get(region)


def _org_config(organization_id: str) -> Mapping[str, Any]:
    from moto.securityhub.models import SecurityHubBackend

    config: Mapping[str, Any] = SecurityHubBackend._org_configs.get(organization_id) or {}
    return config


def _enabled(member: Mapping[str, Any]) -> bool:
    return str(member.get("MemberStatus", "")).lower() == "enabled"


def _auto_members(account_id: str) -> list[str]:
    """The organization's accounts an auto-enabling delegated administrator has as members."""
    organization = organization_of(account_id)
    if organization is None:
        return []
    config = _org_config(organization.id)
    if config.get("admin_account_id") != account_id or not config.get("auto_enable"):
        return []
    return [
        account.id
        for account in organization.accounts
        if account.status == "ACTIVE" and account.id not in (account_id, organization.management_account_id)
    ]


def members(account_id: str, region: str) -> list[str]:
    """The member accounts of an administrator account in one Region."""
    hub = existing_hub(account_id, region)
    listed = [] if hub is None else [m for m, data in list(hub.members.items()) if _enabled(data)]
    return list(dict.fromkeys([*listed, *_auto_members(account_id)]))


def _all_members(account_id: str) -> list[str]:
    everywhere: list[str] = []
    for hub in _hubs(account_id).values():
        everywhere.extend(m for m, data in list(hub.members.items()) if _enabled(data))
    return list(dict.fromkeys([*everywhere, *_auto_members(account_id)]))


def is_member(account_id: str) -> bool:
    """Whether an administrator account has ``account_id`` as a member (anywhere)."""
    from moto.securityhub.models import securityhub_backends

    organization = organization_of(account_id)
    if organization is not None:
        admin = _org_config(organization.id).get("admin_account_id")
        if admin and admin != account_id and account_id in _auto_members(admin):
            return True
    for admin_id, per_account in list(dict.items(securityhub_backends)):
        if admin_id == account_id:
            continue
        for hub in list(dict.values(per_account)):
            data = hub.members.get(account_id)
            if data is not None and _enabled(data):
                return True
    return False


def aggregator_of(account_id: str) -> FindingAggregator | None:
    for hub in _hubs(account_id).values():
        found: FindingAggregator | None = hub.__dict__.get(_AGGREGATOR_ATTR)
        if found is not None:
            return found
    return None


def linked_regions(account_id: str, aggregator: FindingAggregator) -> list[str]:
    """The Regions an aggregator links, for the account that made it."""
    if aggregator.mode == "NO_REGIONS":
        return []
    if aggregator.mode == "SPECIFIED_REGIONS":
        return [region for region in aggregator.regions if region != aggregator.home_region]
    candidates: dict[str, None] = {}
    for account in (account_id, *_all_members(account_id)):
        for region in _hubs(account):
            candidates[region] = None
    excluded = set(aggregator.regions) if aggregator.mode == "ALL_REGIONS_EXCEPT_SPECIFIED" else set()
    return sorted(
        region for region in candidates if region != aggregator.home_region and region not in excluded
    )


def sources(account_id: str, region: str) -> list[tuple[str, str]]:
    """(account, Region) of every hub whose findings GetFindings in ``account_id``/``region`` returns."""
    regions = [region]
    aggregator = aggregator_of(account_id)
    if aggregator is not None and aggregator.home_region == region:
        regions.extend(linked_regions(account_id, aggregator))
    found: list[tuple[str, str]] = []
    for each in regions:
        found.append((account_id, each))
        found.extend((member, each) for member in members(account_id, each))
    return list(dict.fromkeys(found))


def source_hubs(account_id: str, region: str, own: Any) -> list[Any]:
    """The backends of ``sources``: ``own`` first, then those that exist."""
    hubs = [own]
    for account, each in sources(account_id, region):
        if (account, each) == (account_id, region):
            continue
        hub = existing_hub(account, each)
        if hub is not None:
            hubs.append(hub)
    return hubs


# --------------------------------------------------------------------------------------------
# Finding aggregators
# --------------------------------------------------------------------------------------------


def _invalid(message: str) -> Exception:
    return service_error("InvalidInputException", message)


def _not_subscribed(account_id: str) -> Exception:
    return service_error(
        "InvalidAccessException", f"Account {account_id} is not subscribed to AWS Security Hub"
    )


def _regions(raw: Any, mode: str, home: str) -> tuple[str, ...]:
    if raw is None:
        raw = []
    if not isinstance(raw, list) or not all(isinstance(item, str) and item for item in raw):
        raise _invalid("Regions must be a list of Region names.")
    regions = tuple(dict.fromkeys(raw))
    if mode == "NO_REGIONS" and regions:
        raise _invalid("Regions must be empty when RegionLinkingMode is NO_REGIONS.")
    if mode == "SPECIFIED_REGIONS" and not regions:
        raise _invalid("Regions must list at least one Region when RegionLinkingMode is SPECIFIED_REGIONS.")
    if home in regions:
        raise _invalid(f"The home Region {home} cannot also be a linked Region.")
    return regions


def _mode(params: Mapping[str, Any]) -> str:
    mode = params.get("RegionLinkingMode")
    if mode not in LINKING_MODES:
        raise _invalid(f"RegionLinkingMode must be one of {', '.join(LINKING_MODES)}, not {mode!r}.")
    return str(mode)


def create_finding_aggregator(hub: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    from moto.moto_api._internal import mock_random

    account_id, region = hub.account_id, hub.region_name
    if not hub.enabled:
        raise _not_subscribed(account_id)
    mode = _mode(params)
    regions = _regions(params.get("Regions"), mode, region)
    with _lock:
        if is_member(account_id):
            raise _invalid("A finding aggregator cannot be created by a member account.")
        existing = aggregator_of(account_id)
        if existing is not None:
            raise _invalid(
                f"A finding aggregator already exists in account {account_id}"
                f" (home Region {existing.home_region}): delete it before creating another."
            )
        arn = (
            f"arn:{hub.partition}:securityhub:{region}:{account_id}:finding-aggregator/{mock_random.uuid4()}"
        )
        aggregator = FindingAggregator(arn, region, mode, regions)
        hub.__dict__[_AGGREGATOR_ATTR] = aggregator
    logger.debug("finding aggregator %s: %s %s", arn, mode, regions)
    return aggregator.described()


def _own_aggregator(hub: Any, arn: Any) -> tuple[Any, FindingAggregator]:
    if not isinstance(arn, str) or not arn:
        raise _invalid("FindingAggregatorArn is required.")
    for each in _hubs(hub.account_id).values():
        found: FindingAggregator | None = each.__dict__.get(_AGGREGATOR_ATTR)
        if found is not None and found.arn == arn:
            return each, found
    raise service_error("ResourceNotFoundException", f"Finding aggregator {arn} not found.")


def _in_home_region(hub: Any, aggregator: FindingAggregator, action: str) -> None:
    if hub.region_name != aggregator.home_region:
        raise _invalid(
            f"{action} must be called from the home Region {aggregator.home_region}, not {hub.region_name}."
        )


def get_finding_aggregator(hub: Any, arn: Any) -> dict[str, Any]:
    with _lock:
        return _own_aggregator(hub, arn)[1].described()


def list_finding_aggregators(hub: Any) -> dict[str, Any]:
    aggregator = aggregator_of(hub.account_id)
    items = [] if aggregator is None else [{"FindingAggregatorArn": aggregator.arn}]
    return {"FindingAggregators": items}


def update_finding_aggregator(hub: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    with _lock:
        home, aggregator = _own_aggregator(hub, params.get("FindingAggregatorArn"))
        _in_home_region(hub, aggregator, "UpdateFindingAggregator")
        mode = _mode(params)
        updated = FindingAggregator(
            aggregator.arn,
            aggregator.home_region,
            mode,
            _regions(params.get("Regions"), mode, aggregator.home_region),
        )
        home.__dict__[_AGGREGATOR_ATTR] = updated
    return updated.described()


def delete_finding_aggregator(hub: Any, arn: Any) -> dict[str, Any]:
    with _lock:
        home, aggregator = _own_aggregator(hub, arn)
        _in_home_region(hub, aggregator, "DeleteFindingAggregator")
        del home.__dict__[_AGGREGATOR_ATTR]
    return {}


def list_organization_admin_accounts(hub: Any) -> dict[str, Any]:
    organization = organization_of(hub.account_id)
    if organization is None or organization.management_account_id != hub.account_id:
        raise service_error(
            "InvalidAccessException",
            "ListOrganizationAdminAccounts can only be called by the organization management account.",
        )
    admin = _org_config(organization.id).get("admin_account_id")
    return {"AdminAccounts": [{"AccountId": admin, "Status": "ENABLED"}] if admin else []}


# --------------------------------------------------------------------------------------------
# moto glue
# --------------------------------------------------------------------------------------------


def _params(response: Any) -> dict[str, Any]:
    return json_params(response, lambda message: _invalid(message))


def _uri_arn(response: Any) -> Any:
    """The FindingAggregatorArn of a GET or DELETE path (``/findingAggregator/get/<arn>``)."""
    from urllib.parse import unquote

    value = response.uri_match.get("FindingAggregatorArn") if response.uri_match else None
    if value is None:
        path = str(response.path)
        for marker in ("/findingAggregator/get/", "/findingAggregator/delete/"):
            if marker in path:
                value = path.split(marker, 1)[1]
    return unquote(value) if isinstance(value, str) else value


def _respond(operation: Callable[..., dict[str, Any]], *args: Callable[[Any], Any]) -> Callable[[Any], str]:
    def respond(self: Any) -> str:
        return json.dumps(operation(self.securityhub_backend, *(arg(self) for arg in args)))

    return respond


RESPONSE_METHODS: dict[str, Callable[[Any], str]] = {
    "create_finding_aggregator": _respond(create_finding_aggregator, _params),
    "get_finding_aggregator": _respond(get_finding_aggregator, _uri_arn),
    "list_finding_aggregators": _respond(list_finding_aggregators),
    "update_finding_aggregator": _respond(update_finding_aggregator, _params),
    "delete_finding_aggregator": _respond(delete_finding_aggregator, _uri_arn),
    "list_organization_admin_accounts": _respond(list_organization_admin_accounts),
}


def reset() -> None:
    """Forget every organization's Security Hub settings (delegated administrator, AutoEnable):
    moto keeps them on its backend class, which its reset leaves, and a simulated organization's
    would hold for the next simulator's organization of the same id."""
    from moto.securityhub.models import SecurityHubBackend

    SecurityHubBackend._org_configs.clear()


def install() -> None:
    """Add the finding aggregator operations to moto's Security Hub (idempotent)."""
    from moto.securityhub import urls
    from moto.securityhub.responses import SecurityHubResponse

    with _install_lock:
        for name, function in RESPONSE_METHODS.items():
            current = SecurityHubResponse.__dict__.get(name)
            if current is function:
                continue
            moto_originals.setdefault(name, current)
            setattr(SecurityHubResponse, name, function)
        for path in NEW_URL_PATHS:
            urls.url_paths.setdefault(path, SecurityHubResponse.dispatch)
    logger.debug("securityhub aggregation installed")
