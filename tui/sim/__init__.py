"""The embedded simulator: moto's server, our extensions to it, a fictional workload and its metrics.

Nothing in this package imports textual: it runs inside the console (``warroom demo``) and alone
(``warroom sim serve``).
"""

from tui.sim.account import ACCOUNT_ID, REGION
from tui.sim.server import SimServer

__all__ = ["ACCOUNT_ID", "REGION", "SimServer"]
