"""AWS Config's advanced query over an aggregator (SelectAggregateResourceConfig), which moto 5.2
lacks: moto keeps configuration aggregators (PutConfigurationAggregator) but records no
configuration items.

The configuration items are made from what the simulator's accounts hold, as AWS Config records
them, for the resource types the console's inventory reads:

* AWS::EC2::Instance and AWS::EC2::Volume: ``configuration`` is the EC2 Instance (Volume) structure
  DescribeInstances (DescribeVolumes) returns, with Config's camelCase member names
  (``instanceId``, ``state.name``, ``blockDeviceMappings``...) and timestamps as
  ``2024-05-01T10:00:00.000Z``; a volume's ``state`` is ``{"value": "in-use"}``, as Config records
  it. Terminated instances are deleted resources, which advanced query never returns;
* AWS::Kinesis::Stream: ``configuration`` holds the stream's CloudFormation properties (Name, Arn,
  ShardCount of open shards, RetentionPeriodHours, StreamModeDetails, StreamEncryption);
* AWS::SSM::ManagedInstanceInventory: one per managed node (``tui.sim.extensions.ssm``), whose
  ``configuration`` holds the ``AWS:InstanceInformation`` inventory, its Content keyed by the
  instance id.

Every item has resourceId, resourceName (where Config sets one), resourceType, accountId,
awsRegion, availabilityZone, arn, tags (``[{"key", "value"}]``; ``tags.tag`` is ``key=value``),
resourceCreationTime, configurationItemCaptureTime and configurationItemStatus.

The aggregator covers its AccountAggregationSources (accounts x AwsRegions, or every Region an
account holds resources in with AllAwsRegions; a source account other than the aggregator's own
counts only once it has authorized the aggregator's account and Region in that Region with
PutAggregationAuthorization) or, with an OrganizationAggregationSource, every active account of
the organization. PutConfigurationAggregator with an OrganizationAggregationSource is refused
(OrganizationAccessDeniedException) unless the caller is the organization's management account or
its delegated administrator for AWS Config (config.amazonaws.com, or
config-multiaccountsetup.amazonaws.com, the one moto's Organizations accepts), and
(NoAvailableOrganizationException) outside an organization. Configuration recorders are not
required: every account records every supported resource.

The query language is the SELECT subset AWS Config documents, without aggregation:
``SELECT field, ... [WHERE condition] [ORDER BY field [ASC|DESC], ...]`` where a field is a
property path (``configuration.state.name``, ``tags.key``) or ``*``, and a condition combines
comparisons (=, !=, <>, <, <=, >, >=), ``[NOT] IN (...)``, ``[NOT] LIKE '...%'`` and
``BETWEEN a AND b`` with AND, OR, NOT and parentheses; a comparison on a property inside a list
holds when any element's value does. Each result is a JSON string holding the selected properties
nested as they are in the item; ``QueryInfo.SelectFields`` names the selected fields. Limit (or
MaxResults) is 0 to 100, 25 when 0 or absent; NextToken pages on. FROM, GROUP BY and aggregate
functions are refused with InvalidExpressionException.
"""

# moto is imported inside the functions, for start-up time: see tui/sim/extensions/__init__.py.
from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tui.sim.extensions import ssm
from tui.sim.extensions._common import decode_offset_token, encode_offset_token, service_error
from tui.sim.extensions._organizations import organization_of

logger = logging.getLogger(__name__)

EC2_INSTANCE = "AWS::EC2::Instance"
EC2_VOLUME = "AWS::EC2::Volume"
KINESIS_STREAM = "AWS::Kinesis::Stream"
MANAGED_INVENTORY = "AWS::SSM::ManagedInstanceInventory"
RESOURCE_TYPES = (EC2_INSTANCE, EC2_VOLUME, KINESIS_STREAM, MANAGED_INVENTORY)
DEFAULT_LIMIT = 25
MAX_LIMIT = 100
CONFIG_SERVICE_PRINCIPALS = ("config.amazonaws.com", "config-multiaccountsetup.amazonaws.com")

_install_lock = threading.Lock()
moto_originals: dict[str, Any] = {}


# --------------------------------------------------------------------------------------------
# Configuration items
# --------------------------------------------------------------------------------------------


def config_time(value: Any, *, whole_seconds: bool = False) -> str | None:
    """A timestamp as Config writes it: UTC, milliseconds, Z (``.000`` with ``whole_seconds``, as
    the EC2 API gives its timestamps)."""
    moment: datetime
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    elif isinstance(value, datetime):
        moment = value
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    milliseconds = 0 if whole_seconds else moment.microsecond // 1000
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{milliseconds:03d}Z"


