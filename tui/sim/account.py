"""The simulated account: its id, its region and the keys the simulator accepts.

The server, the workload, the fault engine and the stand-in plugin read them from here, below
all of them.
"""

from __future__ import annotations

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"

# Credentials the simulator accepts; they are not secrets and never reach AWS.
SIM_ACCESS_KEY = "testing"
SIM_SECRET_KEY = "testing"
