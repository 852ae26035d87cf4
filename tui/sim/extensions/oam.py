"""CloudWatch cross-account observability: the Observability Access Manager (service ``oam``),
which moto lacks altogether.

A monitoring account creates a *sink* (one per account and Region) and a sink policy saying which
accounts may link to it and with which data; a source account creates a *link* to that sink, in
the same Region. CloudWatch then lets the monitoring account read the source account's metrics
(``tui.sim.extensions.cloudwatch`` asks ``linked_sources`` which accounts those are).

``install()`` registers ``oam`` as one more moto service: a backend per account and Region (so
moto's reset forgets every sink and link), a response class that moto routes with botocore's
model of the service (rest-json: ``POST /CreateSink`` ...), and the host pattern moto's dispatcher
matches (``oam.<region>.amazonaws.com``). Operations answered: CreateSink, GetSink, ListSinks,
DeleteSink, PutSinkPolicy, GetSinkPolicy, CreateLink, GetLink, UpdateLink, ListLinks, DeleteLink
and ListAttachedLinks, with the model's shapes and error codes:

* CreateSink: one sink per account and Region (a second one is a ConflictException);
* CreateLink and UpdateLink are allowed by the sink policy only: a statement that allows
  ``oam:CreateLink`` (or ``oam:UpdateLink``) to the source account (its id, its root ARN, ``*``
  with an ``aws:PrincipalOrgID`` condition naming its organization), whose
  ``ForAllValues:StringEquals`` condition on ``oam:ResourceTypes`` (if any) covers the link's
  resource types; otherwise AccessDeniedException (HTTP 403), as IAM refuses a call no
  resource-based policy allows. A source account links to a sink once (ConflictException), to at
  most five monitoring accounts per Region (ServiceQuotaExceededException), and never to a sink
  of its own account or of another Region (InvalidParameterException);
* a label template's ``$AccountName``, ``$AccountEmail`` and ``$AccountEmailNoDomain`` resolve
  from Organizations (to the account id outside an organization);
* DeleteSink refuses a sink that still has links attached (ConflictException);
* lists page with MaxResults (ListSinks 1-100, ListLinks 1-5, ListAttachedLinks 1-1000) and a
  NextToken; sinks and links are listed in the order they were created.

A link's ``MetricConfiguration.Filter`` (``Namespace = 'AWS/EC2' OR Namespace NOT LIKE 'AWS/%'``:
=, !=, IN, NOT IN, LIKE and NOT LIKE with a trailing %, AND, OR and parentheses) decides which
namespaces the monitoring account sees.
"""

# moto is imported inside the functions, for start-up time: see tui/sim/extensions/__init__.py.
from __future__ import annotations

import json
import logging
import re
import sys
import threading
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tui.sim.extensions._common import decode_offset_token, encode_offset_token, service_error
from tui.sim.extensions._organizations import organization_of

logger = logging.getLogger(__name__)

SERVICE = "oam"
METRIC = "AWS::CloudWatch::Metric"
RESOURCE_TYPES = (
    METRIC,
    "AWS::Logs::LogGroup",
    "AWS::XRay::Trace",
    "AWS::ApplicationInsights::Application",
    "AWS::InternetMonitor::Monitor",
    "AWS::ApplicationSignals::Service",
    "AWS::ApplicationSignals::ServiceLevelObjective",
)
MAX_MONITORING_ACCOUNTS = 5
"""Monitoring accounts one source account links to at most, per Region."""

_SINK_NAME = re.compile(r"^[a-zA-Z0-9_.\-]{1,255}$")
_IDENTIFIER = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_:.\-/]{0,2047}$")
_ARN = re.compile(
    r"^arn:(?P<partition>[\w-]+):oam:(?P<region>[\w-]+):(?P<account>\d{12}):(?P<kind>sink|link)/(?P<id>.+)$"
)
URL_BASES = [r"https?://oam\.(.+)\.amazonaws\.com"]

_install_lock = threading.Lock()
_lock = threading.RLock()
_classes: dict[str, Any] = {}


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------


