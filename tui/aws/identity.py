"""Who the console is: STS GetCallerIdentity."""

from __future__ import annotations

from dataclasses import dataclass

from tui.aws.clients import ClientFactory


@dataclass(frozen=True)
class Identity:
    account: str
    arn: str
    user_id: str

    @property
    def principal(self) -> str:
        """The last part of the ARN: user/name or assumed-role/role/session."""
        return self.arn.split(":", 5)[-1] if self.arn.count(":") >= 5 else self.arn


async def caller_identity(factory: ClientFactory) -> Identity:
    sts = await factory.client("sts")
    reply = await sts.get_caller_identity()
    return Identity(account=reply["Account"], arn=reply["Arn"], user_id=reply["UserId"])