def _tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"key": str(key), "value": str(value)} for key, value in tags.items()]


@dataclass
class Item:
    """One configuration item; ``configuration`` is made when first read (it is the costly part)."""

    fields: dict[str, Any]
    make_configuration: Callable[[], Any] = field(repr=False)
    _configuration: Any = field(default=None, init=False, repr=False)
    _made: bool = field(default=False, init=False, repr=False)

    @property
    def configuration(self) -> Any:
        if not self._made:
            self._configuration = self.make_configuration()
            self._made = True
        return self._configuration

    def get(self, name: str) -> Any:
        if name == "configuration":
            return self.configuration
        return self.fields.get(name)

    def whole(self) -> dict[str, Any]:
        document = dict(self.fields)
        document["configuration"] = self.configuration
        return document


def _item(
    *,
    resource_type: str,
    resource_id: str,
    account_id: str,
    region: str,
    arn: str,
    configuration: Callable[[], Any],
    tags: Mapping[str, str],
    created: Any = None,
    whole_seconds: bool = False,
    name: str | None = None,
    availability_zone: str | None = None,
) -> Item:
    created_text = config_time(created, whole_seconds=whole_seconds)
    fields: dict[str, Any] = {
        "version": "1.3",
        "accountId": account_id,
        "configurationItemCaptureTime": created_text,
        "configurationItemStatus": "OK",
        "arn": arn,
        "resourceType": resource_type,
        "resourceId": resource_id,
        "awsRegion": region,
        "availabilityZone": availability_zone or "Not Applicable",
        "resourceCreationTime": created_text,
        "tags": _tag_list(tags),
        "supplementaryConfiguration": {},
    }
    if name is not None:
        fields["resourceName"] = name
    return Item({key: value for key, value in fields.items() if value is not None}, configuration)


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


@functools.cache
def _ec2_serializer(operation: str) -> Any:
    """A serializer of EC2's ``operation`` answer as Config writes it: JSON, camelCase members,
    Config's timestamps, through moto's own attribute picker and EC2's answer transformers."""
    from moto.core.serialize import JSONSerializer, XFormedAttributePicker
    from moto.core.utils import get_service_model
    from moto.ec2.responses._base_response import EC2BaseResponse

    class ConfigItemSerializer(JSONSerializer):
        def get_serialized_name(self, shape: Any, default_name: str) -> str:
            return _camel(default_name)

        def _serialize_type_timestamp(self, serialized: Any, value: Any, shape: Any, key: str) -> None:
            self._default_serialize(serialized, config_time(value, whole_seconds=True), shape, key)

        def _serialize_type_list(self, serialized: Any, value: Any, shape: Any, key: str) -> None:
            # As JSONSerializer's, with the members' names camelCased.
            items = []
            for element in value:
                wrapper: dict[str, Any] = {}
                self._serialize(wrapper, element, shape.member, shape.member.name)
                items.append(wrapper.get(_camel(shape.member.name), element))
            self._default_serialize(serialized, items, shape, key)

    operation_model = get_service_model("ec2").operation_model(operation)
    picker = XFormedAttributePicker(response_transformers=EC2BaseResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER)
    return ConfigItemSerializer(operation_model, value_picker=picker)


_serializer_lock = threading.Lock()


def _serialized(operation: str, result: Mapping[str, Any]) -> dict[str, Any]:
    with _serializer_lock:  # a serializer keeps its path while it works
        body = _ec2_serializer(operation).serialize(result)["body"]
    parsed: dict[str, Any] = json.loads(body)
    return parsed


# Serializing an EC2 structure costs about a millisecond; a fleet's inventory is read again every
# few minutes, mostly unchanged. A configuration is kept while its resource's fingerprint (what
# the console's inventory reads of it, and what AWS Config would record a change for) stays the
# same; the fingerprint costs microseconds. A kept configuration is shared: nothing changes it.
_configurations: dict[tuple[int, str], tuple[Any, dict[str, Any]]] = {}
_configurations_lock = threading.Lock()
MAX_KEPT_CONFIGURATIONS = 50_000


