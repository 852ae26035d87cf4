"""The data layer and the simulator never import Textual; widgets never import AWS clients.

The import contracts in pyproject.toml (``lint-imports``, run by ``make test``) hold the layers as
the source states them; these tests import the packages for real, which also follows what is
imported by name at run time (the pane registry's screens and pollers).
"""

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
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    return [m for m in out.stdout.strip().split(",") if m]


@pytest.mark.parametrize("package", ["tui.aws", "tui.sim", "tui.feeds", "tui.gameday", "tui.common"])
def test_data_layer_and_simulator_import_no_textual(package: str) -> None:
    assert _imports(package, {"textual", "rich"}) == []


def test_widgets_import_no_aws_client_code() -> None:
    assert _imports("widgets", {"aiobotocore", "botocore", "boto3", "moto"}) == []


@pytest.mark.parametrize(
    "modules", ["tui.headless, tui.panes", "tui.settings, tui.context, tui.replaying", "tui.cli"]
)
def test_the_recorder_the_registry_and_the_commands_import_no_textual(modules: str) -> None:
    """The commands import Textual only inside the ones that draw a console (start-up time)."""
    code = f"import sys, {modules}; print(*[m for m in sys.modules if m.startswith(('textual', 'rich'))])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == ""