@dataclass
class Sink:
    arn: str
    id: str
    name: str
    account_id: str
    region: str
    tags: dict[str, str]
    policy: str | None = None
    links: dict[str, Link] = field(default_factory=dict)
    """Links attached to this sink, by ARN, in the order they were made."""

    def item(self) -> dict[str, Any]:
        return {"Arn": self.arn, "Id": self.id, "Name": self.name}

    def described(self) -> dict[str, Any]:
        return {**self.item(), "Tags": dict(self.tags)}

    def policy_answer(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"SinkArn": self.arn, "SinkId": self.id}
        if self.policy is not None:
            answer["Policy"] = self.policy
        return answer


@dataclass
class Link:
    arn: str
    id: str
    account_id: str
    region: str
    label: str
    label_template: str
    resource_types: list[str]
    sink_arn: str
    tags: dict[str, str]
    configuration: dict[str, Any] | None = None
    namespaces: Callable[[str], bool] = field(default=lambda _namespace: True, repr=False)

    def described(self, *, tags: bool = True) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "Arn": self.arn,
            "Id": self.id,
            "Label": self.label,
            "LabelTemplate": self.label_template,
            "ResourceTypes": list(self.resource_types),
            "SinkArn": self.sink_arn,
        }
        if self.configuration:
            answer["LinkConfiguration"] = self.configuration
        if tags:
            answer["Tags"] = dict(self.tags)
        return answer

    def item(self) -> dict[str, Any]:
        return {
            "Arn": self.arn,
            "Id": self.id,
            "Label": self.label,
            "ResourceTypes": list(self.resource_types),
            "SinkArn": self.sink_arn,
        }

    def attached_item(self) -> dict[str, Any]:
        return {"Label": self.label, "LinkArn": self.arn, "ResourceTypes": list(self.resource_types)}


@dataclass(frozen=True)
class LinkedSource:
    """A source account linked to a monitoring account's sink, and the namespaces it shares."""

    account_id: str
    label: str
    namespaces: Callable[[str], bool]


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


def _invalid(message: str) -> Exception:
    return service_error("InvalidParameterException", message)


def _missing(name: str) -> Exception:
    return service_error("MissingRequiredParameterException", f"Missing required parameter {name}.")


def _not_found(kind: str, identifier: str) -> Exception:
    return service_error("ResourceNotFoundException", f"The {kind} {identifier} was not found.")


def _denied(message: str) -> Exception:
    """AccessDeniedException (HTTP 403): IAM's refusal, which the oam model does not list, so it is
    answered as rest-json is, by hand (the x-amzn-ErrorType header names the code)."""
    from werkzeug.exceptions import HTTPException

    body = json.dumps({"Message": message})

    class AccessDenied(HTTPException):
        code = 403

        def get_headers(self, environ: Any = None, scope: Any = None) -> list[tuple[str, str]]:
            return [
                ("Content-Type", "application/json"),
                ("x-amzn-ErrorType", "AccessDeniedException"),
            ]

        def get_body(self, environ: Any = None, scope: Any = None) -> str:
            return body

    return AccessDenied(description=body)


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------