def _kept(resource: Any, kind: str, fingerprint: Any, make: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    key = (id(resource), kind)
    with _configurations_lock:
        hit = _configurations.get(key)
    if hit is not None and hit[0] == fingerprint:
        return hit[1]
    made = make()
    with _configurations_lock:
        if len(_configurations) >= MAX_KEPT_CONFIGURATIONS:
            _configurations.clear()
        _configurations[key] = (fingerprint, made)
    return made


def _tags_of(backend: Any, resource_id: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(dict(backend.tags.get(resource_id, {})).items()))


def _instance_fingerprint(instance: Any, tags: tuple[tuple[str, str], ...]) -> tuple[Any, ...]:
    devices = tuple(
        (device, getattr(mapping, "volume_id", None), getattr(mapping, "status", None))
        for device, mapping in sorted(instance.block_device_mapping.items())
    )
    groups = tuple(sorted(str(getattr(group, "id", group)) for group in instance.security_groups or ()))
    return (
        instance.state,
        instance.instance_type,
        instance.monitoring_state,
        tags,
        devices,
        groups,
        instance.image_id,
        getattr(instance, "private_ip", None),
        len(getattr(instance, "nics", {}) or {}),
    )


def _instance_configuration(instance: Any, tags: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    def make() -> dict[str, Any]:
        answer = _serialized("DescribeInstances", {"Reservations": [{"Instances": [instance]}]})
        configuration: dict[str, Any] = answer["reservations"][0]["instances"][0]
        configuration.setdefault("tags", [])
        return configuration

    return _kept(instance, "instance", _instance_fingerprint(instance, tags), make)


def _volume_fingerprint(volume: Any, tags: tuple[tuple[str, str], ...]) -> tuple[Any, ...]:
    attachment = volume.attachment
    attached = None if attachment is None else (attachment.instance.id, attachment.device, attachment.status)
    return (
        volume.size,
        volume.volume_type,
        volume.iops,
        volume.throughput,
        volume.status,
        volume.encrypted,
        volume.kms_key_id,
        attached,
        tags,
    )


def _volume_configuration(volume: Any, tags: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    def make() -> dict[str, Any]:
        configuration: dict[str, Any] = _serialized("DescribeVolumes", {"Volumes": [volume]})["volumes"][0]
        configuration["state"] = {"value": configuration.get("state")}
        configuration.setdefault("tags", [])
        configuration.setdefault("attachments", [])
        return configuration

    return _kept(volume, "volume", _volume_fingerprint(volume, tags), make)


def _existing(backends: Any, account_id: str, region: str) -> Any:
    per_account = dict.get(backends, account_id)
    return None if per_account is None else dict.get(per_account, region)


def _ec2_items(account_id: str, region: str, resource_type: str) -> list[Item]:
    from moto.ec2.models import ec2_backends

    backend = _existing(ec2_backends, account_id, region)
    if backend is None:
        return []
    partition = backend.partition
    items: list[Item] = []
    if resource_type == EC2_INSTANCE:
        for instance in list(backend.all_instances()):
            if instance.state == "terminated":
                continue
            items.append(
                _item(
                    resource_type=EC2_INSTANCE,
                    resource_id=instance.id,
                    account_id=account_id,
                    region=region,
                    arn=f"arn:{partition}:ec2:{region}:{account_id}:instance/{instance.id}",
                    configuration=functools.partial(
                        _instance_configuration, instance, _tags_of(backend, instance.id)
                    ),
                    tags=backend.tags.get(instance.id, {}),
                    created=instance.launch_time,
                    whole_seconds=True,
                    availability_zone=instance.availability_zone,
                )
            )
    else:
        for volume in list(backend.volumes.values()):
            items.append(
                _item(
                    resource_type=EC2_VOLUME,
                    resource_id=volume.id,
                    account_id=account_id,
                    region=region,
                    arn=f"arn:{partition}:ec2:{region}:{account_id}:volume/{volume.id}",
                    configuration=functools.partial(
                        _volume_configuration, volume, _tags_of(backend, volume.id)
                    ),
                    tags=backend.tags.get(volume.id, {}),
                    created=volume.create_time,
                    whole_seconds=True,
                    availability_zone=getattr(volume.zone, "name", None),
                )
            )
    return items


def _stream_configuration(stream: Any) -> dict[str, Any]:
    configuration: dict[str, Any] = {
        "Name": stream.stream_name,
        "Arn": stream.arn,
        "ShardCount": sum(1 for shard in list(stream.shards.values()) if shard.is_open),
        "RetentionPeriodHours": stream.retention_period_hours,
        "StreamModeDetails": {"StreamMode": (stream.stream_mode or {}).get("StreamMode", "PROVISIONED")},
    }
    if stream.encryption_type and stream.encryption_type != "NONE":
        configuration["StreamEncryption"] = {"EncryptionType": stream.encryption_type, "KeyId": stream.key_id}
    return configuration


def _kinesis_items(account_id: str, region: str) -> list[Item]:
    from moto.kinesis.models import kinesis_backends

    backend = _existing(kinesis_backends, account_id, region)
    if backend is None:
        return []
    return [
        _item(
            resource_type=KINESIS_STREAM,
            resource_id=stream.stream_name,
            name=stream.stream_name,
            account_id=account_id,
            region=region,
            arn=stream.arn,
            configuration=functools.partial(_stream_configuration, stream),
            tags=dict(stream.tags),
            created=stream.creation_datetime,
        )
        for stream in list(backend.streams.values())
    ]


def _inventory_configuration(
    node: Mapping[str, Any], instance_status: str, captured: str | None
) -> dict[str, Any]:
    content = {
        "AgentType": "amazon-ssm-agent",
        "AgentVersion": node["AgentVersion"],
        "ComputerName": node.get("ComputerName") or node["InstanceId"],
        "InstanceId": node["InstanceId"],
        "InstanceStatus": instance_status,
        "IpAddress": node.get("IPAddress"),
        "PlatformName": node["PlatformName"],
        "PlatformType": node["PlatformType"],
        "PlatformVersion": node["PlatformVersion"],
        "ResourceType": node["ResourceType"],
    }
    return {
        "AWS:InstanceInformation": {
            "SchemaVersion": "1.0",
            "CaptureTime": captured,
            "Content": {node["InstanceId"]: {k: v for k, v in content.items() if v is not None}},
        }
    }


_INSTANCE_STATUS = {"Online": "Active", "ConnectionLost": "ConnectionLost", "Inactive": "Inactive"}


def _inventory_items(account_id: str, region: str) -> list[Item]:
    nodes = ssm.describe_managed_nodes(account_id, region)
    partition = "aws-cn" if region.startswith("cn-") else "aws"
    items: list[Item] = []
    for node in nodes:
        instance_id = str(node["InstanceId"])
        captured = config_time(node.get("LastPingDateTime"))
        status = _INSTANCE_STATUS.get(str(node.get("PingStatus")), "Active")
        items.append(
            _item(
                resource_type=MANAGED_INVENTORY,
                resource_id=instance_id,
                name=instance_id,
                account_id=account_id,
                region=region,
                arn=f"arn:{partition}:ssm:{region}:{account_id}:managed-instance-inventory/{instance_id}",
                configuration=functools.partial(_inventory_configuration, node, status, captured),
                tags={},
                created=node.get("RegistrationDate") or node.get("LastPingDateTime"),
            )
        )
    return items


def items_of(account_id: str, region: str, resource_types: Sequence[str] = RESOURCE_TYPES) -> list[Item]:
    """The configuration items of one account and Region, of the given types."""
    items: list[Item] = []
    for resource_type in resource_types:
        if resource_type in (EC2_INSTANCE, EC2_VOLUME):
            items.extend(_ec2_items(account_id, region, resource_type))
        elif resource_type == KINESIS_STREAM:
            items.extend(_kinesis_items(account_id, region))
        elif resource_type == MANAGED_INVENTORY:
            items.extend(_inventory_items(account_id, region))
    return items


def _regions_with_resources(account_id: str) -> list[str]:
    from moto.ec2.models import ec2_backends
    from moto.kinesis.models import kinesis_backends

    regions: set[str] = set(ssm.regions_with_nodes(account_id))
    for backends in (ec2_backends, kinesis_backends):
        per_account: Any = dict.get(backends, account_id)
        if per_account is not None:
            regions.update(str(region) for region in list(dict.keys(per_account)))
    return sorted(regions)


# --------------------------------------------------------------------------------------------
# What an aggregator covers
# --------------------------------------------------------------------------------------------


def _authorized(source: str, region: str, aggregator_account: str, aggregator_region: str) -> bool:
    from moto.config.models import config_backends

    backend = _existing(config_backends, source, region)
    if backend is None:
        return False
    return f"{aggregator_account}/{aggregator_region}" in backend.aggregation_authorizations


def scope(aggregator: Any, account_id: str, region: str) -> list[tuple[str, str]]:
    """(account, Region) of every source an aggregator of ``account_id`` in ``region`` reads."""
    pairs: list[tuple[str, str]] = []
    if aggregator.organization_aggregation_source is not None:
        source = aggregator.organization_aggregation_source
        organization = organization_of(account_id)
        accounts = [a.id for a in organization.accounts if a.status == "ACTIVE"] if organization else []
        for each in accounts:
            regions = (
                _regions_with_resources(each) if source.all_aws_regions else list(source.aws_regions or [])
            )
            pairs.extend((each, r) for r in regions)
        return list(dict.fromkeys(pairs))
    for source in aggregator.account_aggregation_sources or []:
        for each in source.account_ids:
            regions = (
                _regions_with_resources(each) if source.all_aws_regions else list(source.aws_regions or [])
            )
            for r in regions:
                if each == account_id or _authorized(each, r, account_id, region):
                    pairs.append((each, r))
    return list(dict.fromkeys(pairs))


# --------------------------------------------------------------------------------------------
# The query language
# --------------------------------------------------------------------------------------------


class InvalidExpression(ValueError):
    """A query AWS Config refuses with InvalidExpressionException."""


_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<string>'(?:[^']|'')*')"
    r"|(?P<number>-?\d+(?:\.\d+)?)"
    r"|(?P<op><>|!=|<=|>=|=|<|>)"
    r"|(?P<symbol>[(),*])"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_:]*(?:\.[A-Za-z_][A-Za-z0-9_:]*)*)"
    r")"
)
_KEYWORDS = {"SELECT", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "BETWEEN", "ORDER", "BY", "ASC", "DESC"}
_REFUSED = {"FROM", "AS", "JOIN", "DISTINCT", "HAVING", "ALL", "GROUP", "COUNT", "SUM", "AVG", "MIN", "MAX"}

