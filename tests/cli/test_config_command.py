"""``warroom config path|show|check`` as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

WARROOM = [sys.executable, "-m", "tui.cli"]


def _run(config: Path, *args: str, **environ: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION")
    }
    env.update({"WARROOM_CONFIG": str(config), **environ})
    return subprocess.run([*WARROOM, *args], capture_output=True, text=True, env=env, timeout=60, check=False)


def test_path_show_and_check(tmp_path: Path) -> None:
    config = tmp_path / "warroom.toml"
    assert _run(config, "config", "path").stdout.strip() == str(config)

    missing = _run(config, "config", "check")
    assert missing.returncode == 0 and "no config file; the defaults are in force" in missing.stdout

    config.write_text('regions = ["eu-west-1"]\n\n[limits]\nwarn_at = 70\n\n[keys.limits]\nsort = "o"\n')
    assert _run(config, "config", "check").stdout.strip() == f"{config}: OK"
    show = _run(config, "--critical-at", "90", "config", "show", "--profile", "ops", AWS_REGION="us-west-2")
    assert show.returncode == 0, show.stderr
    lines = show.stdout.splitlines()
    assert f"# config file: {config} (read)" in lines

    def line(start: str) -> str:
        return next(text for text in lines if text.startswith(start))

    # Each with its source, then what it is.
    assert "# flag --profile · named profile" in line('profile = "ops"')
    assert '# environment AWS_REGION; overrides the file\'s ["eu-west-1"] (file line 1) · ' in line(
        'regions = ["us-west-2"]'
    )
    assert "# file line 4 · gauges warn" in line("warn_at = 70")
    assert "# flag --critical-at · " in line("critical_at = 90")
    assert "# default · seconds between the fis pane's polls" in line("fis = 15")
    assert line('sort = "o"').endswith("# file line 7 · Sort")
    assert line('help = "?"').endswith("# default · Help")


def test_check_fails_naming_the_line_the_field_and_both_actions_of_a_clash(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[keys]\nnote = "f1"\n\n[keys.kinesis]\ndouble = "q"\n')
    result = _run(config, "config", "check")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{config} line 5: keys.kinesis.double: the kinesis pane's double and the console's quit would both"
        " be on q: the pane's key hides the console's there"
    ]
    assert "is refused" in result.stderr
    config.write_text("[limits]\nwarn_at = true\n")
    result = _run(config, "config", "check")
    assert result.returncode == 1
    assert result.stdout == f"{config} line 2: limits.warn_at: expected a number, got true\n"
    # show says so too, and shows the defaults in force.
    show = _run(config, "config", "show").stdout.splitlines()
    assert show[0] == f"# {config} line 2: limits.warn_at: expected a number, got true"
    assert any(text.startswith("warn_at = 80 ") and "# default · " in text for text in show)