def _required_string(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        raise _missing(name)
    if not isinstance(value, str):
        raise _invalid(f"{name} must be a string.")
    return value


def _identifier(params: Mapping[str, Any], name: str) -> str:
    value = _required_string(params, name)
    if not _IDENTIFIER.match(value):
        raise _invalid(f"{name} {value!r} is not a valid resource identifier.")
    return value


def _tags(params: Mapping[str, Any]) -> dict[str, str]:
    raw = params.get("Tags") or {}
    if not isinstance(raw, Mapping) or len(raw) > 50:
        raise _invalid("Tags must map at most 50 keys to values.")
    return {str(key): str(value) for key, value in raw.items()}


def _resource_types(params: Mapping[str, Any]) -> list[str]:
    raw = params.get("ResourceTypes")
    if not raw:
        raise _missing("ResourceTypes")
    if not isinstance(raw, list) or len(raw) > 50:
        raise _invalid("ResourceTypes must list 1 to 50 resource types.")
    unknown = [value for value in raw if value not in RESOURCE_TYPES]
    if unknown:
        raise _invalid(
            f"ResourceTypes {unknown[0]!r} is not valid: valid values are {', '.join(RESOURCE_TYPES)}."
        )
    return list(dict.fromkeys(raw))


def _max_results(params: Mapping[str, Any], high: int) -> int:
    value = params.get("MaxResults")
    if value is None:
        return high
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
        raise _invalid(f"MaxResults must be between 1 and {high}.")
    return value


def _page(kind: str, items: Sequence[dict[str, Any]], params: Mapping[str, Any], high: int) -> dict[str, Any]:
    limit = _max_results(params, high)
    start = 0
    token = params.get("NextToken")
    if token:
        try:
            start = decode_offset_token(kind, str(token))
        except ValueError:
            raise _invalid("The NextToken is not valid.") from None
    chunk = list(items[start : start + limit])
    answer: dict[str, Any] = {"Items": chunk}
    if start + limit < len(items):
        answer["NextToken"] = encode_offset_token(kind, start + limit)
    return answer


# --------------------------------------------------------------------------------------------
# The metric namespace filter of a link
# --------------------------------------------------------------------------------------------

_FILTER_TOKEN = re.compile(r"\s*(?:('(?:[^']|'')*')|(\()|(\))|(,)|(!=|=)|([A-Za-z_][A-Za-z0-9_]*))")


def namespace_filter(text: str) -> Callable[[str], bool]:
    """A predicate on namespaces for a link's ``MetricConfiguration.Filter``; ValueError if the
    filter cannot be read."""
    tokens: list[tuple[str, str]] = []
    position = 0
    stripped = text.strip()
    while position < len(stripped):
        match = _FILTER_TOKEN.match(stripped, position)
        if match is None or match.end() == position:
            raise ValueError(f"unexpected text at {stripped[position:]!r}")
        quoted, opening, closing, comma, operator, word = match.groups()
        if quoted is not None:
            tokens.append(("string", quoted[1:-1].replace("''", "'")))
        elif opening or closing or comma:
            tokens.append(("symbol", opening or closing or comma))
        elif operator:
            tokens.append(("symbol", operator))
        else:
            tokens.append(("word", word.upper() if word.upper() in _FILTER_WORDS else word))
        position = match.end()
    reader = _FilterReader(tokens)
    predicate = reader.disjunction()
    if reader.position != len(tokens):
        raise ValueError(f"unexpected {tokens[reader.position][1]!r}")
    if reader.operands > 5:
        raise ValueError("a filter has at most five conditional operands")
    return predicate


_FILTER_WORDS = ("AND", "OR", "NOT", "IN", "LIKE")


def _like(pattern: str) -> Callable[[str], bool]:
    if pattern.endswith("%"):
        prefix = pattern[:-1]
        return lambda value: value.startswith(prefix)
    return lambda value: value == pattern


class _FilterReader:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.position = 0
        self.operands = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise ValueError("the filter ends too early")
        self.position += 1
        return token

    def disjunction(self) -> Callable[[str], bool]:
        parts = [self.conjunction()]
        while self.peek() == ("word", "OR"):
            self.position += 1
            self.operands += 1
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else lambda value: any(part(value) for part in parts)

    def conjunction(self) -> Callable[[str], bool]:
        parts = [self.condition()]
        while self.peek() == ("word", "AND"):
            self.position += 1
            self.operands += 1
            parts.append(self.condition())
        return parts[0] if len(parts) == 1 else lambda value: all(part(value) for part in parts)

    def string(self) -> str:
        kind, text = self.take()
        if kind != "string":
            raise ValueError(f"expected a quoted name, not {text!r}")
        return text

    def condition(self) -> Callable[[str], bool]:
        if self.peek() == ("symbol", "("):
            self.position += 1
            inner = self.disjunction()
            if self.take() != ("symbol", ")"):
                raise ValueError("missing )")
            return inner
        kind, name = self.take()
        if kind != "word" or name not in ("Namespace", "LogGroupName"):
            raise ValueError(f"expected Namespace, not {name!r}")
        negated = False
        operator = self.take()
        if operator == ("word", "NOT"):
            negated = True
            operator = self.take()
        if operator == ("symbol", "="):
            target = self.string()
            return lambda value: value == target
        if operator == ("symbol", "!="):
            target = self.string()
            return lambda value: value != target
        if operator == ("word", "LIKE"):
            match = _like(self.string())
            return (lambda value: not match(value)) if negated else match
        if operator == ("word", "IN"):
            if self.take() != ("symbol", "("):
                raise ValueError("IN takes a list in parentheses")
            names = {self.string()}
            while self.peek() == ("symbol", ","):
                self.position += 1
                names.add(self.string())
            if self.take() != ("symbol", ")"):
                raise ValueError("missing ) after the IN list")
            return (lambda value: value not in names) if negated else (lambda value: value in names)
        raise ValueError(f"unexpected {operator[1]!r}")


def _link_configuration(raw: Any) -> tuple[dict[str, Any] | None, Callable[[str], bool]]:
    if raw is None:
        return None, lambda _namespace: True
    if not isinstance(raw, Mapping):
        raise _invalid("LinkConfiguration must be an object.")
    predicate: Callable[[str], bool] = lambda _namespace: True  # noqa: E731
    for key in ("LogGroupConfiguration", "MetricConfiguration"):
        part = raw.get(key)
        if part is None:
            continue
        text = part.get("Filter") if isinstance(part, Mapping) else None
        if not isinstance(text, str) or not 1 <= len(text) <= 2000:
            raise _invalid(f"LinkConfiguration.{key}.Filter must be a filter of 1 to 2000 characters.")
        try:
            parsed = namespace_filter(text)
        except ValueError as exc:
            raise _invalid(f"LinkConfiguration.{key}.Filter is not valid: {exc}.") from None
        if key == "MetricConfiguration":
            predicate = parsed
    return dict(raw), predicate


# --------------------------------------------------------------------------------------------
# Sink policies
# --------------------------------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _principal_matches(principal: Any, account_id: str, partition: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    for value in _as_list(principal.get("AWS")):
        if value in ("*", account_id, f"arn:{partition}:iam::{account_id}:root"):
            return True
    return False


def _action_matches(actions: Any, action: str) -> bool:
    for value in _as_list(actions):
        if not isinstance(value, str):
            continue
        pattern = "^" + re.escape(value.lower()).replace(r"\*", ".*").replace(r"\?", ".") + "$"
        if re.match(pattern, action.lower()):
            return True
    return False


def _condition_holds(condition: Any, context: Mapping[str, list[str]]) -> bool:
    """Every operator of an IAM Condition block holds for the request's context keys (multi-valued
    keys hold lists); an operator or key this module does not know never holds."""
    if condition is None:
        return True
    if not isinstance(condition, Mapping):
        return False
    for operator, tests in condition.items():
        qualifier, _, base = str(operator).rpartition(":")
        if base not in ("StringEquals", "StringLike") or not isinstance(tests, Mapping):
            return False
        for key, expected in tests.items():
            wanted = [str(item) for item in _as_list(expected)]
            values = context.get(str(key).lower())
            if values is None:
                return False

            def matches(value: str, wanted: list[str] = wanted, base: str = base) -> bool:
                if base == "StringEquals":
                    return value in wanted
                return any(re.match("^" + re.escape(w).replace(r"\*", ".*") + "$", value) for w in wanted)

            if qualifier == "ForAnyValue":
                if not any(matches(value) for value in values):
                    return False
            elif not values or not all(matches(value) for value in values):
                return False
    return True


def policy_allows(
    policy: str | None,
    *,
    action: str,
    account_id: str,
    partition: str,
    resource_types: Sequence[str],
    sink_arn: str,
) -> bool:
    """Whether a sink policy allows ``account_id`` ``action`` (oam:CreateLink, oam:UpdateLink) for a
    link sharing ``resource_types``: an Allow statement matches and no Deny statement does."""
    if not policy:
        return False
    try:
        document = json.loads(policy)
    except ValueError:
        return False
    organization = organization_of(account_id, partition)
    context = {
        "aws:principalaccount": [account_id],
        "aws:principalorgid": [organization.id] if organization is not None else [],
        "oam:resourcetypes": list(resource_types),
    }
    allowed = False
    for statement in _as_list(document.get("Statement") if isinstance(document, Mapping) else None):
        if not isinstance(statement, Mapping):
            continue
        resources = _as_list(statement.get("Resource", "*"))
        if not any(resource in ("*", sink_arn) for resource in resources):
            continue
        if not _principal_matches(statement.get("Principal"), account_id, partition):
            continue
        if not _action_matches(statement.get("Action"), action):
            continue
        if not _condition_holds(statement.get("Condition"), context):
            continue
        if statement.get("Effect") == "Deny":
            return False
        if statement.get("Effect") == "Allow":
            allowed = True
    return allowed


# --------------------------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------------------------


def resolve_label(template: str, account_id: str, partition: str = "aws") -> str:
    """A label template with $AccountName, $AccountEmail and $AccountEmailNoDomain resolved from
    Organizations (the account id when the account is in no organization)."""
    organization = organization_of(account_id, partition)
    account = organization.account(account_id) if organization is not None else None
    name = account.name if account is not None else account_id
    email = account.email if account is not None else account_id
    no_domain = email.split("@", 1)[0]
    return (
        template.replace("$AccountEmailNoDomain", no_domain)
        .replace("$AccountEmail", email)
        .replace("$AccountName", name)
    )


# --------------------------------------------------------------------------------------------
# Lookups across accounts
# --------------------------------------------------------------------------------------------


def _existing_backend(account_id: str, region: str) -> Any:
    """The oam backend of an account and Region, or None (none is created by looking)."""
    backends = _classes.get("backends")
    if backends is None:
        return None
    per_account = dict.get(backends, account_id)
    return None if per_account is None else dict.get(per_account, region)


def _sink_by_arn(arn: str) -> Sink | None:
    match = _ARN.match(arn)
    if match is None or match.group("kind") != "sink":
        return None
    backend = _existing_backend(match.group("account"), match.group("region"))
    if backend is None:
        return None
    sink: Sink | None = backend.sinks.get(arn)
    return sink


def linked_sources(account_id: str, region: str, resource_type: str = METRIC) -> list[LinkedSource]:
    """The source accounts linked to the sink of ``account_id`` in ``region`` that share
    ``resource_type``, in the order their links were made."""
    backend = _existing_backend(account_id, region)
    if backend is None:
        return []
    with _lock:
        sinks = list(backend.sinks.values())
        return [
            LinkedSource(link.account_id, link.label, link.namespaces)
            for sink in sinks
            for link in sink.links.values()
            if resource_type in link.resource_types
        ]


# --------------------------------------------------------------------------------------------
# The operations
# --------------------------------------------------------------------------------------------


def _new_id() -> str:
    from moto.moto_api._internal import mock_random

    return str(mock_random.uuid4())


class _Operations:
    """The oam operations of one account and Region (its backend's state)."""

    def __init__(self, backend: Any, partition: str) -> None:
        self.backend = backend
        self.account_id: str = backend.account_id
        self.region: str = backend.region_name
        self.partition = partition

    def _own_sink(self, identifier: str) -> Sink:
        sink: Sink | None = self.backend.sinks.get(identifier)
        if sink is None:
            raise _not_found("sink", identifier)
        return sink

    def _own_link(self, identifier: str) -> Link:
        link: Link | None = self.backend.links.get(identifier)
        if link is None:
            raise _not_found("link", identifier)
        return link

    def create_sink(self, params: Mapping[str, Any]) -> dict[str, Any]:
        name = _required_string(params, "Name")
        if not _SINK_NAME.match(name):
            raise _invalid(f"Name {name!r} must be 1 to 255 letters, digits, '_', '.' or '-'.")
        tags = _tags(params)
        with _lock:
            if self.backend.sinks:
                raise service_error(
                    "ConflictException",
                    f"A sink already exists in account {self.account_id} in {self.region}:"
                    " an account can contain one sink per Region.",
                )
            sink_id = _new_id()
            arn = f"arn:{self.partition}:oam:{self.region}:{self.account_id}:sink/{sink_id}"
            sink = Sink(arn, sink_id, name, self.account_id, self.region, tags)
            self.backend.sinks[arn] = sink
        return sink.described()

    def get_sink(self, params: Mapping[str, Any]) -> dict[str, Any]:
        with _lock:
            return self._own_sink(_identifier(params, "Identifier")).described()

    def list_sinks(self, params: Mapping[str, Any]) -> dict[str, Any]:
        with _lock:
            items = [sink.item() for sink in self.backend.sinks.values()]
        return _page("sinks", items, params, 100)

    def delete_sink(self, params: Mapping[str, Any]) -> dict[str, Any]:
        identifier = _identifier(params, "Identifier")
        with _lock:
            sink = self._own_sink(identifier)
            if sink.links:
                raise service_error(
                    "ConflictException",
                    f"The sink {identifier} has {len(sink.links)} links attached: delete them first.",
                )
            del self.backend.sinks[identifier]
        return {}

    def put_sink_policy(self, params: Mapping[str, Any]) -> dict[str, Any]:
        identifier = _identifier(params, "SinkIdentifier")
        policy = _required_string(params, "Policy")
        try:
            document = json.loads(policy)
        except ValueError:
            raise _invalid("Policy is not valid JSON.") from None
        if not isinstance(document, Mapping) or "Statement" not in document:
            raise _invalid("Policy must be a JSON policy document with a Statement.")
        with _lock:
            sink = self._own_sink(identifier)
            sink.policy = policy
            return sink.policy_answer()

    def get_sink_policy(self, params: Mapping[str, Any]) -> dict[str, Any]:
        with _lock:
            return self._own_sink(_identifier(params, "SinkIdentifier")).policy_answer()

    def _check_policy(self, sink: Sink, action: str, resource_types: Sequence[str], caller_arn: str) -> None:
        if not policy_allows(
            sink.policy,
            action=action,
            account_id=self.account_id,
            partition=self.partition,
            resource_types=resource_types,
            sink_arn=sink.arn,
        ):
            raise _denied(
                f"User: {caller_arn} is not authorized to perform: {action} on resource: {sink.arn}"
                f" because no resource-based policy allows the {action} action"
            )

    def create_link(self, params: Mapping[str, Any], caller_arn: str) -> dict[str, Any]:
        template = _required_string(params, "LabelTemplate")
        if not 1 <= len(template) <= 64:
            raise _invalid("LabelTemplate must be 1 to 64 characters long.")
        resource_types = _resource_types(params)
        sink_arn = _identifier(params, "SinkIdentifier")
        configuration, namespaces = _link_configuration(params.get("LinkConfiguration"))
        tags = _tags(params)
        match = _ARN.match(sink_arn)
        if match is None or match.group("kind") != "sink":
            raise _invalid(f"SinkIdentifier {sink_arn} is not the ARN of a sink.")
        if match.group("region") != self.region:
            raise _invalid(
                f"The sink {sink_arn} is in {match.group('region')}: a link must be made in the"
                f" sink's Region, not in {self.region}."
            )
        if match.group("account") == self.account_id:
            raise _invalid("A source account cannot link to a sink in its own account.")
        with _lock:
            sink = _sink_by_arn(sink_arn)
            if sink is None:
                raise _invalid(f"The sink {sink_arn} does not exist.")
            self._check_policy(sink, "oam:CreateLink", resource_types, caller_arn)
            mine = list(self.backend.links.values())
            if any(link.sink_arn == sink_arn for link in mine):
                raise service_error(
                    "ConflictException",
                    f"Account {self.account_id} is already linked to the sink {sink_arn}.",
                )
            if len({link.sink_arn for link in mine}) >= MAX_MONITORING_ACCOUNTS:
                raise service_error(
                    "ServiceQuotaExceededException",
                    f"A source account can be linked to at most {MAX_MONITORING_ACCOUNTS}"
                    f" monitoring accounts in a Region.",
                )
            link_id = _new_id()
            arn = f"arn:{self.partition}:oam:{self.region}:{self.account_id}:link/{link_id}"
            link = Link(
                arn,
                link_id,
                self.account_id,
                self.region,
                resolve_label(template, self.account_id, self.partition),
                template,
                resource_types,
                sink_arn,
                tags,
                configuration,
                namespaces,
            )
            self.backend.links[arn] = link
            sink.links[arn] = link
        logger.debug("oam link %s -> %s", self.account_id, sink_arn)
        return link.described()

    def get_link(self, params: Mapping[str, Any]) -> dict[str, Any]:
        with _lock:
            return self._own_link(_identifier(params, "Identifier")).described()

    def update_link(self, params: Mapping[str, Any], caller_arn: str) -> dict[str, Any]:
        identifier = _identifier(params, "Identifier")
        resource_types = _resource_types(params)
        configuration, namespaces = _link_configuration(params.get("LinkConfiguration"))
        with _lock:
            link = self._own_link(identifier)
            sink = _sink_by_arn(link.sink_arn)
            if sink is None:
                raise _not_found("sink", link.sink_arn)
            self._check_policy(sink, "oam:UpdateLink", resource_types, caller_arn)
            link.resource_types = resource_types
            if params.get("LinkConfiguration") is not None:
                link.configuration = configuration
                link.namespaces = namespaces
            return link.described()

    def list_links(self, params: Mapping[str, Any]) -> dict[str, Any]:
        with _lock:
            items = [link.item() for link in self.backend.links.values()]
        return _page("links", items, params, 5)

    def delete_link(self, params: Mapping[str, Any]) -> dict[str, Any]:
        identifier = _identifier(params, "Identifier")
        with _lock:
            link = self._own_link(identifier)
            del self.backend.links[identifier]
            sink = _sink_by_arn(link.sink_arn)
            if sink is not None:
                sink.links.pop(identifier, None)
        return {}

    def list_attached_links(self, params: Mapping[str, Any]) -> dict[str, Any]:
        identifier = _identifier(params, "SinkIdentifier")
        with _lock:
            sink = self._own_sink(identifier)
            items = [link.attached_item() for link in sink.links.values()]
        return _page("attached", items, params, 1000)


OPERATIONS = (
    "create_sink",
    "get_sink",
    "list_sinks",
    "delete_sink",
    "put_sink_policy",
    "get_sink_policy",
    "create_link",
    "get_link",
    "update_link",
    "list_links",
    "delete_link",
    "list_attached_links",
)
_NEEDS_CALLER = ("create_link", "update_link")


# --------------------------------------------------------------------------------------------
# moto glue
# --------------------------------------------------------------------------------------------


def _caller_arn(account_id: str, region: str, access_key: str) -> str:
    from moto.sts.models import sts_backends
    from moto.utilities.utils import get_partition

    partition = get_partition(region)
    _, arn, _ = sts_backends[account_id][partition].get_caller_identity(access_key, region)
    return str(arn)


def _make_classes() -> dict[str, Any]:
    from moto.core.base_backend import BackendDict, BaseBackend
    from moto.core.responses import ActionResult, BaseResponse
    from moto.utilities.utils import get_partition

    url_module = types.SimpleNamespace(url_bases=URL_BASES, url_paths={})

    class OamBackend(BaseBackend):
        """The sinks and links of one account and Region."""

        def __init__(self, region_name: str, account_id: str) -> None:
            super().__init__(region_name, account_id)
            self.sinks: dict[str, Sink] = {}
            self.links: dict[str, Link] = {}

        @property
        def _url_module(self) -> Any:
            return url_module

    class OamResponse(BaseResponse):
        def __init__(self) -> None:
            super().__init__(service_name=SERVICE)
            self.automated_parameter_parsing = True

        def _answer(self, operation: str) -> Any:
            backend = backends[self.current_account][self.region]
            operations = _Operations(backend, get_partition(self.region))
            params = dict(self._get_params())
            method = getattr(operations, operation)
            if operation in _NEEDS_CALLER:
                caller = _caller_arn(self.current_account, self.region, self.get_access_key())
                return ActionResult(method(params, caller))
            return ActionResult(method(params))

    def responder(operation: str) -> Callable[[Any], Any]:
        def respond(self: Any) -> Any:
            return self._answer(operation)

        respond.__name__ = operation
        return respond

    for operation in OPERATIONS:
        setattr(OamResponse, operation, responder(operation))

    backends = BackendDict(OamBackend, SERVICE)
    url_module.url_paths = {"{0}/.*$": OamResponse.dispatch}
    return {"backends": backends, "response": OamResponse, "urls": url_module}


def install() -> None:
    """Register oam as a moto service (idempotent): its backends, routes and host pattern."""
    import re as regex

    import moto.backend_index as backend_index

    with _install_lock:
        if "backends" in _classes:
            return
        made = _make_classes()
        module = types.ModuleType(f"moto.{SERVICE}")
        module.__dict__[f"{SERVICE}_backends"] = made["backends"]
        module.__dict__["url_bases"] = URL_BASES
        module.__dict__["url_paths"] = made["urls"].url_paths
        existing = sys.modules.get(f"moto.{SERVICE}")
        if existing is not None and not hasattr(existing, "__warroom__"):
            raise RuntimeError("moto has an oam package now: the oam extension needs updating")
        module.__dict__["__warroom__"] = True
        sys.modules[f"moto.{SERVICE}"] = module
        patterns = backend_index.backend_url_patterns
        if not any(name == SERVICE for name, _ in patterns):
            patterns.append((SERVICE, regex.compile(URL_BASES[0])))
        _classes.update(made)
    logger.debug("oam extension installed")
