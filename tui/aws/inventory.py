"""An organization's inventory in a few calls: an AWS Config aggregator's advanced query.

When the credential's account has a configuration aggregator (an organization's, or one whose source
accounts authorized it), SelectAggregateResourceConfig answers for every account and region it
covers: one paginated query per resource type instead of describe calls through a role in every
account and region. Config returns each resource's configuration as the service's own structure in
camelCase (``instanceId``, ``state.name``); ``pascal`` turns it back into the shapes DescribeInstances
and DescribeVolumes return, which the pollers already read. A volume's state is ``{"value": ...}`` in
Config's schema and a plain string in EC2's.

Without an aggregator, or when the query fails, the pollers describe each place themselves: this is
an accelerator, never the only way in.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tui.aws.clients import ClientFactory

log = logging.getLogger(__name__)

INSTANCE = "AWS::EC2::Instance"
VOLUME = "AWS::EC2::Volume"
PAGE = 100
"""Config's largest page for advanced queries."""


@dataclass
class Inventory:
    """One account's resources in one region, in EC2's own shapes."""

    instances: list[dict[str, Any]] = field(default_factory=list)
    volumes: list[dict[str, Any]] = field(default_factory=list)


def pascal(value: Any) -> Any:
    """Config's camelCase structure with EC2's names (``instanceId`` -> ``InstanceId``)."""
    if isinstance(value, dict):
        return {(key[:1].upper() + key[1:]) if key else key: pascal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [pascal(item) for item in value]
    return value


def ec2_volume(configuration: Any) -> dict[str, Any]:
    volume: dict[str, Any] = pascal(configuration) if isinstance(configuration, dict) else {}
    state = volume.get("State")
    if isinstance(state, dict):
        volume["State"] = state.get("Value")
    return volume


async def find_aggregator(factory: ClientFactory, region: str) -> str | None:
    """The name of the credential's first configuration aggregator in ``region``, or None (none, or
    Config may not be read)."""
    try:
        config = await factory.client("config", region)
        reply = await config.describe_configuration_aggregators()
    except Exception as exc:  # no aggregator to use: the pollers describe each place
        log.debug("configuration aggregators in %s unknown: %s", region, exc)
        return None
    found = reply.get("ConfigurationAggregators") or ()
    return str(found[0].get("ConfigurationAggregatorName")) if found else None


async def select(
    factory: ClientFactory, region: str, aggregator: str, expression: str
) -> list[dict[str, Any]]:
    """Every result of an advanced query, page by page."""
    config = await factory.client("config", region)
    results: list[dict[str, Any]] = []
    params: dict[str, Any] = {
        "ConfigurationAggregatorName": aggregator,
        "Expression": expression,
        "Limit": PAGE,
    }
    while True:
        reply = await config.select_aggregate_resource_config(**params)
        results.extend(json.loads(text) for text in reply.get("Results") or ())
        token = reply.get("NextToken")
        if not token:
            return results
        params["NextToken"] = token


async def ec2_inventory(
    factory: ClientFactory, region: str, aggregator: str, places: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], Inventory]:
    """Instances and volumes of every (account, region) in ``places``, from the aggregator. Raises
    what Config raises (the caller then describes each place)."""
    wanted = set(places)
    found: dict[tuple[str, str], Inventory] = {key: Inventory() for key in wanted}
    fields = "SELECT resourceId, accountId, awsRegion, configuration WHERE resourceType = "
    for item in await select(factory, region, aggregator, f"{fields}'{INSTANCE}'"):
        key = (str(item.get("accountId")), str(item.get("awsRegion")))
        if key in found:
            found[key].instances.append(pascal(item.get("configuration") or {}))
    for item in await select(factory, region, aggregator, f"{fields}'{VOLUME}'"):
        key = (str(item.get("accountId")), str(item.get("awsRegion")))
        if key in found:
            found[key].volumes.append(ec2_volume(item.get("configuration")))
    return found
