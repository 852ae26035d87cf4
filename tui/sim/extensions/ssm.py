"""Managed nodes and Session Manager sessions for moto's SSM, which has neither.

``install()`` adds DescribeInstanceInformation, StartSession, DescribeSessions and
TerminateSession to moto's SSM response class. moto dispatches a JSON-protocol call by turning
the operation in ``X-Amz-Target`` into a method name and looking that name up on the response
class on every request, so a method added to the class is answered like one of moto's own.

Managed nodes do not exist in moto: the workload registers them with ``register_node`` (the
server runs in this process, so the state below is the state the HTTP calls see). A node whose
EC2 instance moto reports as stopped or terminated is no longer listed, like AWS, and cannot be
connected to. TokenValue is a credential: it is generated, returned once and never logged or kept.
"""

# moto is imported inside the functions, for start-up time: see tui/sim/extensions/__init__.py.
from __future__ import annotations

import base64
import dataclasses
import logging
import re
import secrets
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tui.sim.extensions._common import (
    decode_offset_token,
    encode_offset_token,
    json_params,
    service_error,
)

logger = logging.getLogger(__name__)

PING_STATUSES = ("Online", "ConnectionLost", "Inactive")
PLATFORM_TYPES = ("Windows", "Linux", "MacOS")
RESOURCE_TYPES = ("EC2Instance", "ManagedInstance")
SOURCE_TYPES = (
    "AWS::EC2::Instance",
    "AWS::IoT::Thing",
    "AWS::SSM::ManagedInstance",
    "Microsoft.Compute/virtualMachines",
)
_INSTANCE_ID = re.compile(r"^(i-(\w{8}|\w{17})|mi-\w{17})$")

# SSM Agent pings the service about every five minutes while it is online.
PING_INTERVAL = timedelta(minutes=5)
# DescribeSessions(State=History) covers the past 30 days.
HISTORY_RETENTION = timedelta(days=30)

DEFAULT_SESSION_DOCUMENT = "SSM-SessionManagerRunShell"
ACTIVE_STATUSES = ("Connected", "Connecting", "Disconnected")
SESSION_STATUSES = ("Connected", "Connecting", "Disconnected", "Terminated", "Terminating", "Failed")
SESSION_FILTER_KEYS = (
    "InvokedAfter",
    "InvokedBefore",
    "Target",
    "Owner",
    "Status",
    "SessionId",
    "AccessType",
)
LEGACY_FILTER_KEYS = (
    "InstanceIds",
    "AgentVersion",
    "PingStatus",
    "PlatformTypes",
    "ActivationIds",
    "IamRole",
    "ResourceType",
    "AssociationStatus",
)
STRING_FILTER_KEYS = (*LEGACY_FILTER_KEYS, "SourceIds", "SourceTypes")

_PORT = r"^([1-9]|[1-9][0-9]{1,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$"
_LOCAL_PORT = (
    r"^([0-9]|[1-9][0-9]{1,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$"
)


@dataclass(frozen=True)
class DocumentParameter:
    """One parameter of a Session document: required when it has no default."""

    default: str | None = None
    allowed_pattern: str | None = None


# The parameters of the AWS-owned Session documents, as the documents define them.
AWS_SESSION_DOCUMENTS: dict[str, dict[str, DocumentParameter]] = {
    DEFAULT_SESSION_DOCUMENT: {},
    "AWS-StartSSHSession": {"portNumber": DocumentParameter("22", _PORT)},
    "AWS-StartPortForwardingSession": {
        "portNumber": DocumentParameter("80", _PORT),
        "localPortNumber": DocumentParameter("0", _LOCAL_PORT),
    },
    "AWS-StartPortForwardingSessionToRemoteHost": {
        "host": DocumentParameter(),
        "portNumber": DocumentParameter("80", _PORT),
        "localPortNumber": DocumentParameter("0", _LOCAL_PORT),
    },
    "AWS-StartInteractiveCommand": {"command": DocumentParameter()},
    "AWS-StartNonInteractiveCommand": {"command": DocumentParameter()},
}


@dataclass
class ManagedNode:
    """A node SSM Agent has registered: what DescribeInstanceInformation reports about it."""

    instance_id: str
    ping_status: str = "Online"
    last_ping: datetime | None = None
    agent_version: str = "3.3.1142.0"
    is_latest_version: bool = True
    platform_type: str = "Linux"
    platform_name: str = "Amazon Linux"
    platform_version: str = "2023"
    resource_type: str = "EC2Instance"
    iam_role: str | None = None
    name: str | None = None
    ip_address: str | None = None
    computer_name: str | None = None
    activation_id: str | None = None
    registration_date: datetime | None = None
    source_type: str | None = None


