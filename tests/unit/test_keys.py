"""Keys by action name: key names, the key maps the app takes, and the clashes a file is refused for."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest
from textual.screen import ModalScreen, Screen

import tui.screens
from tui import config, keys, panes
from tui.app import WarroomApp
from tui.settings import GLOBAL_KEYS


def _check(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "config.toml"
    path.write_text(text)
    loaded = config.load(path)
    assert not loaded.problems, loaded.problems
    return keys.check(loaded, WarroomApp)


@pytest.mark.parametrize(
    ("written", "textual"),
    [
        ("o", "o"),
        ("?", "question_mark"),
        ("/", "slash"),
        (" ", "space"),
        ("F1", "f1"),
        ("Ctrl+O", "ctrl+o"),
        ("shift+g", "G"),
        ("question_mark", "question_mark"),
        ("ctrl++", "ctrl+plus"),
        ("escape", "escape"),
    ],
)
def test_keys_are_written_as_people_write_them_and_named_as_textual_does(written: str, textual: str) -> None:
    assert keys.normalize(written) == textual
    assert keys.normalize(keys.display(textual)) == textual


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("ctrl+foo", "is not a key"),
        ("hyperspace", "is not a key"),
        ("cmd+o", "is not a key"),
        ("ctrl+s", "XOFF"),
        ("ctrl+b", "tmux's prefix"),
    ],
)
def test_a_key_that_does_not_exist_or_never_arrives_is_refused(written: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        keys.normalize(written)


def test_every_action_has_one_name_per_scope_and_the_defaults_never_clash(tmp_path: Path) -> None:
    catalogue = keys.catalogue(WarroomApp)
    assert set(catalogue) == {GLOBAL_KEYS, *(p.name for p in panes.PANES)}
    assert {"help", "jump", "note", "next_theme", "quit"} <= set(catalogue[GLOBAL_KEYS])
    assert {"pause", "refresh", "filter", "sort", "hints", "reload_charts"} == set(catalogue["limits"])
    assert {"double", "halve", "retention", "mode"} <= set(catalogue["kinesis"])
    assert {"notified", "suppress", "resolve", "reopen", "fix"} <= set(catalogue["findings"])
    # Every movable key put back on its default key is no clash: the defaults are a valid key map.
    lines = []
    for scope, actions in catalogue.items():
        lines.append("[keys]" if scope == GLOBAL_KEYS else f"[keys.{scope}]")
        lines += [
            f"{name} = {config.toml_value([keys.display(k) for k in a.keys])}" for name, a in actions.items()
        ]
    assert _check(tmp_path, "\n".join(lines) + "\n") == []


def test_two_actions_on_one_key_in_a_pane_are_refused_naming_both(tmp_path: Path) -> None:
    problems = _check(tmp_path, '[keys.limits]\nsort = "h"\n')
    assert problems == [
        f"{tmp_path / 'config.toml'} line 2: keys.limits.sort: h would be the key of both hints and sort"
        " on the limits pane"
    ]


def test_swapping_two_keys_is_no_clash(tmp_path: Path) -> None:
    assert _check(tmp_path, '[keys.limits]\nsort = "h"\nhints = "s"\n') == []


def test_a_pane_key_hiding_a_global_one_is_refused_either_way(tmp_path: Path) -> None:
    (problem,) = _check(tmp_path, '[keys.kinesis]\nsort = "q"\n')
    assert (
        "line 2: keys.kinesis.sort: the kinesis pane's sort and the console's quit would both be on q"
        in problem
    )
    problems = _check(tmp_path, '[keys]\nnote = "s"\n')
    # Every pane with s names it, at the line of the console's note.
    assert {p.split("pane's ")[1].split(" ")[0] for p in problems} == {"sort"}
    assert len(problems) == 3 and all(
        "line 2: keys.note: " in p and "would both be on s" in p for p in problems
    )
    assert {"the limits pane's", "the kinesis pane's", "the findings pane's"} == {
        p.split(": ", 2)[2].split(" sort")[0] for p in problems
    }


def test_a_fixed_key_cannot_be_taken(tmp_path: Path) -> None:
    (problem,) = _check(tmp_path, '[keys.findings]\nfix = "j"\n')
    assert (
        "keys.findings.fix: j would be the key of both fix and Down (a fixed key) on the findings pane"
        in problem
    )
    (problem,) = _check(tmp_path, '[keys]\njump = "ctrl+p"\n')
    assert "the command palette (a fixed key) and jump" in problem
    (problem,) = _check(tmp_path, '[keys]\nhelp = "3"\n')
    assert "Pane 3 (a fixed key)" in problem


def test_unknown_actions_and_bad_keys_are_listed_with_the_clashes(tmp_path: Path) -> None:
    problems = _check(tmp_path, '[keys]\nhlep = "h"\nnote = "s"\n\n[keys.fis]\nstart = "cmd+s"\n')
    assert (
        "line 2: keys.hlep: no action 'hlep' among the console's own keys; they are help, jump" in problems[0]
    )
    assert "line 6: keys.fis.start: 'cmd+s' is not a key" in problems[1]
    assert all("keys.note" in p for p in problems[2:]) and len(problems) == 5


def test_a_detail_screen_takes_its_panes_key_map(tmp_path: Path) -> None:
    # The finding's view has Esc (back) as a fixed key, and the findings pane's triage keys.
    (problem,) = _check(tmp_path, '[keys.findings]\nsuppress = "R"\n')
    assert "R would be the key of both resolve and suppress on the findings pane" in problem


def test_the_app_gets_each_panes_key_map_with_the_global_one() -> None:
    maps = keys.keymaps({GLOBAL_KEYS: {"help": "f1,?"}, "limits": {"sort": "o"}}, ["overview", "limits"])
    assert maps == {
        "overview": {"help": "f1,question_mark"},
        "limits": {"help": "f1,question_mark", "sort": "o"},
    }


def test_show_lists_every_action_with_its_key_and_source(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[keys.limits]\nsort = "o"\n')
    text = "\n".join(keys.describe(config.load(path), WarroomApp))
    assert re.search(r'\nsort = "o" +# file line 2 · Sort\n', text)
    assert 'help = "?"' in text and "# default · Help" in text
    for scope, actions in keys.catalogue(WarroomApp).items():
        assert ("[keys]" if scope == GLOBAL_KEYS else f"[keys.{scope}]") in text
        for name in actions:
            assert f"\n{name} = " in text


def test_the_readme_example_is_a_file_the_console_takes(tmp_path: Path) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Configuration") :]
    example = re.search(r"```toml\n(.*?)```", section, re.S)
    assert example is not None
    assert _check(tmp_path, example.group(1)) == []


def test_every_screen_with_movable_keys_takes_a_panes_key_map() -> None:
    covered = {cls for pane in panes.PANES for cls in keys.screens(pane.name)}
    for module_info in pkgutil.iter_modules(tui.screens.__path__):
        module = importlib.import_module(f"tui.screens.{module_info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, Screen) or cls.__module__ != module.__name__:
                continue
            movable = [b for _, b in keys.merged_bindings(cls) if b.id is not None]
            if issubclass(cls, ModalScreen):
                # A dialog's keys are its own: Textual's key map would move them on every pane.
                assert not movable, f"{cls.__name__} is a dialog with movable keys"
            elif movable:
                # A screen a pane shows or opens, or the base of those (PaneScreen).
                assert any(issubclass(screen, cls) for screen in covered), (
                    f"{cls.__name__}: add it to tui.keys.DETAIL_SCREENS"
                )
