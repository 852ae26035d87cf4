"""Where the console points (``AwsTarget``): plain data, so the settings and the command line read it
without importing an AWS SDK."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class AwsTarget:
    """Where the console points: the same knobs as the AWS CLI."""

    profile: str | None = None
    regions: tuple[str, ...] = ()
    endpoint_url: str | None = None
    # Explicit static credentials; only the simulator uses them (its keys are not secrets).
    access_key: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)

    @property
    def primary_region(self) -> str | None:
        return self.regions[0] if self.regions else None


#: The role assumed in every watched account other than the credential's own, unless its entry names another.
DEFAULT_ACCOUNT_ROLE = "warroom-readonly"


@dataclass(frozen=True)
class AccountEntry:
    """One account of the config file's ``[[accounts]]`` list: how the console reaches it."""

    id: str
    name: str = ""
    role: str = ""
    """A role name (in this account) or a role ARN to assume; "" with no profile: the default role."""
    profile: str = ""
    """An AWS CLI profile whose credentials are this account's; "" to assume a role instead."""
    line: int | None = None
    """The config file's line of this entry (None when it came from elsewhere)."""


@dataclass(frozen=True)
class AccountSettings:
    """Which accounts the console watches and how it reaches them (``tui.aws.accounts``).

    The default (no organization, no entries, no scope) is one account: the credential's own, reached
    directly, with no call beyond those the console made before it watched several.
    """

    read_org: bool = False
    """Learn the accounts from AWS Organizations (ListAccounts) when the caller may read it."""
    role: str = DEFAULT_ACCOUNT_ROLE
    """The role name assumed in each account that names no role or profile of its own."""
    entries: tuple[AccountEntry, ...] = ()
    watch: tuple[str, ...] = ()
    """Only these accounts (ids or names); empty: every account known."""

    @property
    def single(self) -> bool:
        """Only the credential's own account, as before the console watched several."""
        return not self.read_org and not self.entries and not self.watch
