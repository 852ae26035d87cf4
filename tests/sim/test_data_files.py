"""The simulator's data files (tui/sim/data): shipped with the package, typed on load, and a wrong
entry named with its file."""

from __future__ import annotations

import copy
import fnmatch
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tui.sim import catalog, findings
from tui.sim.datafile import DataFileError, parse, path_of, read

ROOT = Path(__file__).resolve().parents[2]
FLEET = "fleet.toml"
FINDINGS = "findings.toml"

Change = Callable[[dict[str, Any]], None]


def test_every_data_file_is_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["tui"]
    files = sorted((ROOT / "tui" / "sim" / "data").iterdir())
    assert files, "tui/sim/data holds the simulator's data files"
    for path in files:
        relative = path.relative_to(ROOT / "tui").as_posix()
        assert any(fnmatch.fnmatch(relative, p) for p in patterns), f"{relative} is not package data"


def test_the_fleet_is_read_once_and_numbers_keep_the_type_they_are_written_with() -> None:
    assert catalog.load_fleet() == catalog.FLEET
    assert catalog.INSTANCES is catalog.FLEET.instances
    facts = catalog.INSTANCE_TYPES["m5.xlarge"]
    assert (facts.ebs_max_iops, facts.net_peak_gbps) == (18750, 10.0)
    assert isinstance(facts.ebs_max_iops, int) and isinstance(facts.net_peak_gbps, float)
    root = catalog.INSTANCES[0].volumes[0]
    assert (root.key, root.volume_type, root.size_gib, root.root) == ("payments-db-1:root", "gp3", 20, True)
    assert repr(root.read_iops) == "Load(night=4, peak=18, jitter=0.2)"
    api2 = next(spec for spec in catalog.INSTANCES if spec.name == "payments-api-2")
    assert api2.volumes[0].size_gib == 16, "a volume's own fields win over its template's"


def _fleet_error(change: Change) -> str:
    data = copy.deepcopy(read(FLEET))
    change(data)
    with pytest.raises(DataFileError) as caught:
        catalog.load_fleet(data=data)
    return str(caught.value)


def _set(path: tuple[Any, ...], value: Any) -> Change:
    def change(data: dict[str, Any]) -> None:
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _drop(path: tuple[Any, ...]) -> Change:
    def change(data: dict[str, Any]) -> None:
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            _set(("instances", 2, "disk_used_pct"), "41"),
            "instances[2] \"payments-api-1\".disk_used_pct: must be a number, not the string '41'",
        ),
        (
            _set(("instances", 0, "volumes", 1, "iopz"), 3),
            'instances[0] "payments-db-1".volumes[1] "payments-db-1:data": unknown field \'iopz\'',
        ),
        (
            _drop(("instances", 0, "volumes", 1, "device")),
            'instances[0] "payments-db-1".volumes[1] "payments-db-1:data": device is missing',
        ),
        (
            _set(("instances", 0, "volumes", 1, "volume_type"), "gp9"),
            "\"payments-db-1:data\": unknown volume type 'gp9'",
        ),
        (
            _set(("instances", 0, "instance_type"), "m9.huge"),
            "instance_type: 'm9.huge' is not one of instance_types",
        ),
        (
            _set(("instances", 0, "volumes", 0, "template"), "gp9-root"),
            "template: 'gp9-root' is not one of volume_templates (gp3-root)",
        ),
        (
            _drop(("streams", 1, "consumers", 0, "lag_ms", "peak")),
            'streams[1] "ledger-cdc".consumers[0] "ledger-projector".lag_ms: peak is missing',
        ),
        (_set(("instance_types", "m5.large", "vcpus"), 2.0), "vcpus: must be an integer, not the number 2.0"),
        (_set(("sparse", "idle_volumes"), ["x:y"]), "sparse.idle_volumes: 'x:y' is not the key of a volume"),
        (_drop(("streams",)), "streams: is missing"),
        (_set(("access_key_users", "ci-deployer"), "37"), "access_key_users.ci-deployer: must be an integer"),
        (_set(("instances", 1, "name"), "payments-db-1"), "instances: 'payments-db-1' appears twice"),
    ],
)
def test_a_wrong_entry_is_named_with_its_file(change: Change, message: str) -> None:
    error = _fleet_error(change)
    assert error.startswith(f"{path_of(FLEET)}: "), error
    assert message in error


def test_text_that_is_not_toml_is_named_with_its_file() -> None:
    with pytest.raises(DataFileError, match=r"^fleet\.toml: is not valid TOML: .*line 2"):
        parse("[member]\ninstance_name = sandbox\n", "fleet.toml")
    with pytest.raises(DataFileError, match=r"nope\.toml: cannot be read"):
        read("nope.toml")


def test_the_finding_templates_are_read_once_with_their_standards() -> None:
    assert findings.load_findings_data() == findings.FINDINGS_DATA
    assert findings.CONTROLS["EC2.2"].standards == (findings.FSBP, findings.CIS_12, findings.CIS_14)
    assert findings.FSBP == "standards/aws-foundational-security-best-practices/v/1.0.0"
    assert findings.CIS_RULES["3.3"] == (
        'Ensure a log metric filter and alarm exist for usage of "root" account',
        "LOW",
    )
    first = findings.FINDINGS_DATA.vulnerabilities[0]
    assert (first.cve, first.score, first.instance, first.workflow) == (
        "CVE-2024-6387",
        8.1,
        "legacy-bastion-1",
        "NEW",
    )
    assert [v.package.manager for v in findings.FINDINGS_DATA.member_vulnerabilities] == ["JAR", "OS"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            _set(("controls", "EC2.2", "standards"), ["fsbp", "cis_99"]),
            "controls.\"EC2.2\".standards: 'cis_99' is not one of standards",
        ),
        (_drop(("controls", "S3.1", "severity")), 'controls."S3.1": severity is missing'),
        (
            _set(("inspector", "seeded", 3, "instance"), "payments-api-9"),
            "inspector.seeded[3] \"CVE-2023-44487\".instance: 'payments-api-9' is not an instance",
        ),
        (_set(("inspector", "seeded", 0, "score"), 6.1), "no cvss_vectors entry for 6.1"),
        (
            _set(("account_controls_passed",), ["EC2.2"]),
            "account_controls_passed: 'EC2.2' is not one of passing_controls",
        ),
        (_set(("cis_rules", "1.4"), {"title": "x"}), 'cis_rules."1.4": severity is missing'),
    ],
)
def test_a_wrong_finding_template_is_named_with_its_file(change: Change, message: str) -> None:
    data = copy.deepcopy(read(FINDINGS))
    change(data)
    with pytest.raises(DataFileError) as caught:
        findings.load_findings_data(data=data)
    assert str(caught.value).startswith(f"{path_of(FINDINGS)}: "), caught.value
    assert message in str(caught.value)
