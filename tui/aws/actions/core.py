"""The one gate every mutating AWS call goes through: plans, read-only enforcement, the audit log."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from botocore import xform_name
from botocore.exceptions import ClientError

from tui.aws.actions.audit import AuditLog, scrub
from tui.aws.clients import ROLE_SESSION_NAME, ClientFactory, account_of_role
from tui.aws.errors import AwsProblem, ErrorKind, classify
from tui.aws.outcome import utcnow
from tui.aws.scope import Place

log = logging.getLogger(__name__)

SUMMARY_LIMIT = 300
#: The error code with which AWS answers a dry run that would have succeeded.
DRY_RUN_PASSED = "DryRunOperation"
#: ``ActionRunner.dry_run``'s message for a plan none of whose calls takes DryRun.
NO_DRY_RUN = "no dry run available"


def snake_case(operation: str) -> str:
    """The aiobotocore method name of an API operation: ``UpdateShardCount`` -> ``update_shard_count``."""
    return str(xform_name(operation))


def kebab_case(name: str) -> str:
    """The AWS CLI spelling of an operation or parameter: ``StreamARN`` -> ``stream-arn``."""
    return str(xform_name(name, "-"))


def _cli_scalar(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _cli_args(name: str, value: Any) -> list[str]:
    option = f"--{kebab_case(name)}"
    if value is None:
        return []
    if isinstance(value, bool):
        return [option if value else f"--no-{kebab_case(name)}"]
    if isinstance(value, Mapping):
        return [option, json.dumps(value, separators=(",", ":"), default=str)]
    if isinstance(value, list | tuple):
        if any(isinstance(item, Mapping | list | tuple) for item in value):
            return [option, json.dumps(list(value), separators=(",", ":"), default=str)]
        return [option, *(_cli_scalar(item) for item in value)]
    return [option, _cli_scalar(value)]


#: The AWS CLI's command for a botocore service where the two differ (``aws s3`` is the file commands).
CLI_SERVICE_NAMES = {"s3": "s3api", "config": "configservice"}
#: Values the AWS CLI would not take literally as an option: it reads ``file://`` and ``fileb://`` (and,
#: when configured, URLs) as files to load, and a leading ``-`` as an option.
_NOT_LITERAL = re.compile(r"^(?:-|file://|fileb://|https?://)", re.IGNORECASE)
#: The shell line that assumes a role stores its three credentials in ``$1 $2 $3``.
ASSUMED_ENV = (
    'AWS_ACCESS_KEY_ID="${1:?assume-role gave no credentials}" '
    'AWS_SECRET_ACCESS_KEY="$2" AWS_SESSION_TOKEN="$3"'
)


#: The one way a shown line may differ from the console's call, said where it is pasted (a comment).
S3CONTROL_ENDPOINT_NOTE = (
    "# the AWS CLI sends this to <account-id>.<endpoint host>; the console sends it to the endpoint itself"
)


def _literal(value: Any) -> bool:
    """Whether the CLI takes ``value`` as given on the command line (else it goes in --cli-input-json)."""
    if isinstance(value, str):
        return not _NOT_LITERAL.match(value)
    if isinstance(value, list | tuple):
        return bool(value) and all(_literal(item) for item in value)
    return True


def _shell(words: list[str]) -> str:
    return " ".join(shlex.quote(word) for word in words)


@dataclass(frozen=True)
class CliTarget:
    """What a pasted AWS CLI command needs to reach what the console reaches.

    ``profile``: the named profile whose credentials the console uses (None: the default chain).
    ``endpoints``: the endpoint URL per service when one is set (--endpoint-url, AWS_ENDPOINT_URL,
    AWS_ENDPOINT_URL_<SERVICE>, the config file), as botocore resolves it for the console.
    ``sts_region``: where the console calls sts:AssumeRole.
    """

    profile: str | None = None
    endpoints: Mapping[str, str] = field(default_factory=dict)
    sts_region: str = "us-east-1"

    @classmethod
    def of(cls, factory: ClientFactory, services: tuple[str, ...] | list[str] = ()) -> CliTarget:
        """The target of ``factory``'s clients for ``services`` (and STS, for assumed roles)."""
        endpoints = {}
        for service in {*services, "sts"}:
            url = factory.endpoint_for(service)
            if url:
                endpoints[service] = url
        return cls(profile=factory.profile_in_use(), endpoints=endpoints, sts_region=factory.region)

    def options(self, service: str, *, profile: bool = True) -> list[str]:
        words = ["--profile", self.profile] if profile and self.profile else []
        url = self.endpoints.get(service)
        return [*words, "--endpoint-url", url] if url else words


