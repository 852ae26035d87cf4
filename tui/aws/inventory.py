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

import asyncio
import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tui.aws.clients import ClientFactory
from tui.aws.errors import classify
from tui.aws.scope import Place

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


INSTANCE_FIELDS = ("InstanceId", "InstanceType", "State", "Tags", "Monitoring", "RootDeviceName")
"""What the pollers read of an instance (DescribeInstances' shape)."""
VOLUME_FIELDS = ("VolumeId", "VolumeType", "Size", "Iops", "Throughput", "State", "Attachments", "Tags")
"""What the pollers read of a volume (DescribeVolumes' shape)."""


def kept(resource: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """``resource`` with only ``fields``: an instance as EC2 or Config describes it carries about
    150 values, of which the pollers read a handful, and a fleet's inventory is held between reads
    (about 50 MB at 2,000 instances and 3,650 volumes, in full)."""
    return {name: resource[name] for name in fields if name in resource}


def ec2_volume(configuration: Any) -> dict[str, Any]:
    volume: dict[str, Any] = pascal(configuration) if isinstance(configuration, dict) else {}
    state = volume.get("State")
    if isinstance(state, dict):
        volume["State"] = state.get("Value")
    return kept(volume, VOLUME_FIELDS)


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


async def select_texts(factory: ClientFactory, region: str, aggregator: str, expression: str) -> list[str]:
    """Every result of an advanced query, page by page, as Config sends it (a JSON text each)."""
    config = await factory.client("config", region)
    results: list[str] = []
    params: dict[str, Any] = {
        "ConfigurationAggregatorName": aggregator,
        "Expression": expression,
        "Limit": PAGE,
    }
    while True:
        reply = await config.select_aggregate_resource_config(**params)
        results.extend(str(text) for text in reply.get("Results") or ())
        token = reply.get("NextToken")
        if not token:
            return results
        params["NextToken"] = token


async def select(
    factory: ClientFactory, region: str, aggregator: str, expression: str
) -> list[dict[str, Any]]:
    """Every result of an advanced query, page by page."""
    return [json.loads(text) for text in await select_texts(factory, region, aggregator, expression)]


_Parsed = tuple[tuple[str, str], dict[str, Any]]
"""One result: its (account, region), and its configuration in EC2's shape."""


class ParsedResults:
    """Config's results already turned into EC2's shapes, by a digest of their text: a resource
    whose configuration item has not changed since the last read is not parsed again, and is the
    same object as before (the pollers then keep what they worked out from it). Holds the last
    read's results only, and never the texts (kilobytes each)."""

    def __init__(self) -> None:
        self._by_digest: dict[bytes, _Parsed] = {}

    def __len__(self) -> int:
        return len(self._by_digest)

    def read(self, texts: Iterable[str], shape: Any) -> list[_Parsed]:
        """Each text's place and ``shape(configuration)``, parsed only when not read last time."""
        known = self._by_digest
        seen: dict[bytes, _Parsed] = {}
        out: list[_Parsed] = []
        for text in texts:
            digest = hashlib.blake2b(text.encode(), digest_size=16).digest()
            parsed = known.get(digest) or seen.get(digest)
            if parsed is None:
                item = json.loads(text)
                place = (str(item.get("accountId")), str(item.get("awsRegion")))
                parsed = (place, shape(item.get("configuration")))
            seen[digest] = parsed
            out.append(parsed)
        self._by_digest = seen
        return out


@dataclass
class InventoryCache:
    """What ``ec2_inventory`` parsed last time, per resource type (a poller keeps one)."""

    instances: ParsedResults = field(default_factory=ParsedResults)
    volumes: ParsedResults = field(default_factory=ParsedResults)


def ec2_instance(configuration: Any) -> dict[str, Any]:
    instance: dict[str, Any] = pascal(configuration) if isinstance(configuration, dict) else {}
    return kept(instance, INSTANCE_FIELDS)


_FULL = ("resourceId, accountId, awsRegion, configuration",) * 2
_COUNTED = (
    "accountId, awsRegion, configuration.instanceType, configuration.state.name",
    "accountId, awsRegion, configuration.volumeType, configuration.size, configuration.state.value",
)
"""What an advanced query selects of instances and of volumes: their whole configuration (what the
Limits pane reads), or only what the Overview counts (``counted``)."""


async def ec2_inventory(
    factory: ClientFactory,
    region: str,
    aggregator: str,
    places: Iterable[tuple[str, str]],
    cache: InventoryCache | None = None,
    *,
    counted: bool = False,
) -> dict[tuple[str, str], Inventory]:
    """Instances and volumes of every (account, region) in ``places``, from the aggregator (the two
    queries at once). With ``cache``, what did not change since its last read is not parsed again
    (and is the same object). With ``counted``, only an instance's type and state and a volume's
    type, size and state are selected: a few dozen bytes a resource instead of its whole
    configuration (kilobytes), and resources alike read as one text, parsed once. Raises what
    Config raises (the caller then describes each place)."""
    cache = cache or InventoryCache()
    wanted = set(places)
    found: dict[tuple[str, str], Inventory] = {key: Inventory() for key in wanted}
    instance_fields, volume_fields = _COUNTED if counted else _FULL
    where = "WHERE resourceType ="
    instances, volumes = await asyncio.gather(
        select_texts(factory, region, aggregator, f"SELECT {instance_fields} {where} '{INSTANCE}'"),
        select_texts(factory, region, aggregator, f"SELECT {volume_fields} {where} '{VOLUME}'"),
    )
    for key, instance in cache.instances.read(instances, ec2_instance):
        if key in found:
            found[key].instances.append(instance)
    for key, volume in cache.volumes.read(volumes, ec2_volume):
        if key in found:
            found[key].volumes.append(volume)
    return found


@dataclass(frozen=True)
class Aggregated:
    """What ``aggregated_inventory`` found: every place's inventory (None: describe each place), the
    aggregator it came from ("" for none) and why it could not be used ("" when it was, or none)."""

    inventory: dict[tuple[str, str], Inventory] | None
    aggregator: str = ""
    problem: str = ""


async def aggregated_inventory(
    factory: ClientFactory, places: Iterable[Place], cache: InventoryCache, *, counted: bool = False
) -> Aggregated:
    """Every place's instances and volumes from the credential's AWS Config aggregator in its own
    region, when it has one that answers (``ec2_inventory``); otherwise the caller describes each
    place. The one way the Limits and Overview panes read an organization's inventory."""
    region = factory.region
    aggregator = await find_aggregator(factory, region)
    if aggregator is None:
        return Aggregated(None)
    wanted = [(p.account_id, p.region) for p in places]
    try:
        found = await ec2_inventory(factory, region, aggregator, wanted, cache, counted=counted)
    except Exception as exc:  # the describe calls still work: use them
        return Aggregated(None, problem=classify(exc, profile=factory.target.profile).one_line())
    return Aggregated(found, aggregator)
