"""The embedded simulator: moto's server, our extensions to it, a fictional workload and its metrics.

Nothing in this package imports textual: it runs inside the console (``warroom demo``) and alone
(``warroom sim serve``).

The package's names are read when first asked for: ``warroom --help`` builds its parser from
``tui.sim.commands``, and importing the server with the package cost it about 40 ms (logging's
handlers, the control API's urllib).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui.sim.account import ACCOUNT_ID, REGION
    from tui.sim.server import SimServer

__all__ = ["ACCOUNT_ID", "REGION", "SimServer"]


def __getattr__(name: str) -> Any:
    if name in ("ACCOUNT_ID", "REGION"):
        from tui.sim import account

        return getattr(account, name)
    if name == "SimServer":
        from tui.sim.server import SimServer

        return SimServer
    raise AttributeError(f"module 'tui.sim' has no attribute {name!r}")