@dataclass(frozen=True)
class ApiCall:
    """One AWS API call, exactly as it will be made.

    ``role_arn``: the call runs with credentials of that IAM role (sts:AssumeRole). ``profile``: it
    runs with that named profile's credentials instead (another account's, as ``--profile``); not
    both. ``account_id``: the account it acts in when the plan knows it ("" for the credential's own,
    or the role's). ``dry_run``: the operation takes ``DryRun=True``, so ``ActionRunner.dry_run`` can
    check it without changing anything.
    """

    service: str
    operation: str
    region: str
    params: Mapping[str, Any] = field(default_factory=dict)
    role_arn: str | None = None
    dry_run: bool = False
    profile: str | None = None
    account_id: str = ""

    def __post_init__(self) -> None:
        if self.role_arn and self.profile:
            raise ValueError("a call runs as a role or with a profile, not both")

    @property
    def as_role(self) -> str:
        """``"as role arn:..."`` or ``"with profile NAME"`` when the call does not run with the
        console's own credentials, else ``""``."""
        if self.role_arn:
            return f"as role {self.role_arn}"
        return f"with profile {self.profile}" if self.profile else ""

    @property
    def acts_in(self) -> str:
        """The account the call acts in, when known: the plan's, else its role's ("" otherwise)."""
        return self.account_id or (account_of_role(self.role_arn) if self.role_arn else "")

    def cli(self, target: CliTarget | None = None) -> str:
        """The same call as one AWS CLI command line a shell runs as shown.

        With ``target`` it names the profile and endpoint the console uses; a call that runs as an
        assumed role takes its credentials from ``$1 $2 $3`` (see ``cli_lines``) and names no profile;
        a call with a profile of its own names that profile.
        """
        words = ["aws", CLI_SERVICE_NAMES.get(self.service, self.service), kebab_case(self.operation)]
        given = {name: value for name, value in self.params.items() if value is not None}
        if all(_literal(value) for value in given.values()):
            for name, value in given.items():
                words.extend(_cli_args(name, value))
        else:
            words.extend(["--cli-input-json", json.dumps(given, separators=(",", ":"), default=str)])
        words.extend(["--region", self.region])
        if self.profile:
            words.extend(["--profile", self.profile])
        if target is not None:
            words.extend(target.options(self.service, profile=not (self.role_arn or self.profile)))
        line = _shell(words)
        return f"{ASSUMED_ENV} {line}" if self.role_arn and target is not None else line


def account_words(place: Place) -> str:
    """How a plan names the account of ``place``: ``payments-prod (210987654321)``, or the id alone."""
    name, ident = place.account_name, place.account_id
    if name and ident and name != ident:
        return f"{name} ({ident})"
    return ident or name or "the credential's own account"


def via_words(place: Place) -> str:
    """How the console reaches ``place``: ``as role NAME`` or ``with profile NAME`` ("" at home)."""
    if place.role_arn:
        return f"as role {place.role_arn.split(':role/', 1)[-1]}"
    return f"with profile {place.profile}" if place.profile else ""


def in_place(call: ApiCall, place: Place | None) -> ApiCall:
    """``call`` made in ``place``'s account: as its role, or with its profile. At home it runs with
    the credential as before, naming its account when the place knows it; with no place, unchanged."""
    if place is None:
        return call
    return replace(call, role_arn=place.role_arn, profile=place.profile, account_id=place.account_id)


def titled_in(title: str, account: str) -> str:
    """A plan's title naming the account it acts in: ``payments-prod: Reshard …`` ("" leaves it)."""
    return f"{account}: {title}" if account else title