@dataclass
class _Session:
    session_id: str
    target: str
    status: str
    start_date: datetime
    owner: str
    document_name: str
    reason: str | None = None
    end_date: datetime | None = None

    def view(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "SessionId": self.session_id,
            "Target": self.target,
            "Status": self.status,
            "StartDate": self.start_date,
            "DocumentName": self.document_name,
            "Owner": self.owner,
        }
        if self.end_date is not None:
            out["EndDate"] = self.end_date
        if self.reason is not None:
            out["Reason"] = self.reason
        return out


_Key = tuple[str, str]

_lock = threading.RLock()
_nodes: dict[_Key, dict[str, ManagedNode]] = {}
_sessions: dict[_Key, dict[str, _Session]] = {}


def _now() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------------------------
# The seam the workload and the faults use
# --------------------------------------------------------------------------------------------


def register_node(account_id: str, region: str, node: ManagedNode) -> None:
    """Register (or replace) a managed node in an account and region.

    The node is copied; ``last_ping`` None becomes the registration time, a hybrid node
    (ManagedInstance) without ``registration_date`` gets the registration time too, and a missing
    ``source_type`` follows the resource type.
    """
    _validate_node(node)
    now = _now()
    stored = dataclasses.replace(node)
    if stored.last_ping is None:
        stored.last_ping = now
    if stored.registration_date is None and stored.resource_type == "ManagedInstance":
        stored.registration_date = now
    if stored.source_type is None:
        stored.source_type = (
            "AWS::SSM::ManagedInstance" if stored.resource_type == "ManagedInstance" else "AWS::EC2::Instance"
        )
    with _lock:
        _nodes.setdefault((account_id, region), {})[stored.instance_id] = stored
    logger.debug("registered managed node %s in %s/%s", stored.instance_id, account_id, region)


def set_ping_status(account_id: str, region: str, instance_id: str, status: str) -> None:
    """Change a node's ping status.

    Leaving Online fixes LastPingDateTime at the moment the agent was last heard from and marks
    the node's connected sessions Disconnected; coming back Online restarts the ping clock.
    """
    if status not in PING_STATUSES:
        raise ValueError(f"ping status must be one of {PING_STATUSES}, not {status!r}")
    now = _now()
    with _lock:
        node = _nodes.get((account_id, region), {}).get(instance_id)
        if node is None:
            raise KeyError(f"no managed node {instance_id} in {account_id}/{region}")
        if node.ping_status == status:
            return
        if status == "Online":
            node.last_ping = now
        else:
            if node.ping_status == "Online":
                node.last_ping = _effective_last_ping(node, now)
            for session in _sessions.get((account_id, region), {}).values():
                if session.target == instance_id and session.status == "Connected":
                    session.status = "Disconnected"
        node.ping_status = status
    logger.debug("managed node %s is now %s", instance_id, status)


def ping_status(account_id: str, region: str, instance_id: str) -> str | None:
    """A registered node's PingStatus, or None when no node has that id."""
    with _lock:
        node = _nodes.get((account_id, region), {}).get(instance_id)
        return None if node is None else node.ping_status


def reset() -> None:
    """Forget every managed node and session, in every account and region."""
    with _lock:
        _nodes.clear()
        _sessions.clear()


def clear_nodes(account_id: str, region: str) -> None:
    """Forget every managed node in an account and region, and every session to them."""
    with _lock:
        _nodes.pop((account_id, region), None)
        _sessions.pop((account_id, region), None)


def _validate_node(node: ManagedNode) -> None:
    if not _INSTANCE_ID.match(node.instance_id):
        raise ValueError(
            f"{node.instance_id!r} is not an EC2 instance id (i-...) nor a hybrid node id (mi-...)"
        )
    if node.ping_status not in PING_STATUSES:
        raise ValueError(f"ping_status must be one of {PING_STATUSES}")
    if node.platform_type not in PLATFORM_TYPES:
        raise ValueError(f"platform_type must be one of {PLATFORM_TYPES}")
    if node.resource_type not in RESOURCE_TYPES:
        raise ValueError(f"resource_type must be one of {RESOURCE_TYPES}")
    if node.source_type is not None and node.source_type not in SOURCE_TYPES:
        raise ValueError(f"source_type must be one of {SOURCE_TYPES}")
    for label, value in (("last_ping", node.last_ping), ("registration_date", node.registration_date)):
        if value is not None and value.tzinfo is None:
            raise ValueError(f"{label} must be timezone-aware")


