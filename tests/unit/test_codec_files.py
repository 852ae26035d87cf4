"""The codec's side for files people write: finding the line of a TOML value, and the error that
names the file, the line, the field and the reason."""

from __future__ import annotations

import pytest

from tui.common.codec import FileError, Key, Model, error_at, path_of, read_toml, toml_line

TEXT = '''# a comment
title = "drill"
notes = """
[[fault]]
at = "not a table: inside a string"
"""

[owner]
name = "ops"
contact.email = "ops@example.com"

[[fault]]
at = "1m"
tags = { Service = "payments" }

[[fault]]
at = "2m"
targets = [
  "a",
  "b",
]
'''


@pytest.mark.parametrize(
    ("steps", "line"),
    [
        (("title",), 2),
        (("notes",), 3),
        (("owner",), 8),
        (("owner", "name"), 9),
        (("owner", "contact", "email"), 10),
        (("fault", 0), 12),
        (("fault", 0, "at"), 13),
        (("fault", 0, "tags", "Service"), 14),
        (("fault", 1), 16),
        (("fault", 1, "at"), 17),
        (("fault", 1, "targets", 1), 18),
        (("fault", 1, "duration"), 16),
        (("nowhere",), None),
    ],
)
def test_the_line_of_a_value_or_of_what_holds_it(steps: tuple[str | int, ...], line: int | None) -> None:
    assert toml_line(TEXT, steps) == line


class Entry(Model, frozen=True):
    at: float
    name: str = ""


class File(Model, frozen=True):
    entry: tuple[Entry, ...] = ()


def test_a_file_error_names_the_file_the_line_the_field_and_the_reason() -> None:
    text = '[[entry]]\nat = 1\n\n[[entry]]\nname = "b"\nat = true\n'
    with pytest.raises(FileError) as caught:
        read_toml(File, text, source="plan.toml")
    error = caught.value
    assert str(error) == "plan.toml line 6: entry[1].at: expected a number, got true"
    assert (error.source, error.line, error.path) == ("plan.toml", 6, "entry[1].at")
    with pytest.raises(FileError, match=r"^plan\.toml line 4: entry\[1\]\.at: missing$"):
        read_toml(File, '[[entry]]\nat = 1\n\n[[entry]]\nname = "b"\n', source="plan.toml")
    with pytest.raises(
        FileError, match=r"^plan\.toml line 2: entry\[0\]\.when: unknown key; the known keys are at, name$"
    ):
        read_toml(File, "[[entry]]\nwhen = 1\n", source="plan.toml")
    with pytest.raises(FileError, match=r"^plan\.toml: not valid TOML"):
        read_toml(File, "[[entry]\n", source="plan.toml")


def test_a_check_after_reading_points_at_its_field() -> None:
    def check(file: File) -> None:
        for index, entry in enumerate(file.entry):
            if entry.at > 10:
                raise error_at(f"expected 10 or less, got {entry.at:g}", "entry", index, "at")

    with pytest.raises(FileError, match=r"^plan\.toml line 5: entry\[1\]\.at: expected 10 or less, got 11$"):
        read_toml(File, "[[entry]]\nat = 1\n\n[[entry]]\nat = 11\n", source="plan.toml", check=check)
    assert path_of("tags", Key("Service"), "values", 0) == "tags['Service'].values[0]"
