"""What moto's Organizations knows about the organization an account belongs to, read without
creating a backend for an account that has none (the aggregation extensions ask about any
account a request names)."""

# moto is imported inside the functions, for start-up time: see tui/sim/extensions/__init__.py.
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class OrgAccount:
    """One account of an organization, as Organizations describes it."""

    id: str
    name: str
    email: str
    status: str


@dataclass(frozen=True)
class Organization:
    """An organization: its id, its management account and its accounts (the management one included)."""

    id: str
    management_account_id: str
    accounts: tuple[OrgAccount, ...]

    def account(self, account_id: str) -> OrgAccount | None:
        return next((account for account in self.accounts if account.id == account_id), None)

    @property
    def account_ids(self) -> tuple[str, ...]:
        return tuple(account.id for account in self.accounts)


def _backend(account_id: str, partition: str) -> Any:
    from moto.organizations.models import organizations_backends

    per_account = dict.get(organizations_backends, account_id)
    return None if per_account is None else dict.get(per_account, partition)


def organization_of(account_id: str, partition: str = "aws") -> Organization | None:
    """The organization ``account_id`` manages or is a member of; None when it is in none."""
    from moto.organizations.models import organizations_backends

    backend = _backend(account_id, partition)
    if backend is None or backend.org is None:
        master = organizations_backends.master_accounts.get(account_id)
        if master is None:
            return None
        backend = _backend(master[0], master[1])
        if backend is None or backend.org is None:
            return None
    org = backend.org
    accounts = tuple(
        OrgAccount(str(item.id), str(item.name), str(item.email), str(item.status))
        for item in list(backend.accounts)
    )
    if not any(account.id == account_id for account in accounts):
        return None
    return Organization(str(org.id), str(org.master_account_id), accounts)