def place_note(place: Place) -> str:
    """The plan's note saying in which account its calls act and with whose credentials."""
    where = f"In account {account_words(place)}, {place.region}"
    if place.role_arn:
        return (
            f"{where}: the calls run as {place.role_arn}, which the console assumes first "
            "(sts:AssumeRole); the role must allow them."
        )
    return f"{where}: the calls run with the credentials of profile {place.profile}."


def acting_in(plan: Plan, place: Place | None, account_id: str, region: str, account_name: str = "") -> Plan:
    """``plan`` acting in the account of the row it is about (``account_id`` in ``region``), reached
    at ``place`` (``tui.aws.scope.acting_place``): its calls as that account's role or with its
    profile, its title and a note naming the account. Refused when that account is not reached now
    (``place`` None with an ``account_id``); unchanged at home."""
    if place is None:
        if not account_id:
            return plan
        title = plan.title if plan.refusal else f"{plan.title}: refused"
        return replace(
            plan,
            title=titled_in(title, account_name or account_id),
            why=plan.why if plan.refusal else "Nothing is called.",
            refusal=unreached_refusal(account_id, region, account_name),
        )
    if place.home:
        return plan
    return replace(
        plan,
        title=titled_in(plan.title, place.account_name or place.account_id),
        calls=tuple(in_place(call, place) for call in plan.calls),
        notes=(place_note(place), *plan.notes),
    )


def unreached_refusal(account_id: str, region: str, name: str = "") -> str:
    """Why an action on a row of an account the console does not reach in ``region`` now is refused."""
    who = f"{name} ({account_id})" if name and name != account_id else account_id
    return (
        f"account {who} is not reached in {region} now: nothing is called, not even with the console's "
        "own credentials, which would act in another account"
    )


def assume_role_line(role_arn: str, target: CliTarget) -> str:
    """The shell line that assumes ``role_arn`` as the console does and keeps its credentials in $1 $2 $3."""
    words = [
        "aws",
        "sts",
        "assume-role",
        "--role-arn",
        role_arn,
        "--role-session-name",
        ROLE_SESSION_NAME,
        "--query",
        "Credentials.[AccessKeyId,SecretAccessKey,SessionToken]",
        "--output",
        "text",
        "--region",
        target.sts_region,
        *target.options("sts"),
    ]
    return f"set -- $({_shell(words)})"


def cli_lines(calls: tuple[ApiCall, ...] | list[ApiCall], target: CliTarget) -> list[str]:
    """The shell lines that make ``calls`` exactly as the console will, in order, pasted as shown.

    A call as an assumed role is preceded by the ``aws sts assume-role`` line whose output it uses
    (once per role in a row); a call with a profile of its own names it (``--profile``); no line
    holds a credential.
    """
    lines: list[str] = []
    assumed: str | None = None
    for call in calls:
        if call.role_arn and call.role_arn != assumed:
            lines.append(assume_role_line(call.role_arn, target))
            assumed = call.role_arn
        lines.append(call.cli(target))
        if call.service == "s3control" and target.endpoints.get("s3control"):
            lines.append(S3CONTROL_ENDPOINT_NOTE)
    return lines


@dataclass(frozen=True)
class Plan:
    """What an action will do, shown in the confirm modal before anything is called."""

    title: str
    why: str
    calls: tuple[ApiCall, ...]
    refusal: str = ""
    notes: tuple[str, ...] = ()
    key: str = ""

    @property
    def refused(self) -> bool:
        return bool(self.refusal)


class ReadOnlyRefusal(Exception):
    """The console runs read-only: the plan was not executed."""

    def __init__(self, plan: Plan) -> None:
        super().__init__(f"read-only mode: {plan.title} was not run")
        self.plan = plan


class PlanRefusal(Exception):
    """The plan carries a refusal (AWS would refuse, or we must): nothing was called."""

    def __init__(self, plan: Plan, reason: str) -> None:
        super().__init__(reason)
        self.plan = plan
        self.reason = reason


@dataclass(frozen=True)
class ActionResult:
    """What happened: every response in call order, or the problem that stopped the sequence."""

    plan: Plan
    ok: bool
    outputs: tuple[Mapping[str, Any], ...]
    problem: AwsProblem | None
    message: str


