"""The demo's simulator answers STS as soon as it listens, and nothing else before it is seeded.

Run in a process of its own: the simulator seeds moto's process-wide state, which the session's
simulator holds in this one.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = r"""
import json, threading, boto3
from botocore.config import Config
from tui.sim import catalog
from tui.sim.account import SIM_ACCESS_KEY, SIM_SECRET_KEY
from tui.sim.server import SimServer

steps, listening = [], threading.Event()
server = SimServer(seed=7, live=False, identity_first=True)
url = server.reserve()
server.progress = steps.append
server.listening = listening.set
starting = threading.Thread(target=server.start, daemon=True)
starting.start()
assert listening.wait(60), "the simulator never listened"
session = boto3.session.Session(SIM_ACCESS_KEY, SIM_SECRET_KEY, region_name="us-east-1")
config = Config(retries={"max_attempts": 1}, read_timeout=120)
account = session.client("sts", endpoint_url=url, config=config).get_caller_identity()["Account"]
seeding_when_answered = starting.is_alive() and "importing findings" not in steps
ec2 = session.client("ec2", endpoint_url=url, config=config)
instances = [i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]]
starting.join(60)
print(json.dumps({
    "account": account,
    "seeding_when_answered": seeding_when_answered,
    "instances": len(instances),
    "expected": len(catalog.INSTANCES),
    "steps": steps,
}))
server.stop()
"""


def test_sts_answers_while_the_workload_is_seeded_and_ec2_only_once_it_is() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=180, cwd=ROOT, check=False
    )
    assert out.returncode == 0, out.stderr[-2000:]
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["account"] == "123456789012"
    assert found["seeding_when_answered"], found["steps"]
    # EC2's answer waited for the whole fleet: never a half-seeded account.
    assert found["instances"] == found["expected"]
    assert found["steps"][:2] == ["loading moto", "seeding the fleet"]
    assert found["steps"][-1] == "backfilling metrics"
