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