def _effective_last_ping(node: ManagedNode, now: datetime) -> datetime:
    """An online agent pings every PING_INTERVAL: its last ping is the latest tick not after now."""
    last = node.last_ping or now
    if node.ping_status != "Online" or last >= now:
        return last
    ticks = (now - last) // PING_INTERVAL
    return last + ticks * PING_INTERVAL


# --------------------------------------------------------------------------------------------
# Errors, in the codes and shapes of the SSM model
# --------------------------------------------------------------------------------------------


def _validation(message: str) -> Exception:
    return service_error("ValidationException", message)


# --------------------------------------------------------------------------------------------
# Pagination
# --------------------------------------------------------------------------------------------


def _page(
    kind: str, items: Sequence[dict[str, Any]], max_results: int, token: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    try:
        offset = decode_offset_token(kind, token) if token else 0
    except ValueError as exc:
        raise service_error("InvalidNextToken", "The specified token isn't valid.") from exc
    page = list(items[offset : offset + max_results])
    end = offset + max_results
    return page, (encode_offset_token(kind, end) if end < len(items) else None)


def _max_results(value: Any, *, low: int, high: int, default: int) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise _validation(
            f"Value '{value}' at 'maxResults' failed to satisfy constraint: Member must be a number"
        ) from exc
    if number < low:
        raise _validation(
            f"1 validation error detected: Value '{number}' at 'maxResults' failed to satisfy "
            f"constraint: Member must have value greater than or equal to {low}"
        )
    if number > high:
        raise _validation(
            f"1 validation error detected: Value '{number}' at 'maxResults' failed to satisfy "
            f"constraint: Member must have value less than or equal to {high}"
        )
    return number


# --------------------------------------------------------------------------------------------
# What moto's EC2 knows about the same account and region
# --------------------------------------------------------------------------------------------

_GONE_EC2_STATES = ("stopped", "terminated")


@dataclass(frozen=True)
class _Ec2View:
    states: Mapping[str, str]
    tags: Mapping[str, Mapping[str, str]]


def _ec2_view(account_id: str, region: str) -> _Ec2View:
    """Instance states and tags, read without creating an EC2 backend that does not exist yet."""
    from moto.ec2.models import ec2_backends

    per_account = dict.get(ec2_backends, account_id)
    backend = dict.get(per_account, region) if per_account is not None else None
    if backend is None:
        return _Ec2View({}, {})
    states = {instance.id: instance.state for instance in backend.all_instances()}
    tags: dict[str, Mapping[str, str]] = {}
    for instance_id in states:
        instance_tags = backend.tags.get(instance_id)
        if instance_tags:
            tags[instance_id] = dict(instance_tags)
    return _Ec2View(states, tags)


def _listed(node: ManagedNode, ec2: _Ec2View) -> bool:
    return ec2.states.get(node.instance_id) not in _GONE_EC2_STATES


# --------------------------------------------------------------------------------------------
# DescribeInstanceInformation
# --------------------------------------------------------------------------------------------


def _node_view(node: ManagedNode, now: datetime) -> dict[str, Any]:
    out: dict[str, Any] = {
        "InstanceId": node.instance_id,
        "PingStatus": node.ping_status,
        "LastPingDateTime": _effective_last_ping(node, now),
        "AgentVersion": node.agent_version,
        "IsLatestVersion": node.is_latest_version,
        "PlatformType": node.platform_type,
        "PlatformName": node.platform_name,
        "PlatformVersion": node.platform_version,
        "ResourceType": node.resource_type,
        "SourceId": node.instance_id,
        "SourceType": node.source_type,
    }
    optional = {
        "ActivationId": node.activation_id,
        "IamRole": node.iam_role,
        "RegistrationDate": node.registration_date,
        "Name": node.name,
        "IPAddress": node.ip_address,
        "ComputerName": node.computer_name,
    }
    out.update({key: value for key, value in optional.items() if value is not None})
    return out


def _node_attribute(node: ManagedNode, key: str) -> str | None:
    return {
        "InstanceIds": node.instance_id,
        "AgentVersion": node.agent_version,
        "PingStatus": node.ping_status,
        "PlatformTypes": node.platform_type,
        "ActivationIds": node.activation_id,
        "IamRole": node.iam_role,
        "ResourceType": node.resource_type,
        "AssociationStatus": None,
        "SourceIds": node.instance_id,
        "SourceTypes": node.source_type,
    }[key]


_ENUM_FILTER_VALUES = {
    "PingStatus": PING_STATUSES,
    "PlatformTypes": PLATFORM_TYPES,
    "ResourceType": RESOURCE_TYPES,
    "SourceTypes": SOURCE_TYPES,
    "AssociationStatus": ("Success", "Pending", "Failed"),
}

_Predicate = Callable[[ManagedNode, _Ec2View], bool]


def _values(raw: Any, key: str) -> list[str]:
    if not isinstance(raw, list) or not raw or not all(isinstance(v, str) and v for v in raw):
        raise service_error(
            "InvalidInstanceInformationFilterValue", f"The filter values for {key} are not valid."
        )
    return list(raw)


def _attribute_predicate(key: str, values: list[str]) -> _Predicate:
    allowed = _ENUM_FILTER_VALUES.get(key)
    if allowed is not None:
        bad = [v for v in values if v not in allowed]
        if bad:
            raise service_error(
                "InvalidInstanceInformationFilterValue",
                f"{', '.join(bad)} is not a valid value for the {key} filter; "
                f"valid values: {', '.join(allowed)}",
            )
    if key == "InstanceIds":
        bad = [v for v in values if not _INSTANCE_ID.match(v)]
        if bad:
            raise service_error("InvalidInstanceId", f"Instance Id {bad[0]} is not valid.")
    wanted = set(values)
    return lambda node, _ec2: _node_attribute(node, key) in wanted


def _tag_predicate(key: str, values: list[str]) -> _Predicate:
    wanted = set(values)
    if key == "tag-key":
        return lambda node, ec2: bool(wanted & set(ec2.tags.get(node.instance_id, {})))
    tag = key[len("tag:") :]
    return lambda node, ec2: ec2.tags.get(node.instance_id, {}).get(tag) in wanted


def _string_filters(filters: Any) -> list[_Predicate]:
    if not isinstance(filters, list):
        raise _validation("Filters must be a list of {Key, Values}.")
    predicates: list[_Predicate] = []
    kinds: set[str] = set()
    for item in filters:
        key = item.get("Key") if isinstance(item, dict) else None
        if not isinstance(key, str) or not key:
            raise service_error("InvalidFilterKey", "Filter keys must be non-empty strings.")
        values = _values(item.get("Values"), key)
        if key == "tag-key" or (key.startswith("tag:") and len(key) > len("tag:")):
            kinds.add("tag")
            predicates.append(_tag_predicate(key, values))
        elif key in STRING_FILTER_KEYS:
            kinds.add("attribute")
            predicates.append(_attribute_predicate(key, values))
        else:
            raise service_error("InvalidFilterKey", f"The filter key {key} is not valid.")
    if len(kinds) > 1:
        raise _validation("Tag filters can't be combined with other filter types.")
    return predicates


def _legacy_filters(filters: Any) -> list[_Predicate]:
    if not isinstance(filters, list):
        raise _validation("InstanceInformationFilterList must be a list of {key, valueSet}.")
    predicates: list[_Predicate] = []
    for item in filters:
        key = item.get("key") if isinstance(item, dict) else None
        if key not in LEGACY_FILTER_KEYS:
            raise service_error("InvalidFilterKey", f"The filter key {key} is not valid.")
        predicates.append(_attribute_predicate(key, _values(item.get("valueSet"), key)))
    return predicates


def describe_instance_information(
    account_id: str,
    region: str,
    *,
    filters: Any = None,
    legacy_filters: Any = None,
    max_results: Any = None,
    next_token: str | None = None,
) -> dict[str, Any]:
    """The answer to DescribeInstanceInformation, as the SSM model shapes it."""
    if filters and legacy_filters:
        raise _validation("InstanceInformationFilterList and Filters can't be used in the same request.")
    limit = _max_results(max_results, low=5, high=50, default=10)
    predicates = _string_filters(filters) if filters else _legacy_filters(legacy_filters or [])
    ec2 = _ec2_view(account_id, region)
    now = _now()
    with _lock:
        nodes = list(_nodes.get((account_id, region), {}).values())
        views = [
            _node_view(node, now)
            for node in nodes
            if _listed(node, ec2) and all(predicate(node, ec2) for predicate in predicates)
        ]
    page, token = _page("instances", views, limit, next_token)
    result: dict[str, Any] = {"InstanceInformationList": page}
    if token is not None:
        result["NextToken"] = token
    return result


def describe_managed_nodes(account_id: str, region: str) -> list[dict[str, Any]]:
    """Every node DescribeInstanceInformation lists in an account and Region, as it shapes them
    (for AWS Config's managed instance inventory)."""
    ec2 = _ec2_view(account_id, region)
    now = _now()
    with _lock:
        nodes = list(_nodes.get((account_id, region), {}).values())
        return [_node_view(node, now) for node in nodes if _listed(node, ec2)]


def regions_with_nodes(account_id: str) -> list[str]:
    """The Regions where an account has managed nodes."""
    with _lock:
        return sorted(
            region for (account, region), nodes in _nodes.items() if account == account_id and nodes
        )


# --------------------------------------------------------------------------------------------
# StartSession / DescribeSessions / TerminateSession
# --------------------------------------------------------------------------------------------


def _document_name(raw: Any) -> str:
    if raw is None:
        return DEFAULT_SESSION_DOCUMENT
    if not isinstance(raw, str) or not re.match(r"^[a-zA-Z0-9_\-.:/]{3,128}$", raw):
        raise _validation(
            f"1 validation error detected: Value '{raw}' at 'documentName' failed to satisfy "
            r"constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9_\-.:/]{3,128}$"
        )
    if raw.startswith("arn:") and ":document/" in raw:
        return raw.rsplit("/", 1)[-1]
    return raw


def _custom_document_parameters(ssm_backend: Any, name: str) -> dict[str, DocumentParameter]:
    documents = ssm_backend._documents.get(name)
    if documents is None:
        raise service_error("InvalidDocument", "The specified document does not exist.")
    document = documents.get_default_version()
    if document.document_type != "Session":
        raise service_error(
            "InvalidDocument",
            f"Document type: '{document.document_type}' is not supported. "
            "Only type: 'Session' is supported for Session Manager.",
        )
    declared = (document.content_json or {}).get("parameters") or {}
    return {
        param: DocumentParameter(
            default=None if spec.get("default") is None else str(spec["default"]),
            allowed_pattern=spec.get("allowedPattern"),
        )
        for param, spec in declared.items()
        if isinstance(spec, dict)
    }


def _check_parameters(document: str, spec: Mapping[str, DocumentParameter], given: Any) -> None:
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise _validation("Parameters must be a map of parameter names to lists of strings.")
    unknown = sorted(set(given) - set(spec))
    if unknown:
        raise _validation(f"Parameter '{unknown[0]}' is not defined in document {document}.")
    for name, parameter in spec.items():
        values = given.get(name)
        if values is None:
            if parameter.default is None:
                raise _validation(f"Parameter '{name}' is required by document {document}.")
            continue
        if not isinstance(values, list) or len(values) != 1 or not isinstance(values[0], str):
            raise _validation(f"Parameter '{name}' of document {document} takes exactly one string value.")
        if parameter.allowed_pattern and not re.match(parameter.allowed_pattern, values[0]):
            raise _validation(
                f"Parameter '{name}' value '{values[0]}' does not match the allowed pattern "
                f"{parameter.allowed_pattern} of document {document}."
            )


def _session_prefix(caller_arn: str, *, default_identity: bool) -> str:
    if default_identity:
        return "warroom"
    name = caller_arn.rsplit("/", 1)[-1] if "/" in caller_arn else "warroom"
    cleaned = re.sub(r"[^A-Za-z0-9_.@=+-]", "-", name)[:64]
    return cleaned or "warroom"


def start_session(
    account_id: str,
    region: str,
    *,
    target: Any,
    document_name: Any = None,
    parameters: Any = None,
    reason: Any = None,
    caller_arn: str,
    default_identity: bool = False,
    ssm_backend: Any = None,
) -> dict[str, str]:
    """Open a session to a registered, online node; the answer carries a one-time token."""
    if not isinstance(target, str) or not 1 <= len(target) <= 400:
        raise _validation("1 validation error detected: Value at 'target' failed to satisfy constraint.")
    if reason is not None and (not isinstance(reason, str) or not 1 <= len(reason) <= 256):
        raise _validation(
            "1 validation error detected: Value at 'reason' failed to satisfy constraint: "
            "Member must have length less than or equal to 256"
        )
    document = _document_name(document_name)
    if document in AWS_SESSION_DOCUMENTS:
        spec = AWS_SESSION_DOCUMENTS[document]
    elif ssm_backend is not None:
        spec = _custom_document_parameters(ssm_backend, document)
    else:
        raise service_error("InvalidDocument", "The specified document does not exist.")
    _check_parameters(document, spec, parameters)

    ec2 = _ec2_view(account_id, region)
    now = _now()
    with _lock:
        node = _nodes.get((account_id, region), {}).get(target)
        connectable = (
            node is not None
            and node.ping_status == "Online"
            and _listed(node, ec2)
            and ec2.states.get(target, "running") == "running"
        )
        if not connectable:
            raise service_error("TargetNotConnected", f"{target} is not connected.")
        session_id = (
            f"{_session_prefix(caller_arn, default_identity=default_identity)}-{secrets.token_hex(9)[:17]}"
        )
        _sessions.setdefault((account_id, region), {})[session_id] = _Session(
            session_id=session_id,
            target=target,
            status="Connected",
            start_date=now,
            owner=caller_arn,
            document_name=document,
            reason=reason,
        )
    logger.debug("session %s started to %s with %s", session_id, target, document)
    cell = base64.urlsafe_b64encode(secrets.token_bytes(24)).decode().rstrip("=")
    return {
        "SessionId": session_id,
        "TokenValue": secrets.token_urlsafe(96),
        "StreamUrl": (
            f"wss://ssmmessages.{region}.amazonaws.com/v1/data-channel/{session_id}"
            f"?role=publish_subscribe&cell-number={cell}"
        ),
    }


def _parse_instant(key: str, value: str) -> datetime:
    text = value.strip()
    try:
        instant = datetime.fromisoformat(text)
    except ValueError as exc:
        raise _validation(f"The value {value} of filter {key} is not a valid timestamp.") from exc
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def _session_predicates(filters: Any) -> list[Callable[[_Session], bool]]:
    if filters is None:
        return []
    if not isinstance(filters, list):
        raise _validation("Filters must be a list of {key, value}.")
    predicates: list[Callable[[_Session], bool]] = []
    for item in filters:
        key = item.get("key") if isinstance(item, dict) else None
        value = item.get("value") if isinstance(item, dict) else None
        if key not in SESSION_FILTER_KEYS:
            raise service_error("InvalidFilterKey", f"The filter key {key} is not valid.")
        if not isinstance(value, str) or not 1 <= len(value) <= 400:
            raise _validation(f"The value of filter {key} must be 1 to 400 characters.")
        predicates.append(_session_predicate(key, value))
    return predicates


def _session_predicate(key: str, value: str) -> Callable[[_Session], bool]:
    if key == "InvokedAfter":
        after = _parse_instant(key, value)
        return lambda s: s.start_date >= after
    if key == "InvokedBefore":
        before = _parse_instant(key, value)
        return lambda s: s.start_date < before
    if key == "Status" and value not in SESSION_STATUSES:
        raise _validation(
            f"{value} is not a valid session status; valid values: {', '.join(SESSION_STATUSES)}"
        )
    if key == "AccessType":
        return lambda _s: value == "Standard"
    attribute = {"Target": "target", "Owner": "owner", "Status": "status", "SessionId": "session_id"}[key]
    return lambda s: getattr(s, attribute) == value


def describe_sessions(
    account_id: str,
    region: str,
    *,
    state: Any,
    filters: Any = None,
    max_results: Any = None,
    next_token: str | None = None,
) -> dict[str, Any]:
    """Active sessions (connected or disconnected) or the past 30 days of ended ones, newest first."""
    if state not in ("Active", "History"):
        raise _validation(
            f"1 validation error detected: Value '{state}' at 'state' failed to satisfy constraint: "
            "Member must satisfy enum value set: [Active, History]"
        )
    limit = _max_results(max_results, low=1, high=200, default=20)
    predicates = _session_predicates(filters)
    now = _now()
    with _lock:
        sessions = list(_sessions.get((account_id, region), {}).values())
        if state == "Active":
            chosen = [s for s in sessions if s.status in ACTIVE_STATUSES]
        else:
            chosen = [
                s
                for s in sessions
                if s.status not in ACTIVE_STATUSES and (s.end_date or s.start_date) >= now - HISTORY_RETENTION
            ]
        chosen = [s for s in chosen if all(predicate(s) for predicate in predicates)]
        chosen.sort(key=lambda s: s.start_date, reverse=True)
        views = [s.view() for s in chosen]
    page, token = _page(f"sessions-{state}", views, limit, next_token)
    result: dict[str, Any] = {"Sessions": page}
    if token is not None:
        result["NextToken"] = token
    return result


def terminate_session(account_id: str, region: str, *, session_id: Any) -> dict[str, str]:
    """End a session for good; an unknown or already ended session is answered the same way."""
    if not isinstance(session_id, str) or not 1 <= len(session_id) <= 96:
        raise _validation(
            "1 validation error detected: Value at 'sessionId' failed to satisfy constraint: "
            "Member must have length between 1 and 96"
        )
    with _lock:
        session = _sessions.get((account_id, region), {}).get(session_id)
        if session is not None and session.status in ACTIVE_STATUSES:
            session.status = "Terminated"
            session.end_date = _now()
            logger.debug("session %s terminated", session_id)
    return {"SessionId": session_id}


# --------------------------------------------------------------------------------------------
# moto glue
# --------------------------------------------------------------------------------------------


def _params(response: Any) -> dict[str, Any]:
    return json_params(response, _validation)


def caller_identity(account_id: str, region: str, access_key: str) -> tuple[str, bool]:
    """The caller's ARN as Session Manager records it, and whether it is moto's stand-in identity."""
    from moto.sts.models import sts_backends
    from moto.utilities.utils import get_partition

    partition = get_partition(region)
    _, arn, _ = sts_backends[account_id][partition].get_caller_identity(access_key, region)
    fallback = f"arn:{partition}:sts::{account_id}:user/moto"
    if arn == fallback:
        return f"arn:{partition}:iam::{account_id}:user/moto", True
    return str(arn), False


def _result(response: Any, operation: Callable[..., dict[str, Any]], **kwargs: Any) -> Any:
    """moto's answer with what ``operation`` returns for the request's account and region."""
    from moto.core.responses import ActionResult

    return ActionResult(operation(response.current_account, response.region, **kwargs))


def _describe_instance_information(self: Any) -> Any:
    params = _params(self)
    return _result(
        self,
        describe_instance_information,
        filters=params.get("Filters"),
        legacy_filters=params.get("InstanceInformationFilterList"),
        max_results=params.get("MaxResults"),
        next_token=params.get("NextToken"),
    )


def _start_session(self: Any) -> Any:
    params = _params(self)
    caller_arn, default_identity = caller_identity(self.current_account, self.region, self.get_access_key())
    return _result(
        self,
        start_session,
        target=params.get("Target"),
        document_name=params.get("DocumentName"),
        parameters=params.get("Parameters"),
        reason=params.get("Reason"),
        caller_arn=caller_arn,
        default_identity=default_identity,
        ssm_backend=self.ssm_backend,
    )


def _describe_sessions(self: Any) -> Any:
    params = _params(self)
    return _result(
        self,
        describe_sessions,
        state=params.get("State"),
        filters=params.get("Filters"),
        max_results=params.get("MaxResults"),
        next_token=params.get("NextToken"),
    )


def _terminate_session(self: Any) -> Any:
    return _result(self, terminate_session, session_id=_params(self).get("SessionId"))


ADDED_METHODS: dict[str, Callable[[Any], Any]] = {
    "describe_instance_information": _describe_instance_information,
    "start_session": _start_session,
    "describe_sessions": _describe_sessions,
    "terminate_session": _terminate_session,
}

# What moto's response class defined under each added name before install(): None means moto
# lacked the operation (the state this module was written against).
moto_originals: dict[str, object] = {}
_install_lock = threading.Lock()


def install() -> None:
    """Add the four operations to moto's SSM response class (idempotent)."""
    from moto.ssm.responses import SimpleSystemManagerResponse

    with _install_lock:
        for name, function in ADDED_METHODS.items():
            current = SimpleSystemManagerResponse.__dict__.get(name)
            if current is function:
                continue
            moto_originals.setdefault(name, current)
            setattr(SimpleSystemManagerResponse, name, function)
