"""sts:AssumeRole refused, as AWS refuses it, when the role is not in the target account.

moto 5.2 issues credentials for any role ARN, whether the role exists or not (its docstring says
so: the ARN may name another account, to switch accounts). AWS answers AccessDenied (HTTP 403)::

    User: arn:aws:iam::123456789012:user/alice is not authorized to perform: sts:AssumeRole on
    resource: arn:aws:iam::567890123456:role/warroom-readonly

``install()`` wraps moto's AssumeRole so that it answers so when the role's account belongs to an
organization the simulator holds (moto's Organizations knows it: the simulated organization of
``tui.sim.org``) and that account has no such role. Elsewhere moto's leniency stays: the
single-account workload seeds its member account through a role it creates only afterwards, and
tests switch to made-up accounts. The role's trust policy is not evaluated (nor does moto
evaluate IAM policies).
"""

# moto is imported inside the functions, for start-up time: see tui/sim/extensions/__init__.py.
from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

_ROLE_ARN = re.compile(r"^arn:(?P<partition>[\w-]+):iam::(?P<account>\d{12}):role/(?P<path_name>.+)$")

_install_lock = threading.Lock()
moto_originals: dict[str, Callable[..., Any]] = {}


def in_organization(account_id: str) -> bool:
    """Whether moto's Organizations holds ``account_id``, as a member or as a management account."""
    from moto.organizations.models import organizations_backends

    members = organizations_backends.master_accounts
    if account_id in members:
        return True
    return any(owner == account_id for owner, _ in list(members.values()))


ORGANIZATION_ROLE = "OrganizationAccountAccessRole"
"""The role AWS Organizations creates in every account it creates (CreateAccount), trusting the
management account: a member account has it from its first moment."""


def is_member(account_id: str) -> bool:
    """Whether ``account_id`` is a member (not the management account) of an organization moto holds."""
    from moto.organizations.models import organizations_backends

    return account_id in organizations_backends.master_accounts


def role_exists(account_id: str, partition: str, path_name: str) -> bool:
    """Whether the IAM of ``account_id`` has the role ``path_name`` (its name, after any path)."""
    from moto.iam.models import iam_backends

    per_account = dict.get(iam_backends, account_id)
    backend = dict.get(per_account, partition) if per_account is not None else None
    if backend is None:
        return False
    name = path_name.rsplit("/", 1)[-1]
    return any(role.name == name for role in list(backend.roles.values()))


def refusal(caller_arn: str, role_arn: str) -> Exception:
    """AWS's AccessDenied for ``caller_arn`` assuming ``role_arn``."""
    from moto.core.exceptions import AccessDeniedError

    return AccessDeniedError(caller_arn, f"sts:AssumeRole on resource: {role_arn}")


def check_assume_role(response: Any) -> None:
    """Raise AWS's AccessDenied when the request's RoleArn names a missing role in an account of
    the simulated organization."""
    role_arn = str(response._get_param("RoleArn") or "")
    match = _ROLE_ARN.match(role_arn)
    if match is None or not in_organization(match["account"]):
        return
    if role_exists(match["account"], match["partition"], match["path_name"]):
        return
    if match["path_name"] == ORGANIZATION_ROLE and is_member(match["account"]):
        return  # Organizations made it with the account
    from tui.sim.extensions.ssm import caller_identity

    caller, _ = caller_identity(response.current_account, response.region, response.get_access_key())
    raise refusal(caller, role_arn)


def reset() -> None:
    """Forget which accounts belong to an organization: moto's reset clears its Organizations
    backends but not the member list its backend dictionary keeps beside them, and the accounts
    of a simulated organization would stay checked for the simulators started after it."""
    from moto.organizations.models import organizations_backends

    organizations_backends.master_accounts.clear()


def install() -> None:
    """Wrap moto's AssumeRole (idempotent)."""
    from moto.sts.responses import TokenResponse

    with _install_lock:
        if "assume_role" in moto_originals:
            return
        original = TokenResponse.assume_role
        if not callable(original):
            raise RuntimeError("moto's TokenResponse has no assume_role: the STS extension needs work")

        def assume_role(self: Any) -> Any:
            check_assume_role(self)
            return original(self)

        moto_originals["assume_role"] = original
        TokenResponse.assume_role = assume_role  # type: ignore[method-assign]
    logger.debug("STS AssumeRole checks installed")