def strip_metadata(response: Any) -> dict[str, Any]:
    """A response without botocore's ``ResponseMetadata``."""
    if not isinstance(response, Mapping):
        return {}
    return {str(k): v for k, v in response.items() if k != "ResponseMetadata"}


def summarize(response: Mapping[str, Any], limit: int = SUMMARY_LIMIT) -> str:
    """A short, secret-free line describing a response: its scalar fields, sizes of the rest."""
    clean = scrub(strip_metadata(response))
    parts: list[str] = []
    for key in sorted(clean):
        value = clean[key]
        if isinstance(value, dict):
            parts.append(f"{key}={{{len(value)} fields}}")
        elif isinstance(value, list):
            parts.append(f"{key}=[{len(value)} items]")
        else:
            parts.append(f"{key}={value}")
    text = ", ".join(parts) if parts else "no response body"
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ActionRunner:
    """Executes plans: refuses in read-only mode, runs the calls in order, audits each one."""

    def __init__(
        self,
        factory: ClientFactory,
        *,
        read_only: bool,
        audit: AuditLog,
        clock: Callable[[], datetime] = utcnow,
        actor: str | None = None,
        account: str | None = None,
    ) -> None:
        self.factory = factory
        self.read_only = read_only
        self.audit = audit
        self.clock = clock
        self.actor = actor
        self.account = account
        self.listeners: list[Callable[[Mapping[str, Any]], None]] = []
        """Called with every audit record after it is written (the journal lists the changes made)."""

    @property
    def profile(self) -> str | None:
        return self.factory.target.profile

    def _record(
        self,
        plan: Plan,
        call: ApiCall | None,
        outcome: str,
        *,
        error_code: str = "",
        message: str = "",
        params: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        record = {
            "at": self.clock().isoformat(),
            "actor": self.actor,
            "profile": (call.profile if call else None) or self.profile,
            "account": (call.acts_in if call else "") or self.account,
            "region": call.region if call else None,
            "service": call.service if call else None,
            "operation": call.operation if call else None,
            "params": dict(call.params) if call else None,
            "role_arn": call.role_arn if call else None,
            "outcome": outcome,
            "error_code": error_code,
            "message": message,
            "plan_title": plan.title,
            "plan_key": plan.key,
        }
        if params is not None:
            record["params"] = dict(params)
        return record

    async def write_record(self, record: Mapping[str, Any]) -> str:
        """Tell the listeners of ``record`` (an event of the console's, like a session's end) and
        append it to the audit log; an unwritable log is reported in the text returned, not raised."""
        return await self._write(record)

    async def _write(self, record: Mapping[str, Any]) -> str:
        """Append ``record``; an unwritable audit log is reported, never raised past a made call."""
        for listener in tuple(self.listeners):
            try:
                listener(record)
            except Exception:  # a listener's bug must not hide the call's outcome
                log.exception("audit listener failed")
        try:
            await asyncio.to_thread(self.audit.append, record)
        except OSError as exc:
            log.debug("audit log %s not written: %s", self.audit.path, exc)
            return f" (audit log not written: {exc.strerror or exc})"
        return ""

    async def _refuse(self, plan: Plan, outcome: str, message: str) -> None:
        for call in plan.calls or (None,):
            await self._write(self._record(plan, call, outcome, message=message))

    async def _gate(self, plan: Plan) -> None:
        """Refuse (audited, raised) a plan that must not run: read-only mode first, then its refusal."""
        if self.read_only:
            await self._refuse(plan, "refused-read-only", "read-only mode: nothing was called")
            raise ReadOnlyRefusal(plan)
        if plan.refusal:
            await self._refuse(plan, "refused", plan.refusal)
            raise PlanRefusal(plan, plan.refusal)
        if not plan.calls:
            reason = "the plan has no API calls"
            await self._refuse(plan, "refused", reason)
            raise PlanRefusal(plan, reason)

    async def _invoke(self, call: ApiCall, params: Mapping[str, Any]) -> dict[str, Any]:
        if call.role_arn:
            client = await self.factory.client(call.service, call.region, role_arn=call.role_arn)
        elif call.profile:
            client = await self.factory.client(call.service, call.region, profile=call.profile)
        else:
            client = await self.factory.client(call.service, call.region)
        method = getattr(client, snake_case(call.operation))
        return strip_metadata(await method(**params))

    async def execute(self, plan: Plan) -> ActionResult:
        """Run ``plan``; AWS failures come back in the result, refusals are raised."""
        await self._gate(plan)
        outputs: list[Mapping[str, Any]] = []
        warning = ""
        for call in plan.calls:
            try:
                response = await self._invoke(call, call.params)
            except Exception as exc:  # every failure is reported in the result, never raised
                problem = classify(exc, profile=self.profile)
                log.debug("%s:%s failed: %s", call.service, call.operation, problem.code)
                failed = await self._write(
                    self._record(plan, call, "error", error_code=problem.code, message=problem.message)
                )
                warning = warning or failed
                done = f" after {len(outputs)} of {len(plan.calls)} calls" if outputs else ""
                return ActionResult(
                    plan=plan,
                    ok=False,
                    outputs=tuple(outputs),
                    problem=problem,
                    message=f"{plan.title}: failed{done}: {problem.one_line()}{warning}",
                )
            outputs.append(response)
            failed = await self._write(self._record(plan, call, "ok", message=summarize(response)))
            warning = warning or failed

        count = len(plan.calls)
        return ActionResult(
            plan=plan,
            ok=True,
            outputs=tuple(outputs),
            problem=None,
            message=f"{plan.title}: done ({count} call{'s' if count != 1 else ''}){warning}",
        )

    async def dry_run(self, plan: Plan) -> ActionResult:
        """Check ``plan`` with ``DryRun=True`` on each call that takes it, changing nothing.

        Refused exactly like ``execute``. A call passes when AWS answers ``DryRunOperation``; the
        first call that does not stops the check. Each checked call is audited as ``dry-run-ok`` or
        ``dry-run-error``; ``outputs`` holds one ``{"DryRunOperation": message}`` per passed call.
        """
        await self._gate(plan)
        checkable = [call for call in plan.calls if call.dry_run]
        if not checkable:
            return ActionResult(plan=plan, ok=True, outputs=(), problem=None, message=NO_DRY_RUN)
        outputs: list[Mapping[str, Any]] = []
        warning = ""
        for call in checkable:
            params = {**call.params, "DryRun": True}
            try:
                response = await self._invoke(call, params)
            except ClientError as exc:
                error = exc.response.get("Error", {})
                if error.get("Code") == DRY_RUN_PASSED:
                    text = str(error.get("Message") or DRY_RUN_PASSED)
                    outputs.append({DRY_RUN_PASSED: text})
                    failed = await self._write(
                        self._record(plan, call, "dry-run-ok", message=text, params=params)
                    )
                    warning = warning or failed
                    continue
                problem = classify(exc, profile=self.profile)
            except Exception as exc:  # every failure is reported in the result, never raised
                problem = classify(exc, profile=self.profile)
            else:
                problem = AwsProblem(
                    ErrorKind.ERROR,
                    f"{call.operation}: ran instead of a dry run ({summarize(response)})",
                    "the call was made: re-read the resource before running the plan",
                    "DryRunIgnored",
                    call.operation,
                )
            log.debug("%s:%s dry run failed: %s", call.service, call.operation, problem.code)
            failed = await self._write(
                self._record(
                    plan,
                    call,
                    "dry-run-error",
                    error_code=problem.code,
                    message=problem.message,
                    params=params,
                )
            )
            warning = warning or failed
            done = f" after {len(outputs)} of {len(checkable)} calls" if outputs else ""
            return ActionResult(
                plan=plan,
                ok=False,
                outputs=tuple(outputs),
                problem=problem,
                message=f"{plan.title}: dry run failed{done}: {problem.one_line()}{warning}",
            )
        count = len(checkable)
        return ActionResult(
            plan=plan,
            ok=True,
            outputs=tuple(outputs),
            problem=None,
            message=f"{plan.title}: dry run passed ({count} call{'s' if count != 1 else ''}){warning}",
        )
