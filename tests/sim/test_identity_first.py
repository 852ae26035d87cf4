"""The demo's simulator answers STS as soon as it listens, each service of the seeded account once
its resources are all seeded, and the rest once everything is; what clients ask meanwhile changes
none of the seed's identifiers.

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
from tui.sim import catalog, extensions, server as sim_server
from tui.sim.account import SIM_ACCESS_KEY, SIM_SECRET_KEY
from tui.sim.server import SimServer

sim_server.METRICS_WAIT_S = 0.0  # nobody here reads CloudWatch
steps, ready, listening = [], [], threading.Event()
told = sim_server._SeedGate.ready

def record_ready(gate, services):
    ready.extend(sorted(services))
    told(gate, services)

sim_server._SeedGate.ready = record_ready
server = SimServer(seed=7, live=False, identity_first=True)
url = server.reserve()
server.progress = steps.append
server.listening = listening.set
starting = threading.Thread(target=server.start, daemon=True)
starting.start()
assert listening.wait(60), "the simulator never listened"
session = boto3.session.Session(SIM_ACCESS_KEY, SIM_SECRET_KEY, region_name="us-east-1")
config = Config(retries={"max_attempts": 1}, read_timeout=120)
found = {}

def ask(name, call):
    result = call()
    found[name] = {"result": result, "ready": list(ready), "seeding": starting.is_alive()}

ec2 = session.client("ec2", endpoint_url=url, config=config)
hub = session.client("securityhub", endpoint_url=url, config=config)
askers = [
    threading.Thread(target=ask, args=(
        "ec2", lambda: len([i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]]))),
    threading.Thread(target=ask, args=(
        "findings", lambda: len(hub.get_findings(MaxResults=100)["Findings"]))),
]
for asker in askers:
    asker.start()
found["account"] = session.client("sts", endpoint_url=url, config=config).get_caller_identity()["Account"]
seeding_when_identified = starting.is_alive() and "importing findings" not in steps
for asker in askers:
    asker.join(120)
starting.join(120)

def identifiers(inventory):
    return [sorted(inventory.instances.values()), sorted(inventory.volumes_by_key.values()),
            dict(inventory.security_groups), list(inventory.finding_ids)]

inventory = server.workload.inventory
seeded_beside_clients = identifiers(inventory)
server.stop()
extensions.reset()
with SimServer(seed=7, live=False) as alone:
    seeded_alone = identifiers(alone.workload.inventory)
print(json.dumps({
    "account": found["account"],
    "seeding_when_identified": seeding_when_identified,
    "ec2": found["ec2"],
    "findings": found["findings"],
    "expected_instances": len(catalog.INSTANCES),
    "expected_findings": min(100, len(inventory.finding_ids)),
    "ready": ready,
    "steps": steps,
    "same_ids": seeded_beside_clients == seeded_alone,
}))
"""


def _probe() -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=240, cwd=ROOT, check=False
    )
    assert out.returncode == 0, out.stderr[-2000:]
    found: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return found


def test_each_service_is_answered_once_it_is_seeded_and_the_ids_are_the_seeds() -> None:
    found = _probe()
    assert found["account"] == "123456789012"
    assert found["seeding_when_identified"], found["steps"]
    # EC2 answered with the whole fleet while the rest was still being seeded (Security Hub's
    # findings not yet imported) ...
    ec2 = found["ec2"]
    assert isinstance(ec2, dict)
    assert ec2["result"] == found["expected_instances"]
    assert ec2["seeding"]
    assert "ec2" in ec2["ready"] and "securityhub" not in ec2["ready"], ec2["ready"]
    # ... and Security Hub only once every finding was imported: never a half-seeded account.
    findings = found["findings"]
    assert isinstance(findings, dict)
    assert "securityhub" in findings["ready"]
    assert findings["result"] == found["expected_findings"]
    assert found["ready"] == [
        "servicequotas",
        "ec2",
        "kinesis",
        "lambda",
        "cloudtrail",
        "s3",
        "ssm",
        "kms",
        "iam",
        "securityhub",
    ]
    # The clients answered during the seeding moved none of the seed's identifiers.
    assert found["same_ids"]
    steps = found["steps"]
    assert isinstance(steps, list)
    assert steps[:2] == ["loading moto", "seeding the fleet"]
    assert steps[-1] == "backfilling metrics"
