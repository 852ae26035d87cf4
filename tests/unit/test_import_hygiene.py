"""The data layer and the simulator never import Textual; widgets never import AWS clients."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import importlib, pkgutil, sys
import {package}
for info in pkgutil.walk_packages({package}.__path__, "{package}."):
    importlib.import_module(info.name)
bad = sorted(m for m in sys.modules if m.split(".")[0] in {forbidden})
print(",".join(bad))
"""


def _imports(package: str, forbidden: set[str]) -> list[str]:
    code = PROBE.format(package=package, forbidden=repr(forbidden))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return [m for m in out.stdout.strip().split(",") if m]


@pytest.mark.parametrize("package", ["tui.aws", "tui.sim", "tui.feeds", "tui.gameday"])
def test_data_layer_and_simulator_import_no_textual(package: str) -> None:
    assert _imports(package, {"textual", "rich"}) == []


def test_widgets_import_no_aws_client_code() -> None:
    assert _imports("widgets", {"aiobotocore", "botocore", "boto3", "moto"}) == []


def test_the_headless_recorder_and_the_pane_registry_import_no_textual() -> None:
    code = "import sys, tui.headless, tui.panes; print(*[m for m in sys.modules if m.startswith('textual')])"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == ""