Predicate = Callable[[Item], bool]


@dataclass(frozen=True)
class Token:
    kind: str
    text: str


def tokenize(expression: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    text = expression.rstrip().rstrip(";")
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise InvalidExpression(
                f"Unexpected text at position {position}: {text[position : position + 20]!r}"
            )
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "word" and value.upper() in _KEYWORDS:
            tokens.append(Token("keyword", value.upper()))
        elif kind == "word" and value.upper() in _REFUSED:
            raise InvalidExpression(f"{value.upper()} is not supported in an advanced query here.")
        elif kind == "string":
            tokens.append(Token("string", value[1:-1].replace("''", "'")))
        else:
            tokens.append(Token(kind, value))
        position = match.end()
    return tokens


def _values_at(item: Item, path: str) -> list[Any]:
    """Every value at a property path of an item, flattening the lists on the way (``tags.tag``
    is each tag as ``key=value``)."""
    if path == "tags.tag":
        return [f"{tag['key']}={tag['value']}" for tag in item.fields.get("tags", [])]
    first, _, rest = path.partition(".")
    current: list[Any] = [item.get(first)]
    for segment in rest.split(".") if rest else []:
        found: list[Any] = []
        for value in current:
            for element in value if isinstance(value, list) else [value]:
                if isinstance(element, Mapping) and element.get(segment) is not None:
                    found.append(element[segment])
        current = found
    flat: list[Any] = []
    for value in current:
        if isinstance(value, list):
            flat.extend(value)
        elif value is not None:
            flat.append(value)
    return flat


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _ordered(a: Any, operator: str, b: Any) -> bool:
    if operator == "=":
        return bool(a == b)
    if operator in ("!=", "<>"):
        return bool(a != b)
    if operator == "<":
        return bool(a < b)
    if operator == "<=":
        return bool(a <= b)
    if operator == ">":
        return bool(a > b)
    return bool(a >= b)


def _compare(left: Any, operator: str, right: Any) -> bool:
    """A property value against a literal: booleans as words, numbers as numbers, text as text."""
    if isinstance(left, bool) or isinstance(right, bool):
        if operator not in ("=", "!=", "<>"):
            return False
        equal = str(left).lower() == str(right).lower()
        return equal if operator == "=" else not equal
    if isinstance(right, int | float):
        number = _number(left)
        return number is not None and _ordered(number, operator, float(right))
    return _ordered(str(left), operator, str(right))


def _like(pattern: str) -> re.Pattern[str]:
    escaped = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.compile(f"^{escaped}$", re.DOTALL)


@dataclass
class Query:
    fields: list[str]
    where: Predicate | None
    order: list[tuple[str, bool]]
    resource_types: tuple[str, ...] | None
    """The resource types the WHERE clause restricts the query to, when it does."""


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.position = 0
        self.types: set[str] | None = None

    def peek(self) -> Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise InvalidExpression("The expression ends too early.")
        self.position += 1
        return token

    def accept(self, kind: str, text: str | None = None) -> bool:
        token = self.peek()
        if token is not None and token.kind == kind and (text is None or token.text == text):
            self.position += 1
            return True
        return False

    def expect(self, kind: str, text: str | None = None) -> Token:
        token = self.take()
        if token.kind != kind or (text is not None and token.text != text):
            raise InvalidExpression(f"Expected {text or kind} but found {token.text!r}.")
        return token

    def parse(self) -> Query:
        self.expect("keyword", "SELECT")
        fields = [self.field(allow_star=True)]
        while self.accept("symbol", ","):
            fields.append(self.field(allow_star=True))
        if "*" in fields and len(fields) > 1:
            raise InvalidExpression("* cannot be combined with other fields.")
        where: Predicate | None = None
        if self.accept("keyword", "WHERE"):
            where = self.disjunction(top=True)
        order: list[tuple[str, bool]] = []
        if self.accept("keyword", "ORDER"):
            self.expect("keyword", "BY")
            while True:
                name = self.field(allow_star=False)
                descending = False
                if self.accept("keyword", "DESC"):
                    descending = True
                else:
                    self.accept("keyword", "ASC")
                order.append((name, descending))
                if not self.accept("symbol", ","):
                    break
        token = self.peek()
        if token is not None:
            raise InvalidExpression(f"Unexpected {token.text!r}.")
        types = tuple(sorted(self.types)) if self.types is not None else None
        return Query(fields, where, order, types)

    def field(self, *, allow_star: bool) -> str:
        token = self.take()
        if token.kind == "symbol" and token.text == "*" and allow_star:
            return "*"
        if token.kind != "word":
            raise InvalidExpression(f"Expected a property name but found {token.text!r}.")
        return token.text

    def value(self) -> Any:
        token = self.take()
        if token.kind == "string":
            return token.text
        if token.kind == "number":
            return float(token.text) if "." in token.text else int(token.text)
        if token.kind == "word" and token.text.lower() in ("true", "false"):
            return token.text.lower() == "true"
        raise InvalidExpression(f"Expected a value but found {token.text!r}.")

    def disjunction(self, *, top: bool = False) -> Predicate:
        parts = [self.conjunction(top=top)]
        while self.accept("keyword", "OR"):
            parts.append(self.conjunction(top=False))
        if len(parts) > 1:
            if top:
                self.types = None
            return lambda item: any(part(item) for part in parts)
        return parts[0]

    def conjunction(self, *, top: bool) -> Predicate:
        parts = [self.negation(top=top)]
        while self.accept("keyword", "AND"):
            parts.append(self.negation(top=top))
        if len(parts) > 1:
            return lambda item: all(part(item) for part in parts)
        return parts[0]

    def negation(self, *, top: bool) -> Predicate:
        if self.accept("keyword", "NOT"):
            inner = self.negation(top=False)
            return lambda item: not inner(item)
        if self.accept("symbol", "("):
            inner = self.disjunction(top=False)
            self.expect("symbol", ")")
            return inner
        return self.comparison(top=top)

    def _restrict(self, types: set[str]) -> None:
        self.types = types if self.types is None else self.types & types

    def comparison(self, *, top: bool) -> Predicate:
        name = self.field(allow_star=False)
        negated = self.accept("keyword", "NOT")
        token = self.take()
        if token.kind == "keyword" and token.text == "IN":
            self.expect("symbol", "(")
            values = [self.value()]
            while self.accept("symbol", ","):
                values.append(self.value())
            self.expect("symbol", ")")
            if top and not negated and name == "resourceType":
                self._restrict({str(v) for v in values})

            def within(item: Item) -> bool:
                return any(_compare(v, "=", w) for v in _values_at(item, name) for w in values)

            return (lambda item: not within(item)) if negated else within
        if token.kind == "keyword" and token.text == "LIKE":
            pattern = self.value()
            if not isinstance(pattern, str):
                raise InvalidExpression("LIKE takes a quoted pattern.")
            regex = _like(pattern)

            def like(item: Item) -> bool:
                return any(regex.match(str(v)) for v in _values_at(item, name))

            return (lambda item: not like(item)) if negated else like
        if token.kind == "keyword" and token.text == "BETWEEN":
            low = self.value()
            self.expect("keyword", "AND")
            high = self.value()

            def between(item: Item) -> bool:
                return any(_compare(v, ">=", low) and _compare(v, "<=", high) for v in _values_at(item, name))

            return (lambda item: not between(item)) if negated else between
        if negated or token.kind != "op":
            raise InvalidExpression(f"Expected a comparison after {name} but found {token.text!r}.")
        operator = token.text
        target = self.value()
        if top and operator == "=" and name == "resourceType":
            self._restrict({str(target)})
        if operator in ("!=", "<>"):
            return lambda item: not any(_compare(v, "=", target) for v in _values_at(item, name))
        return lambda item: any(_compare(v, operator, target) for v in _values_at(item, name))


def parse(expression: str) -> Query:
    """A query, or InvalidExpression saying what is wrong with it."""
    if not expression.strip():
        raise InvalidExpression("The expression is empty.")
    return _Parser(tokenize(expression)).parse()


def _project(value: Any, parts: Sequence[str]) -> Any:
    if not parts:
        return value
    if isinstance(value, list):
        projected = [_project(element, parts) for element in value]
        return [element for element in projected if element is not None]
    if isinstance(value, Mapping) and parts[0] in value:
        inner = _project(value[parts[0]], parts[1:])
        return None if inner is None else {parts[0]: inner}
    return None


def _merge(into: dict[str, Any], more: Mapping[str, Any]) -> None:
    for key, value in more.items():
        have = into.get(key)
        if isinstance(have, dict) and isinstance(value, Mapping):
            _merge(have, value)
        elif isinstance(have, list) and isinstance(value, list) and len(have) == len(value):
            for mine, theirs in zip(have, value, strict=True):
                if isinstance(mine, dict) and isinstance(theirs, Mapping):
                    _merge(mine, theirs)
        else:
            into[key] = value


def selected(item: Item, fields: Sequence[str]) -> dict[str, Any]:
    """The selected properties of an item, nested as they are in it."""
    if fields == ["*"]:
        return item.whole()
    result: dict[str, Any] = {}
    for name in fields:
        first, _, rest = name.partition(".")
        value = item.get(first)
        if value is None:
            continue
        projected = _project({first: value}, [first, *rest.split(".")] if rest else [first])
        if projected is not None:
            _merge(result, projected)
    return result


def _sort_key(item: Item, *, name: str) -> tuple[int, Any]:
    values = _values_at(item, name)
    if not values:
        return (2, "")
    number = _number(values[0])
    return (0, number) if number is not None else (1, str(values[0]))


def run(query: Query, items: Iterator[Item] | list[Item]) -> list[Item]:
    chosen = [item for item in items if query.where is None or query.where(item)]
    for name, descending in reversed(query.order):
        present = [i for i in chosen if _values_at(i, name)]
        missing = [i for i in chosen if not _values_at(i, name)]
        present.sort(key=functools.partial(_sort_key, name=name), reverse=descending)
        chosen = present + missing
    return chosen


# --------------------------------------------------------------------------------------------
# SelectAggregateResourceConfig
# --------------------------------------------------------------------------------------------


def _limit(params: Mapping[str, Any]) -> int:
    from moto.config.exceptions import InvalidLimitException

    raw = params.get("MaxResults")
    if raw is None:
        raw = params.get("Limit")
    if raw is None:
        return DEFAULT_LIMIT
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= MAX_LIMIT:
        raise InvalidLimitException(raw)
    return raw or DEFAULT_LIMIT


def select_aggregate_resource_config(backend: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    from moto.config.exceptions import InvalidNextTokenException, NoSuchConfigurationAggregatorException

    expression = params.get("Expression")
    name = params.get("ConfigurationAggregatorName")
    aggregator = backend.config_aggregators.get(name) if isinstance(name, str) else None
    if aggregator is None:
        raise NoSuchConfigurationAggregatorException()
    if not isinstance(expression, str) or not 1 <= len(expression) <= 4096:
        raise service_error("InvalidExpressionException", "The expression must be 1 to 4096 characters long.")
    limit = _limit(params)
    try:
        query = parse(expression)
    except InvalidExpression as exc:
        raise service_error("InvalidExpressionException", str(exc)) from None
    digest = hashlib.sha256(f"{backend.account_id}\n{name}\n{expression}".encode()).hexdigest()[:16]
    start = 0
    token = params.get("NextToken")
    chosen: list[Item] | None = None
    if token:
        try:
            start = decode_offset_token(digest, str(token))
        except ValueError:
            raise InvalidNextTokenException() from None
        chosen = _snapshots.get(digest, start)
    if chosen is None:
        types = query.resource_types or RESOURCE_TYPES
        wanted = [t for t in RESOURCE_TYPES if t in types]
        items = [
            item
            for account, region in scope(aggregator, backend.account_id, backend.region_name)
            for item in items_of(account, region, wanted)
        ]
        chosen = run(query, items)
    page = chosen[start : start + limit]
    answer: dict[str, Any] = {
        "Results": [json.dumps(selected(item, query.fields), separators=(",", ":")) for item in page],
        "QueryInfo": {"SelectFields": [{"Name": name} for name in query.fields]},
    }
    if start + limit < len(chosen):
        answer["NextToken"] = encode_offset_token(digest, start + limit)
        _snapshots.keep(digest, start + limit, chosen)
    return answer


class _Snapshots:
    """The results of the queries being paged through: the next page of a NextToken comes from the
    result its first page was cut from (a query's pages are one consistent answer, and paging
    through N results costs N, not N squared). Kept for ``TTL_S`` seconds, ``MAX`` at most."""

    TTL_S = 300.0
    MAX = 32

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[tuple[str, int], tuple[float, list[Item]]] = {}

    def keep(self, digest: str, offset: int, items: list[Item]) -> None:
        now = time.monotonic()
        with self._lock:
            for key in [k for k, (at, _) in self._kept.items() if now - at > self.TTL_S]:
                del self._kept[key]
            while len(self._kept) >= self.MAX:
                del self._kept[next(iter(self._kept))]
            self._kept[(digest, offset)] = (now, items)

    def get(self, digest: str, offset: int) -> list[Item] | None:
        with self._lock:
            kept = self._kept.pop((digest, offset), None)
        if kept is None or time.monotonic() - kept[0] > self.TTL_S:
            return None
        return kept[1]


_snapshots = _Snapshots()


def reset() -> None:
    """Forget the kept configurations and the queries being paged (a simulator starts anew)."""
    with _configurations_lock:
        _configurations.clear()
    global _snapshots
    _snapshots = _Snapshots()


def _check_organization_source(backend: Any, config_aggregator: Mapping[str, Any]) -> None:
    if not config_aggregator.get("OrganizationAggregationSource"):
        return
    from moto.organizations.models import organizations_backends

    organization = organization_of(backend.account_id)
    if organization is None:
        raise service_error(
            "NoAvailableOrganizationException",
            f"Account {backend.account_id} is not a member of an organization in AWS Organizations.",
        )
    if organization.management_account_id == backend.account_id:
        return
    management = dict.get(organizations_backends, organization.management_account_id)
    org_backend = dict.get(management, "aws") if management is not None else None
    for admin in list(getattr(org_backend, "admins", [])):
        if admin.account.id == backend.account_id and any(
            p in admin.services for p in CONFIG_SERVICE_PRINCIPALS
        ):
            return
    raise service_error(
        "OrganizationAccessDeniedException",
        "An organization aggregator can be created only by the organization's management account"
        " or a delegated administrator for AWS Config.",
    )


def _wrap_put(original: Callable[..., Any]) -> Callable[..., Any]:
    def put_configuration_aggregator(self: Any, config_aggregator: dict[str, Any]) -> Any:
        _check_organization_source(self, config_aggregator)
        return original(self, config_aggregator)

    put_configuration_aggregator.__dict__["warroom_original"] = original
    return put_configuration_aggregator


def _response_select_aggregate_resource_config(self: Any) -> str:
    params = {
        key: self._get_param(key)
        for key in ("Expression", "ConfigurationAggregatorName", "Limit", "MaxResults", "NextToken")
    }
    return json.dumps(select_aggregate_resource_config(self.config_backend, params))


def install() -> None:
    """Add SelectAggregateResourceConfig to moto's Config, and the organization checks to
    PutConfigurationAggregator (idempotent)."""
    from moto.config.models import ConfigBackend
    from moto.config.responses import ConfigResponse

    with _install_lock:
        name = "select_aggregate_resource_config"
        current = ConfigResponse.__dict__.get(name)
        if current is not _response_select_aggregate_resource_config:
            moto_originals.setdefault(f"ConfigResponse.{name}", current)
            setattr(ConfigResponse, name, _response_select_aggregate_resource_config)
        put = ConfigBackend.__dict__["put_configuration_aggregator"]
        if "warroom_original" not in getattr(put, "__dict__", {}):
            moto_originals.setdefault("ConfigBackend.put_configuration_aggregator", put)
            ConfigBackend.put_configuration_aggregator = _wrap_put(put)  # type: ignore[method-assign]
    logger.debug("config aggregator extension installed")
